"""Keep-in-touch cadence by tier (`[cadence]`), and what restarts a contact's interval:
any interaction, or any note dated on or before today that links the contact."""

from __future__ import annotations

from vaultkit.markers import block_inner

CONFIG = '[cadence]\nreferrer = { ideal = 21, max = 42 }\ninterviewee = { ideal = 30, max = 60 }\n'


def contact(extra: str) -> str:
    return f"---\ntype: contact\n{extra}---\n"


def follow_ups(cli, vault, today="2026-11-28") -> str:
    result = cli("sync", "--vault", vault, "--today", today)
    assert result.exit_code == 0, result.output
    return block_inner((vault / f"Follow-ups/{today}.md").read_text("utf-8"), "follow-ups")


def test_due_soon_and_overdue_by_tier_oldest_first(cli, make_vault):
    vault = make_vault({
        ".vaultkit/config.toml": CONFIG,
        "People/Ann.md": contact("tags: [referrer]\nlast_contacted: 2026-11-01\n"),      # 27 days: due soon
        "People/Bo.md": contact("relationship: referrer\nlast_contacted: 2026-10-01\n"),  # 58 days: overdue
        "People/Cy.md": contact("tags: ['#interviewee']\nlast_contacted: 2026-09-01\n"),  # 88 days: overdue
        "People/Di.md": contact("tags: [referrer]\nlast_contacted: 2026-11-20\n"),       # 8 days: fine
        "People/Ed.md": contact("tags: [referrer]\n"),                                  # never touched
        "People/Fay.md": contact("tags: [referrer]\nstatus: closed\nlast_contacted: 2026-01-01\n"),
    })
    text = follow_ups(cli, vault)
    overdue = text.split("**Keep in touch: overdue**\n", 1)[1].split("\n\n", 1)[0].splitlines()
    soon = text.split("**Keep in touch: due soon**\n", 1)[1].split("\n\n", 1)[0].splitlines()
    assert overdue == [
        "- [ ] [[Ed]] (referrer: every 21–42 days) — no touch recorded",
        "- [ ] [[Cy]] (interviewee: every 30–60 days) — last touch 2026-09-01 (88 days ago)",
        "- [ ] [[Bo]] (referrer: every 21–42 days) — last touch 2026-10-01 (58 days ago)",
    ]
    assert soon == ["- [ ] [[Ann]] (referrer: every 21–42 days) — last touch 2026-11-01 (27 days ago)"]
    assert "[[Di]]" not in text and "[[Fay]]" not in text
    status = cli("status", "--vault", vault, "--today", "2026-11-28")
    assert "Keep in touch: overdue (3)" in status.output and "Keep in touch: due soon (1)" in status.output


def test_a_dated_note_linking_the_contact_restarts_the_interval(cli, make_vault):
    files = {
        ".vaultkit/config.toml": CONFIG,
        "People/Ann.md": contact("tags: [referrer]\nstatus: contacted\nlast_contacted: 2026-10-01\n"),
    }
    vault = make_vault(files)
    assert "[[Ann]] (referrer" in follow_ups(cli, vault).split("**Keep in touch: overdue**")[1]
    # A daily note (dated by its name) linking Ann, and a meeting note dated by `date`.
    (vault / "Daily").mkdir()
    (vault / "Daily/2026-11-20.md").write_text("Called [[Ann]] about the course.\n")
    text = follow_ups(cli, vault, "2026-11-29")
    assert "[[Ann]]" not in text.split("**Quiet contacts**")[0]  # 9 days since: nothing due
    assert "- [[Ann]] — last interaction 2026-10-01" not in text
    # Her stored status is not raised, her block's last interaction is still 2026-10-01.
    block = block_inner((vault / "People/Ann.md").read_text("utf-8"), "connections")
    assert "**Last interaction:** 2026-10-01" in block


def test_what_is_no_touch(cli, make_vault):
    """A note dated after today, a cancelled interview, and an interview's `referrals` link
    restart nothing."""
    vault = make_vault({
        ".vaultkit/config.toml": CONFIG,
        "People/Ann.md": contact("tags: [referrer]\nlast_contacted: 2026-10-01\n"),
        "People/Bo.md": contact(""),
        "Daily/2026-12-05.md": "Meet [[Ann]] next week.\n",
        "Interviews/Cancelled.md": ("---\ntype: interview\ncontact: \"[[Ann]]\"\ndate: 2026-11-25\n"
                                    "status: cancelled\n---\n"),
        "Interviews/Bo.md": ("---\ntype: interview\ncontact: \"[[Bo]]\"\ndate: 2026-11-26\nstatus: done\n"
                             "referrals: [\"[[Ann]]\"]\n---\n"),
    })
    overdue = follow_ups(cli, vault).split("**Keep in touch: overdue**\n", 1)[1].split("\n\n", 1)[0]
    assert "[[Ann]] (referrer: every 21–42 days) — last touch 2026-10-01 (58 days ago)" in overdue


def test_quiet_contacts_restart_too_without_cadence(cli, make_vault):
    vault = make_vault({
        "People/Ann.md": contact("status: met\nlast_contacted: 2026-09-01\n"),
        "Meetings/Lunch.md": "---\ndate: 2026-11-10\n---\nLunch with [[Ann]].\n",
    })
    text = follow_ups(cli, vault)
    assert "**Keep in touch" not in text  # no tiers configured: no such sections
    assert "- [[Ann]]" not in text.split("**Quiet contacts**")[1]
    (vault / "Meetings/Lunch.md").unlink()
    text = follow_ups(cli, vault)
    assert "- [[Ann]] — last interaction 2026-09-01 (88 days ago)" in text.split("**Quiet contacts**")[1]


def test_bad_cadence_tables_are_configuration_errors(cli, make_vault):
    for bad, key in (('[cadence]\nx = { ideal = 50, max = 40 }\n', "cadence.x.ideal"),
                     ('[cadence]\nx = 3\n', "cadence.x"),
                     ('[cadence]\nx = { ideal = -1, max = 4 }\n', "cadence.x.ideal"),
                     ('cadence = 5\n', "cadence")):
        vault = make_vault({".vaultkit/config.toml": bad, "People/Ann.md": contact("")}, name="v" + str(abs(hash(bad))))
        result = cli("sync", "--vault", vault, "--today", "2026-11-28")
        assert result.exit_code == 2, bad
        assert key in result.output
        assert not (vault / "Follow-ups").exists()


def test_a_link_added_to_an_existing_dated_note_restarts_the_interval_at_once(cli, make_vault):
    """An edit of a daily note that only adds a link (no note comes or goes, no kind
    changes) still refreshes today's lists: the incremental pass writes what a full pass
    would (found by the random edit-sequence test)."""
    vault = make_vault({
        "People/Ann.md": contact("status: met\nlast_contacted: 2026-09-01\n"),
        "Daily/2026-11-20.md": "Quiet day.\n",
    })
    assert "- [[Ann]] — last interaction 2026-09-01" in follow_ups(cli, vault).split("**Quiet contacts**")[1]
    (vault / "Daily/2026-11-20.md").write_text("Called [[Ann]].\n")
    text = follow_ups(cli, vault)
    assert "- [[Ann]]" not in text.split("**Quiet contacts**")[1]
    again = cli("sync", "--vault", vault, "--today", "2026-11-28", "--rebuild")
    assert "wrote 0 files" in again.output
