"""The one change detector (vaultkit/changes.py) and the passes that use it."""

from __future__ import annotations

import datetime as dt
import os

from conftest import TODAY
from vaultkit.batch import apply_batch, rescan
from vaultkit.changes import Changes, diff_stats


def test_diff_of_two_views_names_added_modified_and_removed_sorted():
    known = {"b.md": (1, 10), "a.md": (2, 20), "gone.md": (3, 30), "same.md": (4, 40)}
    disk = {"same.md": (4, 40), "b.md": (1, 11), "a.md": (5, 20), "z.md": (1, 1), "new.md": (1, 1)}
    found = diff_stats(disk, known)
    assert found == Changes(added=["new.md", "z.md"], modified=["a.md", "b.md"], removed=["gone.md"])
    assert found.paths() == {"new.md", "z.md", "a.md", "b.md", "gone.md"}
    assert not diff_stats(known, dict(known))
    assert diff_stats({}, known).removed == sorted(known)


def test_watch_rescan_and_batch_see_the_same_changes(make_vault):
    """A rescan (batch.rescan) and a batch (batch.apply_batch) find the same added, edited and removed
    notes; a touch (new time, same text) is not an edit."""
    from vaultkit.sync import Session
    vault = make_vault({"People/Ann.md": "---\ntype: contact\n---\nHi\n",
                        "People/Bo.md": "---\ntype: contact\n---\n",
                        "Notes/x.md": "plain\n", "Notes/y.md": "plain\n"})
    s = Session(vault, dt.date.fromisoformat(TODAY))
    try:
        s.sync()
        (vault / "People/Ann.md").write_text("---\ntype: contact\n---\nHi [[Bo]]\n", encoding="utf-8")
        (vault / "Notes/x.md").unlink()
        (vault / "Notes/new.md").write_text("new\n", encoding="utf-8")
        st = os.stat(vault / "Notes/y.md")
        os.utime(vault / "Notes/y.md", ns=(st.st_atime_ns, st.st_mtime_ns + 5_000_000_000))
        assert rescan(s) == {"People/Ann.md", "Notes/x.md", "Notes/new.md", "Notes/y.md"}
        report, _ = apply_batch(s, sorted(rescan(s)), settle_seconds=0)
        assert report.parsed == 2  # Ann and the new note; y.md was only touched
        assert "Notes/x.md" not in s.records and "Notes/new.md" in s.records
        assert rescan(s) == set()  # the touch was taken in too
    finally:
        s.close()
