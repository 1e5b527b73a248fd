"""A note whose front-matter stops parsing keeps its last good record: one typo rewrites no
other note, and fixing it none either; sync, doctor and watch say so. Real files."""

from __future__ import annotations

from vaultkit.batch import apply_batch

import datetime as dt
import os

from conftest import TODAY, snapshot

ANN = "---\ntype: contact\nname: Ann Lee\ncompany: Acme\n---\nNotes on Ann.\n"


def _broken(text: str) -> str:
    return text.replace("company: Acme\n", "company: Acme: the big one\n")


def _vault(make_vault):
    files = {"People/Ann Lee.md": ANN}
    for who in ("Bo", "Cy", "Dee"):
        files[f"People/{who}.md"] = "---\ntype: contact\nreferred_by: \"[[Ann Lee]]\"\n---\n"
    files["Interviews/2026-11-20 Bo.md"] = ("---\ntype: interview\ncontact: \"[[Bo]]\"\ndate: 2026-11-20\n"
                                            "status: done\n---\n")
    return make_vault(files)


def _write(path, text: str) -> None:
    # A new mtime even on a coarse clock (the cache is keyed by size and mtime), in the
    # past: a note saved this very moment is read but not yet written (watch).
    path.write_text(text, encoding="utf-8")
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns - 60_000_000_000))


def test_a_typo_rewrites_no_other_note_and_neither_does_its_fix(cli, make_vault):
    vault = _vault(make_vault)
    assert cli("sync", "--vault", vault, "--today", TODAY).exit_code == 0
    before = snapshot(vault)
    ann = vault / "People/Ann Lee.md"
    good = ann.read_text()
    BROKEN = _broken(good)
    _write(ann, BROKEN)
    result = cli("sync", "--vault", vault, "--today", TODAY)
    assert result.exit_code == 1
    assert "People/Ann Lee.md:4:" in result.output and "using its last good version" in result.output
    after = snapshot(vault)
    assert after.pop("People/Ann Lee.md") == BROKEN.encode()  # left untouched
    assert {k: v for k, v in before.items() if k != "People/Ann Lee.md"} == after
    # Again, from the cache: still her last good record, still said.
    again = cli("sync", "--vault", vault, "--today", TODAY)
    assert again.exit_code == 1 and "using its last good version" in again.output
    assert snapshot(vault) == {**after, "People/Ann Lee.md": BROKEN.encode()}
    doctor = cli("doctor", "--vault", vault, "--today", TODAY)
    assert "People/Ann Lee.md:4:" in doctor.output and "using its last good version" in doctor.output
    # --rebuild reads every note again, and still keeps her last good record.
    rebuilt = cli("sync", "--vault", vault, "--today", TODAY, "--rebuild")
    assert rebuilt.exit_code == 1 and "using its last good version" in rebuilt.output
    assert snapshot(vault) == {**after, "People/Ann Lee.md": BROKEN.encode()}
    # Fixed: her own block is as before, nothing else is touched.
    _write(ann, good)
    assert cli("sync", "--vault", vault, "--today", TODAY).exit_code == 0
    assert snapshot(vault) == before


def test_a_typo_under_watch_keeps_the_last_good_record(make_vault):
    from vaultkit.sync import Session
    vault = _vault(make_vault)
    s = Session(vault, dt.date.fromisoformat(TODAY))
    try:
        s.sync()
        before = snapshot(vault)
        ann = vault / "People/Ann Lee.md"
        good = ann.read_text()
        _write(ann, _broken(good))
        report, _ = apply_batch(s, ["People/Ann Lee.md"], settle_seconds=0)
        assert report.written_paths == []
        assert any("using its last good version" in p.message for p in report.problems)
        assert s.index.referred_by("People/Ann Lee.md") == ["People/Bo.md", "People/Cy.md", "People/Dee.md"]
        _write(ann, good)
        report, _ = apply_batch(s, ["People/Ann Lee.md"], settle_seconds=0)
        assert report.written_paths == [] and not report.problems
    finally:
        s.close()
    assert snapshot(vault) == before


def test_a_note_broken_from_the_start_stays_broken(cli, make_vault):
    broken = _broken(ANN)
    vault = make_vault({"People/Ann Lee.md": broken, "People/Bo.md": "---\ntype: contact\n---\n[[Ann Lee]]\n"})
    result = cli("sync", "--vault", vault, "--today", TODAY)
    assert result.exit_code == 1 and "last good" not in result.output
    assert (vault / "People/Ann Lee.md").read_text() == broken
