"""A watch batch: bring the notes at some paths up to date and write only what they
affect (`apply_batch`), and a cheap rescan of the whole vault for changes the events
missed (`rescan`). Both find what changed with the one change detector
(`changes.diff_stats`) against the records the session holds.
"""

from __future__ import annotations

import os
import time as _time
from typing import Iterable

from .changes import diff_stats
from .errors import Problem
from .model import NoteRecord
from .outcome import SyncReport
from .planning import plan
from .scan import bad_name_problem, is_note_path, scan, utf8_name
from .sync import Session


def rescan(s: Session) -> set[str]:
    """A cheap stat-only reconcile: notes added, removed or changed since we last saw them."""
    result = scan(s.vault)
    s.scan_result = result
    return diff_stats(result.notes, _known_stats(s)).paths()


def _known_stats(s: Session, paths: Iterable[str] | None = None) -> dict[str, tuple[int, int]]:
    """(size, mtime_ns) of the notes this session holds records of (of `paths` only)."""
    records = s.records
    if paths is None:
        return {p: (r.size, r.mtime_ns) for p, r in records.items()}
    return {p: (records[p].size, records[p].mtime_ns) for p in paths if p in records}


def _records_under(s: Session, folder: str) -> set[str]:
    prefix = folder + "/"
    return {p for p in s.records if p.startswith(prefix)}


def _note_stat(s: Session, path: str) -> os.stat_result | None:
    """The stat of the note `path` as the walk takes it: None if it is gone, leads out
    of the vault, or is a symlink to another note (one note, under its own name)."""
    folders = s.folders()
    try:
        at = folders.locate(path)
        st = at.folder.lstat(at.name)
    except OSError:
        return None
    real = at.folder.rel + "/" + at.name if at.folder.rel else at.name
    if real != path and is_note_path(real):
        return None
    return st


def apply_batch(s: Session, paths: Iterable[str], *, settle_seconds: float = 1.0,
                everything: bool = False) -> tuple[SyncReport, set[str]]:
    """Bring the given paths (notes or folders, vault-relative) up to date and write only
    what they affect. Returns the report and the paths to look at again later: notes
    modified less than `settle_seconds` ago are read, but not written to yet, since an
    editor may still be saving them."""
    s.start_pass()  # (a folder refused last time may be fixed meanwhile)
    s.index.track_names()  # a long-lived index: names coming or going stay cheap
    report = SyncReport()
    candidates: set[str] = set()
    for path in paths:
        path = path.strip("/")
        if not path:
            continue
        abs_path = s.vault / path
        if not utf8_name(path):
            report.problems.append(bad_name_problem(path))
            continue
        if os.path.isdir(abs_path) and not os.path.islink(abs_path):
            sub = scan(s.vault, start=path)
            candidates |= set(sub.notes)
            candidates |= _records_under(s, path)
        elif path.endswith(".md"):
            candidates.add(path)
        else:  # not a note: perhaps a folder that was deleted or moved away
            candidates |= _records_under(s, path)
    changes: dict[str, NoteRecord | None] = {}
    later: set[str] = set()
    now = _time.time_ns()
    candidates = {p for p in candidates if is_note_path(p)}
    disk = {}
    for path in candidates:
        st = _note_stat(s, path)
        if st is not None:
            disk[path] = (st.st_size, st.st_mtime_ns)
    found = diff_stats(disk, _known_stats(s, candidates))
    for path in found.removed:
        changes[path] = None
    # Unchanged notes whose writes were held back last time are settled now: plan them.
    recheck = {p for p in s.held & disk.keys() if p in s.records and p not in found.modified}
    for path in sorted(found.added + found.modified):
        rec = s.read_note(path)
        old = s.records.get(path)
        if rec is None:
            if old is not None:
                changes[path] = None
            continue
        if old is not None and old.sha256 == rec.sha256:
            old.size, old.mtime_ns = rec.size, rec.mtime_ns  # touched, not changed
            s.cache.save_records([old], [])
            continue
        changes[path] = rec
        if now - rec.mtime_ns < settle_seconds * 1e9:
            later.add(path)
    changes = dict(sorted(changes.items()))
    report.parsed = sum(1 for r in changes.values() if r is not None)
    if not changes and not recheck and not everything:
        report.notes = len(s.records)  # (watch shows no count)
        s.end_pass()
        return report, later
    affected, refresh_globals = s.take_changes(changes)
    refresh_globals = refresh_globals or everything or s.cfg.referral_index in recheck
    for path, rec in changes.items():
        if rec is not None and not s.excluded(path):
            report.problems.extend(rec.problems)
    # The changed notes' own blocks are written first, as the plan yields them; the
    # notes made from the whole vault (referral index, daily note), whose cost grows
    # with it, are planned after: the blocks an edit affects reach the disk without
    # waiting for them. Writes to notes still being saved are held back.
    problems: list[Problem] = []
    writes = plan(s, problems, None if everything else affected | recheck,
                  refresh_globals=refresh_globals or s.touches_whole_vault_notes(recheck | changes.keys()))
    held = s.write_plan(writes, report, problems, hold=later)
    if s.replan_globals:  # ticks were recorded: today's block is planned again
        s.replan_globals = False
        held += s.write_plan(s.plan_globals(problems=problems), report, problems, hold=later)
    report.problems.extend(problems)
    conflicts = s.conflicts()
    report.skipped.extend(conflicts)
    s.held = (s.held - recheck - set(report.written_paths)) | {w.path for w in held}
    later |= {w.path for w in held} | set(conflicts)
    report.notes = len(s.records)  # (watch shows no count)
    s.end_pass()
    s.cache.set_meta("fingerprint", "")
    s.cache.commit()
    return report, later

