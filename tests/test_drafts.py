"""Thank-you drafts and agendas quote what the user wrote, whole; plain-text companies
connect; no block lists a note twice; day counts read as words. Through the real CLI."""

from __future__ import annotations

from conftest import TODAY

from vaultkit.markers import block_inner

WRAPPED = """\
---
type: interview
contact: "[[Marcus Oyelaran]]"
date: 2026-11-05
status: done
---
## Notes
- Research ops at Harborline: the participant panel (1,800 patients who
  opted in), consent and compensation. Three people.
- They will post a research coordinator role in Q1; applications open in
  January. He'll ping me.
A lazy continuation line of the second bullet.

A paragraph of its own,
wrapped over two lines.
"""


def _sync(cli, vault, today=TODAY):
    result = cli("sync", "--vault", vault, "--today", today)
    assert result.exit_code in (0, 1), result.output
    return result


def test_thank_you_quotes_whole_bullets_and_greets_by_first_name(cli, make_vault):
    vault = make_vault({
        "People/Marcus Oyelaran.md": "---\ntype: contact\n---\n",
        "Interviews/2026-11-05 Marcus Oyelaran.md": WRAPPED,
    })
    _sync(cli, vault)
    text = (vault / "Thank-yous/2026-11-05 Marcus Oyelaran - thank-you.md").read_text()
    assert "Dear Marcus,\n" in text
    assert ("One thing I am taking away from our conversation: Research ops at Harborline: the "
            "participant panel (1,800 patients who opted in), consent and compensation. Three people.") in text
    notes = text[text.index("## From your notes"):]
    assert notes.splitlines()[1:] == [
        "- Research ops at Harborline: the participant panel (1,800 patients who opted in), "
        "consent and compensation. Three people.",
        "- They will post a research coordinator role in Q1; applications open in January. "
        "He'll ping me. A lazy continuation line of the second bullet.",
        "- A paragraph of its own, wrapped over two lines.",
    ]


def test_first_name_property_wins_in_both_drafts(cli, make_vault):
    vault = make_vault({
        "People/Dr Ann Lee.md": "---\ntype: contact\nfirst_name: Ann\n---\n",
        "People/Bo Chen.md": "---\ntype: contact\nreferred_by: \"[[Dr Ann Lee]]\"\n---\n",
        "Interviews/2026-11-20 Bo Chen.md": "---\ntype: interview\ncontact: \"[[Bo Chen]]\"\n"
                                           "date: 2026-11-20\n---\n",
    })
    _sync(cli, vault)
    assert "Dear Bo,\n" in (vault / "Thank-yous/2026-11-20 Bo Chen - thank-you.md").read_text()
    referral = (vault / "Thank-yous/Dr Ann Lee - referral of Bo Chen.md").read_text()
    assert "Dear Ann,\n" in referral and "Dear Dr" not in referral


def test_plain_text_companies_connect_in_the_agenda(cli, make_vault):
    env = {"VAULTKIT_TODAY": TODAY}
    vault = make_vault({
        ".obsidian/app.json": "{}",
        "People/Ann Lee.md": "---\ntype: contact\ncompany: ACME  \n---\n",
        "Interviews/2026-10-01 Ann Lee.md": "---\ntype: interview\ncontact: \"[[Ann Lee]]\"\n"
                                            "date: 2026-10-01\nstatus: done\n---\n",
        "Interviews/2026-10-09 Ann Lee.md": "---\ntype: interview\ncontact: \"[[Ann Lee]]\"\n"
                                            "date: 2026-10-09\ncompany: acme\nstatus: done\n---\n",
    })
    assert cli("new", "contact", "Bo Chen", "--vault", vault, "--company", "Acme", env=env).exit_code == 0
    assert cli("new", "interview", "Bo Chen", "--vault", vault, "--date", "2026-11-30", env=env).exit_code == 0
    _sync(cli, vault)
    agenda = (vault / "Interviews/Agendas/2026-11-30 Bo Chen - agenda.md").read_text()
    assert "first conversation" not in agenda
    earlier = agenda[agenda.index("## Earlier conversations"):agenda.index("## Research")]
    assert "2026-10-01 Ann Lee" in earlier and "2026-10-09 Ann Lee" in earlier


def test_a_note_linking_in_text_and_property_is_listed_once(cli, make_vault):
    vault = make_vault({
        "People/Ann Lee.md": "---\ntype: contact\n---\n",
        "Projects/Plan.md": "---\nowner: \"[[Ann Lee]]\"\n---\nAsk [[Ann Lee]] about it.\n",
        "Notes/Other.md": "See [[Ann Lee]].\n",
    })
    _sync(cli, vault)
    inner = block_inner((vault / "People/Ann Lee.md").read_text(), "connections")
    assert inner.count("[[Plan]]") == 1
    assert "[[Plan]] (`owner`)" in inner
    assert "**Linked from**\n- [[Other]]\n" in inner


def test_day_counts_read_as_words(cli, make_vault):
    vault = make_vault({
        "People/Ann Lee.md": "---\ntype: contact\n---\n",
        "People/Bo Chen.md": "---\ntype: contact\n---\n",
        "Interviews/2026-11-27 Ann Lee.md": "---\ntype: interview\ncontact: \"[[Ann Lee]]\"\n"
                                            "date: 2026-11-27\nstatus: done\n---\n",
        "Interviews/2026-11-28 Bo Chen.md": "---\ntype: interview\ncontact: \"[[Bo Chen]]\"\n"
                                            "date: 2026-11-28\nstatus: done\n---\n",
    })
    _sync(cli, vault)
    daily = (vault / f"Follow-ups/{TODAY}.md").read_text()
    assert "interview 2026-11-27 — yesterday" in daily
    assert "interview 2026-11-28 — today" in daily
    assert "days ago" not in daily
    status = cli("status", "--vault", vault, "--today", TODAY).output
    assert "interview 2026-11-27, yesterday" in status and "interview 2026-11-28, today" in status
    assert "1 days ago" not in status and "0 days ago" not in status


def test_a_point_quoted_from_the_notes_shows_links_as_the_vault_shows_them():
    """One rule for what a wikilink shows (links.shown_text): its alias, else its target's
    name without folder or heading; an embed likewise. Before, the points of a draft kept
    a link's whole target (`People/Ann Lee#Intro`) and the `!` of an embed."""
    from vaultkit.values import discussed_points
    body = ("## Notes\n- Met [[People/Ann Lee#Intro]] and [[Bo Chen|Bo]] about ![[Roadmap]].\n"
            "- Next: [[Plans/Q3 plan]]\n")
    assert discussed_points(body) == ["Met Ann Lee and Bo about Roadmap.", "Next: Q3 plan"]
