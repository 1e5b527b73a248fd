"""`sync --dry-run` plans exactly what `sync` then writes: the same paths, the same bytes.

The dry run applies every block edit to the note as it reads it (for its diff), as the
writer does; so a dry run and the real pass share one plan and one way of applying it.
"""

from __future__ import annotations

import datetime as dt
import json
import sys

from conftest import ROOT, TODAY, snapshot

sys.path.insert(0, str(ROOT / "bench"))
from genvault import generate  # noqa: E402

from vaultkit.sync import Session  # noqa: E402

DAY = dt.date.fromisoformat(TODAY)


def _dry_then_real(vault):
    s = Session(vault, DAY, readonly=True)
    try:
        dry = s.sync(dry_run=True)
    finally:
        s.close()
    before = snapshot(vault)
    s = Session(vault, DAY)
    try:
        real = s.sync()
    finally:
        s.close()
    after = snapshot(vault)
    return dry, real, before, after


def _assert_same(dry, real, before, after):
    planned = {w.path: w.data for w in dry.writes}
    changed = {p for p in after if after[p] != before.get(p)}
    assert set(planned) == changed == set(real.written_paths)
    for path, data in planned.items():
        assert after[path] == data, path
    assert [w.path for w in dry.writes] == [w.path for w in real.writes]  # and in the same order
    assert json.dumps(dry.as_json(True)["planned"]) == json.dumps(real.as_json(False)["planned"])
    assert (dry.created, dry.changed) == (real.created, real.changed)


def test_a_first_dry_run_plans_what_the_first_sync_writes(sample_copy):
    dry, real, before, after = _dry_then_real(sample_copy)
    assert len(dry.writes) > 20
    _assert_same(dry, real, before, after)


def test_after_edits_the_dry_run_plans_what_sync_writes(tmp_path):
    vault = tmp_path / "v"
    generate(vault, 400, seed=3)
    _dry_then_real(vault)  # (the first sync)
    people = sorted((vault / "People").rglob("*.md"))
    contact = next(p for p in people if b"type: contact" in p.read_bytes()[:300])
    plain = next(p for p in sorted((vault / "Notes").rglob("*.md")) if not p.read_bytes().startswith(b"---"))
    with plain.open("a", encoding="utf-8") as fh:
        fh.write(f"\nMet [[{contact.stem}]] again.\n")
    (vault / "Interviews" / "New one.md").write_text(
        f"---\ntype: interview\ncontact: \"[[{contact.stem}]]\"\ndate: {TODAY}\nstatus: done\n---\nGood talk.\n",
        encoding="utf-8")
    dry, real, before, after = _dry_then_real(vault)
    assert dry.created >= 1 and dry.changed >= 2
    _assert_same(dry, real, before, after)


def test_the_cli_dry_run_prints_every_diff_and_keeps_no_note_text(cli, sample_copy):
    """`sync --dry-run` prints each diff as the write is planned; what it prints is the diff
    of every write a Session's dry run keeps in full, in the same order."""
    from vaultkit.outcome import diff_of
    from vaultkit.sync import run_sync
    shown = []
    report = run_sync(sample_copy, DAY, dry_run=True, show=shown.append)
    assert shown and all(w.data == b"" for w in report.writes)  # the report keeps no bytes
    assert [w.path for w in shown] == [w.path for w in report.writes]
    result = cli("sync", "--vault", sample_copy, "--today", TODAY, "--dry-run")
    assert "".join(diff_of(w) for w in shown) in result.stdout
    assert result.stdout.rstrip().splitlines()[-1].startswith("dry run: ")
