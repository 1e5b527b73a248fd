"""A referral to a person without a contact note is listed by name (no link) with the
command that makes the note, and its referral thank-you is owed as for anyone."""

from __future__ import annotations

import datetime as dt
import shutil

from conftest import TODAY, snapshot

from vaultkit.batch import apply_batch
from vaultkit.markers import block_inner

FILES = {
    ".obsidian/app.json": "{}",
    "People/Ann Lee.md": "---\ntype: contact\n---\n",
    "People/Bo.md": "---\ntype: contact\nreferred_by: Zed Quinn\n---\n",
    "Interviews/2026-11-20 Ann Lee.md": "---\ntype: interview\ncontact: \"[[Ann Lee]]\"\ndate: 2026-11-20\n"
                                        "referrals: [\"[[Cara Diaz]]\"]\n---\n",
    "Interviews/2026-11-21 Bo.md": "---\ntype: interview\ncontact: \"[[Bo]]\"\ndate: 2026-11-21\n---\n",
}
CARA_CMD = '`vaultkit new contact "Cara Diaz" --referred-by "Ann Lee"`'


def _sync(cli, vault, *args):
    result = cli("sync", "--vault", vault, "--today", TODAY, *args)
    assert result.exit_code == 0, result.output
    return result


def test_people_without_a_note_are_listed_by_name_with_the_command(cli, make_vault):
    vault = make_vault(FILES)
    _sync(cli, vault)
    index = block_inner((vault / "Referral Index.md").read_text(), "referrals")
    assert "- [[Ann Lee]]\n  - Cara Diaz\n" in index
    assert f"- Cara Diaz — referred by [[Ann Lee]] · no note yet: {CARA_CMD}" in index
    assert "- Zed Quinn — referred you to [[Bo]] · `vaultkit new contact \"Zed Quinn\"`" in index
    assert "[[Cara Diaz]]" not in index and "[[Zed Quinn]]" not in index
    daily = block_inner((vault / f"Follow-ups/{TODAY}.md").read_text(), "follow-ups")
    assert f"[ ] contact Cara Diaz (referred by [[Ann Lee]]) · no note yet: {CARA_CMD}" in daily
    # Both referral thank-yous are owed and drafted to the referrer (Bo has been met).
    assert "thank [[Ann Lee]] for the referral of Cara Diaz" in daily
    assert "thank Zed Quinn for the referral of [[Bo]]" in daily
    cara = (vault / "Thank-yous/Ann Lee - referral of Cara Diaz.md").read_text()
    assert "Dear Ann,\n" in cara and "introduction to Cara Diaz" in cara
    zed = (vaultkit_file := vault / "Thank-yous/Zed Quinn - referral of Bo.md").read_text()
    assert vaultkit_file.exists() and "Dear Zed,\n" in zed
    ann_thanks = (vault / "Thank-yous/2026-11-20 Ann Lee - thank-you.md").read_text()
    assert "suggesting that I talk with Cara Diaz." in ann_thanks
    interview = block_inner((vault / "Interviews/2026-11-20 Ann Lee.md").read_text(), "links")
    assert "**Referrals from this interview:** Cara Diaz" in interview
    status = cli("status", "--vault", vault, "--today", TODAY).output
    assert "Cara Diaz (referred by Ann Lee)" in status


def test_running_the_command_links_the_person_as_a_full_pass_would(cli, make_vault, tmp_path):
    vault = make_vault(FILES)
    _sync(cli, vault)
    assert "no note yet: " + CARA_CMD in (vault / "Referral Index.md").read_text()
    made = cli("new", "contact", "Cara Diaz", "--vault", vault, "--referred-by", "Ann Lee",
               env={"VAULTKIT_TODAY": TODAY})
    assert made.exit_code == 0, made.output
    _sync(cli, vault)  # an incremental pass, from the cache
    index = block_inner((vault / "Referral Index.md").read_text(), "referrals")
    assert "  - [[Cara Diaz]]\n" in index and "no note yet: `vaultkit new contact \"Cara Diaz\"" not in index
    assert "[[Cara Diaz]]" in block_inner((vault / "People/Ann Lee.md").read_text(), "connections")
    # Only one thank-you for the edge: the draft made while Cara had no note.
    assert sorted(p.name for p in (vault / "Thank-yous").iterdir() if "Cara" in p.name) == \
        ["Ann Lee - referral of Cara Diaz.md"]
    copy = tmp_path / "copy"
    shutil.copytree(vault, copy)
    _sync(cli, copy, "--rebuild")
    assert snapshot(copy) == snapshot(vault)


def test_watch_links_the_person_once_the_note_exists(make_vault):
    from vaultkit.sync import Session
    vault = make_vault(FILES)
    s = Session(vault, dt.date.fromisoformat(TODAY))
    try:
        s.sync()
        assert "- Cara Diaz — referred by" in (vault / "Referral Index.md").read_text()
        (vault / "People/Cara Diaz.md").write_text("---\ntype: contact\n---\n")
        apply_batch(s, ["People/Cara Diaz.md"], settle_seconds=0)
    finally:
        s.close()
    index = block_inner((vault / "Referral Index.md").read_text(), "referrals")
    assert "  - [[Cara Diaz]]\n" in index and "no note yet" not in index.split("## Referrers without")[0]
