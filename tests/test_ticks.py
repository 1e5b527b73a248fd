"""Ticks that record: ticking a line of today's follow-ups block writes one front-matter
line on the note it concerns, at the next pass; no other byte moves."""

from __future__ import annotations

import pytest

from conftest import snapshot

from vaultkit.markers import block_inner
from vaultkit.ticks import PropertyError, set_property

TODAY = "2026-11-28"
INTERVIEW = ("---\ntype: interview\ncontact: \"[[Ann]]\"\ndate: 2026-11-25\nstatus: done\n"
             "referrals: [\"[[Cy]]\"]\n---\n# Call with Ann\n")
FILES = {
    "People/Ann.md": "---\ntype: contact\nstatus: met\n---\n# Ann\n",
    "People/Bo.md": "---\ntype: contact\nnext_follow_up: 2026-11-27\nlast_contacted:\n---\n",
    "People/Cy.md": "---\ntype: contact\n---\n",
    "Interviews/2026-11-25 Ann.md": INTERVIEW,
}


def sync(cli, vault, *args):
    result = cli("sync", "--vault", vault, "--today", TODAY, *args)
    assert result.exit_code in (0, 1), result.output
    return result


def daily(vault) -> str:
    return (vault / f"Follow-ups/{TODAY}.md").read_text("utf-8")


def tick(vault, start: str) -> None:
    path = vault / f"Follow-ups/{TODAY}.md"
    text = path.read_text("utf-8")
    assert f"- [ ] {start}" in text, text
    path.write_text(text.replace(f"- [ ] {start}", f"- [x] {start}", 1), "utf-8")


def test_ticking_a_thank_you_records_thank_you_sent_on_the_interview(cli, make_vault):
    vault = make_vault(FILES)
    sync(cli, vault)
    tick(vault, "thank [[Ann]] for the interview 2026-11-25")
    sync(cli, vault)
    text = (vault / "Interviews/2026-11-25 Ann.md").read_text("utf-8")
    head = INTERVIEW.split("---\n# Call")[0]
    assert text.startswith(head + f"thank_you_sent: {TODAY}\n---\n# Call with Ann\n")
    block = block_inner(daily(vault), "follow-ups")
    assert "thank [[Ann]] for the interview" not in block  # recorded: no longer owed
    before = snapshot(vault)
    sync(cli, vault)
    assert snapshot(vault) == before


def test_contact_and_follow_up_ticks_record_last_contacted(cli, make_vault):
    vault = make_vault(FILES)
    sync(cli, vault)
    tick(vault, "contact [[Cy]]")
    tick(vault, "[[Bo]] — follow-up due 2026-11-27")
    sync(cli, vault)
    assert (vault / "People/Cy.md").read_text().startswith(f"---\ntype: contact\nlast_contacted: {TODAY}\n---\n\n<!--")
    # Bo's empty `last_contacted:` line is the one replaced; nothing else moves.
    assert (vault / "People/Bo.md").read_text().startswith(
        f"---\ntype: contact\nnext_follow_up: 2026-11-27\nlast_contacted: {TODAY}\n---\n\n<!--")


def test_dry_run_shows_the_property_and_writes_nothing(cli, make_vault):
    vault = make_vault(FILES)
    sync(cli, vault)
    tick(vault, "contact [[Cy]]")
    before = snapshot(vault)
    result = sync(cli, vault, "--dry-run")
    assert f"+last_contacted: {TODAY}" in result.output
    assert snapshot(vault) == before


def test_a_tick_that_cannot_be_recorded_stays_ticked(cli, make_vault):
    vault = make_vault({**FILES, "People/Cy.md": "---\ntype: contact\nlast_contacted:\n  - someday\n---\n"})
    sync(cli, vault)
    tick(vault, "contact [[Cy]]")
    result = sync(cli, vault)
    assert result.exit_code == 1
    assert "People/Cy.md" in result.output and "last_contacted" in result.output
    assert "- [x] contact [[Cy]]" in daily(vault)  # not silently undone
    assert "  - someday" in (vault / "People/Cy.md").read_text()


@pytest.mark.parametrize("text, expected", [
    ("---\na: 1\n---\nbody\n", "---\na: 1\nsent: 2026-11-28\n---\nbody\n"),
    ("---\na: 1\nsent: false\nb: 2\n---\n", "---\na: 1\nsent: 2026-11-28\nb: 2\n---\n"),
    ("---\r\na: 1\r\n---\r\nbody\r\n", "---\r\na: 1\r\nsent: 2026-11-28\r\n---\r\nbody\r\n"),
    ("---\nSent: no\n...\n", "---\nsent: 2026-11-28\n...\n"),
])
def test_set_property_moves_no_other_byte(text, expected):
    assert set_property(text, "sent", "2026-11-28") == expected


@pytest.mark.parametrize("text", ["no front-matter\n", "---\na: 1\n", "---\nsent:\n  - x\n---\n"])
def test_set_property_refuses_what_it_cannot_do_in_one_line(text):
    with pytest.raises(PropertyError):
        set_property(text, "sent", "2026-11-28")


def test_thirty_days_of_cadence_and_ticks_no_alarm_missed_none_false(cli, make_vault):
    """A month of daily syncs: Ann's keep-in-touch line is ticked whenever it shows, Bo's
    never. Every day the lists say exactly what the rule says, no more, no less."""
    import datetime as dt
    start = dt.date(2026, 11, 1)
    vault = make_vault({
        ".vaultkit/config.toml": "[cadence]\nreferrer = { ideal = 7, max = 14 }\n",
        "People/Ann.md": "---\ntype: contact\ntags: [referrer]\nlast_contacted: 2026-11-01\n---\n",
        "People/Bo.md": "---\ntype: contact\ntags: [referrer]\nlast_contacted: 2026-11-01\n---\n",
    })
    touched = {"Ann": start, "Bo": start}
    for n in range(30):
        day = start + dt.timedelta(days=n)
        result = cli("sync", "--vault", vault, "--today", day.isoformat())
        assert result.exit_code == 0, result.output
        note = vault / f"Follow-ups/{day.isoformat()}.md"
        block = block_inner(note.read_text("utf-8"), "follow-ups")
        overdue = block.split("**Keep in touch: overdue**\n")[1].split("\n\n")[0]
        soon = block.split("**Keep in touch: due soon**\n")[1].split("\n\n")[0]
        for who in ("Ann", "Bo"):
            days = (day - touched[who]).days
            assert (f"[[{who}]]" in overdue) == (days > 14), (day, who, block)
            assert (f"[[{who}]]" in soon) == (7 < days <= 14), (day, who, block)
        if "[[Ann]]" in overdue + soon:
            text = note.read_text("utf-8")
            note.write_text(text.replace("- [ ] [[Ann]] (", "- [x] [[Ann]] ("), "utf-8")
            assert cli("sync", "--vault", vault, "--today", day.isoformat()).exit_code == 0
            assert f"last_contacted: {day.isoformat()}" in (vault / "People/Ann.md").read_text()
            touched["Ann"] = day
            assert "[[Ann]]" not in block_inner(note.read_text("utf-8"), "follow-ups").split("**Quiet")[0]
    assert touched["Ann"] > start  # she was followed up, more than once
