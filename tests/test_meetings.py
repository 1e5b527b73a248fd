"""Meetings with several people, the thank-you window, and the status the notes show,
through the real CLI on real files."""

from __future__ import annotations

import datetime as dt
import json
import shutil

import yaml
from conftest import snapshot

from vaultkit.markers import block_inner

TODAY = "2026-11-28"


def front_matter(path) -> dict:
    text = path.read_text("utf-8")
    assert text.startswith("---\n")
    return yaml.safe_load(text[4:text.index("\n---", 3)])


def sync(cli, vault, today=TODAY, *args):
    result = cli("sync", "--vault", vault, "--today", today, *args)
    assert result.exit_code == 0, result.output
    return result


def status(cli, vault, today=TODAY) -> dict:
    result = cli("status", "--vault", vault, "--today", today, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def block(vault, rel: str, name: str = "connections") -> str:
    inner = block_inner((vault / rel).read_text("utf-8"), name)
    assert inner is not None, rel
    return inner


def contact(extra: str = "") -> str:
    return f"---\ntype: contact\n{extra}---\n"


def meeting(date: str, people: str, extra: str = "", prop: str = "contact") -> str:
    return f"---\ntype: interview\n{prop}: {people}\ndate: {date}\n{extra}---\n"


def drafts(vault) -> list[str]:
    folder = vault / "Thank-yous"
    return sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []


# -- several people per meeting -------------------------------------------------------------

def test_a_done_meeting_with_two_people_thanks_each_in_his_or_her_own_draft(cli, make_vault):
    vault = make_vault({
        "People/Ann Lee.md": contact("company: Acme\n"),
        "People/Bo Chen.md": contact("email: bo@example.org\n"),
        "Interviews/2026-11-20 Acme.md": meeting("2026-11-20", '["[[Ann Lee]]", "[[Bo Chen]]"]',
                                                 "status: done\n"),
    })
    sync(cli, vault)
    assert drafts(vault) == ["2026-11-20 Ann Lee - thank-you.md", "2026-11-20 Bo Chen - thank-you.md"]
    ann = front_matter(vault / "Thank-yous/2026-11-20 Ann Lee - thank-you.md")
    bo = front_matter(vault / "Thank-yous/2026-11-20 Bo Chen - thank-you.md")
    assert (ann["to"], ann["vaultkit_key"]) == ("[[Ann Lee]]", "thank-you:2026-11-20:Ann Lee")
    assert (bo["to"], bo["vaultkit_key"]) == ("[[Bo Chen]]", "thank-you:2026-11-20:Bo Chen")
    assert "Dear Bo," in (vault / "Thank-yous/2026-11-20 Bo Chen - thank-you.md").read_text("utf-8")

    # Each block shows the meeting and links the person's own draft, never the other's.
    for me, other in (("Ann Lee", "Bo Chen"), ("Bo Chen", "Ann Lee")):
        inner = block(vault, f"People/{me}.md")
        assert "[[2026-11-20 Acme]]" in inner
        assert f"[[2026-11-20 {me} - thank-you]]" in inner
        assert f"[[2026-11-20 {other} - thank-you]]" not in inner

    # The interview's block lists both drafts; today's note owes both.
    links = block(vault, "Interviews/2026-11-20 Acme.md", "links")
    assert "**Thank-you to Ann Lee:** [[2026-11-20 Ann Lee - thank-you]]" in links
    assert "**Thank-you to Bo Chen:** [[2026-11-20 Bo Chen - thank-you]]" in links
    daily = block(vault, f"Follow-ups/{TODAY}.md", "follow-ups")
    assert "thank [[Ann Lee]] for the interview 2026-11-20" in daily
    assert "thank [[Bo Chen]] for the interview 2026-11-20" in daily

    # Bo's draft marked sent: only Ann is still owed, and Bo's block says when.
    path = vault / "Thank-yous/2026-11-20 Bo Chen - thank-you.md"
    path.write_text(path.read_text("utf-8").replace("sent: false", "sent: 2026-11-21"), "utf-8")
    sync(cli, vault)
    owed = [o["to"]["name"] for o in status(cli, vault)["thank_yous_owed"]]
    assert owed == ["Ann Lee"]
    assert "**Thank-you to Bo Chen:** [[2026-11-20 Bo Chen - thank-you]] (sent 2026-11-21)" in \
        block(vault, "Interviews/2026-11-20 Acme.md", "links")
    assert "**Last interaction:** 2026-11-21" in block(vault, "People/Bo Chen.md")
    before = snapshot(vault)
    sync(cli, vault)
    assert snapshot(vault) == before  # a second sync writes nothing


def test_a_planned_meeting_with_two_people_gets_one_agenda_naming_both(cli, make_vault):
    vault = make_vault({
        "People/Ann Lee.md": contact("role: UX Lead\n"),
        "People/Bo Chen.md": contact("referred_by: \"[[Cy Diaz]]\"\n"),
        "People/Cy Diaz.md": contact(),
        "Interviews/2026-09-01 Ann Lee.md": meeting("2026-09-01", '"[[Ann Lee]]"', "status: done\n"),
        "Interviews/2026-10-02 Bo Chen.md": meeting("2026-10-02", '"[[Bo Chen]]"', "status: done\n"),
        "Interviews/2026-12-01 Both.md": meeting("2026-12-01", '["[[Ann Lee]]", "[[Bo Chen]]"]',
                                                 "status: planned\n"),
    })
    sync(cli, vault)
    agendas = sorted(p.name for p in (vault / "Interviews/Agendas").iterdir())
    assert agendas == ["2026-12-01 Ann Lee, Bo Chen - agenda.md"]
    path = vault / "Interviews/Agendas" / agendas[0]
    fm = front_matter(path)
    assert fm["vaultkit_key"] == "agenda:2026-12-01:Ann Lee"
    assert fm["contact"] == ["[[Ann Lee]]", "[[Bo Chen]]"]
    text = path.read_text("utf-8")
    assert "# Agenda: Ann Lee and Bo Chen" in text
    assert "  - [[Ann Lee]], UX Lead\n  - [[Bo Chen]]\n" in text
    assert "- Bo Chen: [[Cy Diaz]] → you" in text
    # Earlier conversations with each participant.
    earlier = text[text.index("## Earlier conversations"):text.index("## Research")]
    assert "[[2026-09-01 Ann Lee|interview with Ann Lee]]" in earlier
    assert "[[2026-10-02 Bo Chen|interview with Bo Chen]]" in earlier
    # Both blocks link the one agenda.
    for who in ("Ann Lee", "Bo Chen"):
        assert "agenda [[2026-12-01 Ann Lee, Bo Chen - agenda]]" in block(vault, f"People/{who}.md")


def test_an_agenda_is_named_after_the_first_person_when_all_names_do_not_fit(cli, make_vault):
    long_a, long_b = "Anneliese " + "Abernathy-" * 9 + "Lee", "Bartholomew " + "Castellanos-" * 8 + "Chen"
    vault = make_vault({
        f"People/{long_a}.md": contact(),
        f"People/{long_b}.md": contact(),
        "Interviews/2026-12-01 Both.md": meeting("2026-12-01", f'["[[{long_a}]]", "[[{long_b}]]"]'),
    })
    sync(cli, vault)
    assert sorted(p.name for p in (vault / "Interviews/Agendas").iterdir()) == \
        [f"2026-12-01 {long_a} - agenda.md"]
    text = (vault / f"Interviews/Agendas/2026-12-01 {long_a} - agenda.md").read_text("utf-8")
    assert f"# Agenda: {long_a} and {long_b}\n" in text  # the note itself names both


def test_kepano_people_property_makes_every_person_a_participant(cli, make_vault):
    person = "---\ncategories:\n  - \"[[People]]\"\n---\n"
    vault = make_vault({
        "People/Ann Lee.md": person,
        "People/Bo Chen.md": person,
        "People/Cy Diaz.md": person,
        "Meetings/2026-11-25 Coffee.md": ("---\ncategories:\n  - \"[[Meetings]]\"\ndate: 2026-11-25\n"
                                          "people:\n  - \"[[Ann Lee]]\"\n  - \"[[Bo Chen]]\"\n"
                                          "  - \"[[Cy Diaz]]\"\n---\nNotes.\n"),
    })
    sync(cli, vault)
    assert drafts(vault) == [f"2026-11-25 {n} - thank-you.md" for n in ("Ann Lee", "Bo Chen", "Cy Diaz")]
    for who in ("Ann Lee", "Bo Chen", "Cy Diaz"):
        inner = block(vault, f"People/{who}.md")
        assert "2026-11-25 · done · [[2026-11-25 Coffee]]" in inner
        assert f"[[2026-11-25 {who} - thank-you]]" in inner
        assert inner.count("thank-you]]") == 1
        assert front_matter(vault / f"Thank-yous/2026-11-25 {who} - thank-you.md")["to"] == f"[[{who}]]"
    # Each is met now, from the notes alone.
    owed = sorted(o["to"]["name"] for o in status(cli, vault)["thank_yous_owed"])
    assert owed == ["Ann Lee", "Bo Chen", "Cy Diaz"]


def test_several_people_follow_edits_as_a_full_pass_would(cli, make_vault, tmp_path):
    """Adding a second person to a meeting, then marking it done: a catch-up sync writes
    byte for byte what `sync --rebuild` writes."""
    files = {
        "Companies/Acme.md": "---\ntype: company\n---\n",
        "People/Ann Lee.md": contact("company: \"[[Acme]]\"\nstatus: prospect\n"),
        "People/Bo Chen.md": contact("company: \"[[Acme]]\"\nstatus: prospect\n"),
        "Interviews/2026-11-26 Acme.md": meeting("2026-11-26", '"[[Ann Lee]]"', "status: planned\n"),
    }
    a, b = make_vault(files, "a"), make_vault(files, "b")
    for vault, extra in ((a, ()), (b, ("--rebuild",))):
        sync(cli, vault)
        note = vault / "Interviews/2026-11-26 Acme.md"
        note.write_text(meeting("2026-11-26", '["[[Ann Lee]]", "[[Bo Chen]]"]', "status: planned\n"), "utf-8")
        sync(cli, vault, TODAY, *extra)
        note.write_text(note.read_text("utf-8").replace("status: planned", "status: done"), "utf-8")
        sync(cli, vault, TODAY, *extra)
    assert snapshot(a) == snapshot(b)
    assert drafts(a) == ["2026-11-26 Ann Lee - thank-you.md", "2026-11-26 Bo Chen - thank-you.md"]
    company = block(a, "Companies/Acme.md")
    assert "[[Ann Lee]] · met" in company and "[[Bo Chen]] · met" in company


# -- the thank-you window -------------------------------------------------------------------

def test_a_meeting_from_2023_is_history_not_a_thank_you_owed(cli, make_vault):
    vault = make_vault({
        "People/Ann Lee.md": contact(),
        "People/Bo Chen.md": contact(),
        "Interviews/2023-08-29 Ann Lee.md": meeting("2023-08-29", '"[[Ann Lee]]"', "status: done\n"),
        "Interviews/2026-11-23 Bo Chen.md": meeting("2026-11-23", '"[[Bo Chen]]"'),
    })
    sync(cli, vault, "2026-12-03")
    assert drafts(vault) == ["2026-11-23 Bo Chen - thank-you.md"]  # 10 days ago: a draft
    daily = block(vault, "Follow-ups/2026-12-03.md", "follow-ups")
    assert "thank [[Bo Chen]] for the interview 2026-11-23 — 10 days ago" in daily
    assert "Ann Lee" not in daily.split("**Thank-yous owed**")[1].split("**Referrals")[0]
    data = status(cli, vault, "2026-12-03")
    assert [o["to"]["name"] for o in data["thank_yous_owed"]] == ["Bo Chen"]
    assert data["thank_yous_older"] == 1
    text = cli("status", "--vault", vault, "--today", "2026-12-03").output
    assert "1 older thank-you not listed (more than 30 days ago)" in text


def test_sixty_past_meetings_get_drafts_only_inside_the_window(cli, make_vault):
    today = dt.date(2026, 12, 3)
    files = {}
    for n in range(60):
        day = (today - dt.timedelta(days=5 * n + 1)).isoformat()  # 1, 6, 11, ... 296 days ago
        files[f"People/P{n:02d}.md"] = contact()
        files[f"Interviews/{day} P{n:02d}.md"] = meeting(day, f'"[[P{n:02d}]]"')
    vault = make_vault(files)
    sync(cli, vault, today.isoformat())
    inside = [n for n in range(60) if 5 * n + 1 <= 30]
    assert len(drafts(vault)) == len(inside) == 6
    assert status(cli, vault, today.isoformat())["thank_yous_older"] == 54

    # A wider window, set in the configuration, reaches further back.
    (vault / ".vaultkit/config.toml").write_text("thank_you_window_days = 60\n", "utf-8")
    sync(cli, vault, today.isoformat())
    assert len(drafts(vault)) == 12


def test_a_referral_thank_you_follows_the_window_too(cli, make_vault):
    vault = make_vault({
        "People/Ann Lee.md": contact(),
        "People/Bo Chen.md": contact(),
        "People/Cy Diaz.md": contact(),
        "People/Di Eng.md": contact('referred_by: "[[Cy Diaz]]"\n'),
        # Recorded in an interview with Ann 70 days ago: history.
        "Interviews/2026-09-19 Ann Lee.md": meeting("2026-09-19", '"[[Ann Lee]]"',
                                                     "thank_you_sent: 2026-09-20\nreferrals: [\"[[Bo Chen]]\"]\n"),
        # Cy referred Di, whom you met 5 days ago: owed from that day.
        "Interviews/2026-11-23 Di Eng.md": meeting("2026-11-23", '"[[Di Eng]]"', "thank_you_sent: true\n"),
    })
    sync(cli, vault)
    assert drafts(vault) == ["Cy Diaz - referral of Di Eng.md"]
    owed = status(cli, vault)["thank_yous_owed"]
    assert [(o["to"]["name"], o["since"]) for o in owed] == [("Cy Diaz", "2026-11-23")]


def test_the_window_must_leave_a_date(cli, make_vault):
    for value, word in (("-1", "negative"), ("1000000", "too large")):
        vault = make_vault({"People/Ann Lee.md": contact(),
                            ".vaultkit/config.toml": f"thank_you_window_days = {value}\n"}, f"v{value}")
        before = snapshot(vault)
        result = cli("sync", "--vault", vault, "--today", TODAY)
        assert result.exit_code == 2
        assert "thank_you_window_days" in result.output and word in result.output
        assert snapshot(vault) == before


# -- the status the notes show --------------------------------------------------------------

def test_a_prospect_met_forty_days_ago_is_a_quiet_contact(cli, make_vault):
    vault = make_vault({
        "Companies/Acme.md": "---\ntype: company\n---\n",
        "People/Ann Lee.md": contact("company: \"[[Acme]]\"\nstatus: prospect\n"),
        "People/Bo Chen.md": contact("company: \"[[Acme]]\"\nstatus: prospect\n"),
        "People/Cy Diaz.md": contact("company: \"[[Acme]]\"\nstatus: dormant\n"),
        "Interviews/2026-10-19 Ann Lee.md": meeting("2026-10-19", '"[[Ann Lee]]"', "thank_you_sent: true\n"),
        "Interviews/2026-10-19 Cy Diaz.md": meeting("2026-10-19", '"[[Cy Diaz]]"', "thank_you_sent: true\n"),
        # A planned meeting raises no status (only done ones and dated interactions do).
        "Interviews/2026-12-02 Bo Chen.md": meeting("2026-12-02", '"[[Bo Chen]]"'),
    })
    sync(cli, vault)
    quiet = status(cli, vault)["quiet"]
    assert [(q["contact"]["name"], q["last_interaction"], q["days"]) for q in quiet] == \
        [("Ann Lee", "2026-10-19", 40)]
    daily = block(vault, f"Follow-ups/{TODAY}.md", "follow-ups")
    assert "[[Ann Lee]] — last interaction 2026-10-19 (40 days ago)" in daily
    company = block(vault, "Companies/Acme.md")
    assert "[[Ann Lee]] · met" in company
    assert "[[Bo Chen]] · prospect" in company  # planned: not raised
    assert "[[Cy Diaz]] · dormant" in company  # dormant as stored stays


def test_referral_lists_use_the_status_the_notes_show(cli, make_vault):
    vault = make_vault({
        "People/Ann Lee.md": contact(),
        # Met in a meeting: counts as met for Ann, though still `prospect` in the note.
        "People/Bo Chen.md": contact('referred_by: "[[Ann Lee]]"\nstatus: prospect\n'),
        # Written to on 2026-11-10: contacted, so no longer "not yet contacted".
        "People/Cy Diaz.md": contact('referred_by: "[[Ann Lee]]"\nstatus: prospect\nlast_contacted: 2026-11-10\n'),
        # Stored status ahead of the notes wins: met, with no meeting on record.
        "People/Di Eng.md": contact('referred_by: "[[Ann Lee]]"\nstatus: met\n'),
        "People/Ed Fox.md": contact('referred_by: "[[Ann Lee]]"\n'),
        "Interviews/2026-11-02 Bo Chen.md": meeting("2026-11-02", '"[[Bo Chen]]"', "thank_you_sent: true\n"),
        # An interview's link to someone it referred you to is no interaction with them.
        "Interviews/2026-11-20 Ann Lee.md": meeting("2026-11-20", '"[[Ann Lee]]"',
                                                     "thank_you_sent: true\nreferrals: [\"[[Gil Ho]]\"]\n"),
        "People/Gil Ho.md": contact(),
    })
    sync(cli, vault)
    index = block(vault, "Referral Index.md", "referrals")
    assert "| [[Ann Lee]] | 5 | 2 |" in index
    pending = index.split("## Not yet contacted")[1].split("## Graph")[0]
    assert "[[Ed Fox]]" in pending and "[[Gil Ho]]" in pending
    assert "[[Cy Diaz]]" not in pending and "[[Bo Chen]]" not in pending
    names = [r["contact"]["name"] for r in status(cli, vault)["referrals_not_contacted"]]
    assert names == ["Ed Fox", "Gil Ho"]


def test_a_dated_referral_thank_you_makes_the_referrer_contacted(cli, make_vault):
    vault = make_vault({
        "Companies/Acme.md": "---\ntype: company\n---\n",
        "People/Ann Lee.md": contact("company: \"[[Acme]]\"\n"),
        "People/Bo Chen.md": contact('referred_by: "[[Ann Lee]]"\n'),
        "Interviews/2026-11-20 Bo Chen.md": meeting("2026-11-20", '"[[Bo Chen]]"', "thank_you_sent: true\n"),
    })
    sync(cli, vault)
    assert "[[Ann Lee]] · prospect" in block(vault, "Companies/Acme.md")
    draft = vault / "Thank-yous/Ann Lee - referral of Bo Chen.md"
    draft.write_text(draft.read_text("utf-8").replace("sent: false", "sent: 2026-11-22"), "utf-8")
    copy = vault.parent / "copy"
    shutil.copytree(vault, copy)
    sync(cli, vault)  # catches up from the cache
    sync(cli, copy, TODAY, "--rebuild")
    assert "[[Ann Lee]] · contacted" in block(vault, "Companies/Acme.md")
    assert snapshot(vault) == snapshot(copy)


def test_the_window_counts_its_first_day(cli, make_vault):
    vault = make_vault({
        "People/Ann Lee.md": contact(),
        "People/Bo Chen.md": contact(),
        "Interviews/2026-10-29 Ann Lee.md": meeting("2026-10-29", '"[[Ann Lee]]"'),  # today − 30
        "Interviews/2026-10-28 Bo Chen.md": meeting("2026-10-28", '"[[Bo Chen]]"'),  # today − 31
    })
    sync(cli, vault)
    assert drafts(vault) == ["2026-10-29 Ann Lee - thank-you.md"]
