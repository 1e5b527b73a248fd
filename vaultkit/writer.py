"""The write stage of a pass: `Writer` takes the plan's `PlannedWrite`s one at a time, as
the plan yields them, and puts each through the one safe writer (`write.safe_write`).

A block edit is applied here, to the bytes the writer reads, and only if the note is still
what the plan was made from; otherwise the note is reported as changed on disk and left
for the next pass. The writer keeps what the pass reports (counts, paths written, skips,
problems) and the records of the notes it wrote, parsed from the bytes written, for the
index and the cache once the plan is done. With `dry_run` it resolves every write (edits
included, for the diff) and writes nothing.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Callable

from .config import Config, blocked_folders
from .edits import apply_edit, block_edited
from .errors import MarkerError, Problem, UnsafePath, WriteConflict
from .files import sha256_hex
from .folders import FolderRefused, Folders, NotInVault
from .model import FileState, NoteRecord, PlannedWrite, same_output
from .outcome import SyncReport
from .vault import parse_note
from .batchwrite import BATCH_SIZE, WriteBatch
from .write import safe_write


class Writer:
    """One pass's writes, in the order the plan yields them."""

    def __init__(self, vault: Path, cfg: Config, folders: Folders, report: SyncReport, *,
                 dry_run: bool = False, show: Callable[[PlannedWrite], None] | None = None,
                 under_unreadable: Callable[[str], bool] = lambda path: False,
                 on_created: Callable[[str, str], None] = lambda key, path: None,
                 planned_from: Callable[[str], NoteRecord | None] = lambda path: None):
        self.vault = vault
        self.cfg = cfg
        self.folders = folders
        self.report = report
        self.dry_run = dry_run
        self.show = show  # a dry run's: each write as it would be made (the report keeps no bytes)
        self.under_unreadable = under_unreadable
        self.on_created = on_created  # (key, path) of a generated note written
        self.planned_from = planned_from  # the record of a note the plan read (the index's)
        self.blocked = tuple(f + "/" for f in blocked_folders(vault, cfg))
        self.conflicts: list[str] = []  # notes changed on disk since the plan read them
        self.unwritable: set[str] = set()  # folders a write was refused in
        self.unwritten = False  # a write was left out quietly: the pass is not complete
        self.records: list[NoteRecord] = []  # of the notes written, from the bytes written
        self.reindex: list[NoteRecord] = []  # those of them whose links, fields or names changed
        self.stats: dict[str, tuple[int, int]] = {}  # (size, mtime_ns) of the files written
        self._ours: dict[str, FileState] = {}  # what this pass wrote, by path
        # Replacements are made in batches that share their syncs (`write.WriteBatch`):
        # the writes waiting in the batch, reported once it is flushed.
        self._batch = WriteBatch(folders)
        self._waiting: list[PlannedWrite] = []
        self._edited: dict[str, tuple[str, str, bytes]] = {}  # path -> (block, its text, the note's old bytes)

    def write(self, w: PlannedWrite, problems: list[Problem]) -> None:
        """Make one planned write; an edit's own problems (broken markers, an unreadable
        note) go to `problems`, the plan's, those of writing to the report."""
        if w.edit is not None:
            if w.path in self._batch.paths:
                self.flush()  # (its edit applies to the bytes written)
            w = self._resolve(w, problems)
            if w is None:
                return
        report = self.report
        if self.dry_run:
            if self.show is None:
                report.writes.append(w)
            else:
                self.show(w)
                report.writes.append(dataclasses.replace(w, data=b"", old=None, edit=None))
            return
        report.writes.append(dataclasses.replace(w, data=b"", old=None, streamed=True, edit=None))
        if self.blocked and w.path.startswith(self.blocked):
            return  # reported once, by the pass (a file stands where a folder should be)
        folder = w.path.rpartition("/")[0]
        if folder in self.unwritable or self.under_unreadable(w.path):
            self.unwritten = True  # reported once for the folder
            return
        if w.expect is not None and w.path not in self._batch.paths:
            try:
                self._batch.add(w.path, w.data, w.expect)
            except (WriteConflict, UnsafePath, OSError) as exc:
                self.flush()  # (what came before is reported first)
                self._done(w, exc)
                return
            self._waiting.append(w)
            if len(self._batch) >= BATCH_SIZE:
                self.flush()
            return
        self.flush()
        try:
            state = safe_write(self.vault, w.path, w.data, w.expect, folders=self.folders)
        except (WriteConflict, UnsafePath, OSError) as exc:
            state = exc
        self._done(w, state)

    def flush(self) -> None:
        """Put the batch's notes in place and report each, in the order planned."""
        if not self._waiting:
            return
        waiting, self._waiting = self._waiting, []
        for w, (_, state) in zip(waiting, self._batch.flush()):
            self._done(w, state)

    def _done(self, w: PlannedWrite, state: FileState | Exception) -> None:
        """Report one write: made (`state`, the new file's) or not (what kept it)."""
        report = self.report
        if not isinstance(state, FileState):
            self._edited.pop(w.path, None)
        if isinstance(state, WriteConflict):
            report.skipped.append(w.path)
            return
        if isinstance(state, UnsafePath):
            report.problems.append(Problem(w.path, f"refused to write: {state.message}", "write"))
            return
        if isinstance(state, FolderRefused):
            folder = w.path.rpartition("/")[0]
            self.unwritable.add(folder)
            report.problems.append(Problem(folder or ".", "cannot write in this folder "
                                           f"({state.strerror}): its notes are not written; "
                                           "the next sync retries", "write"))
            return
        if isinstance(state, OSError):
            report.problems.append(Problem(w.path, f"cannot write: {state.strerror or state}", "write"))
            return
        if isinstance(state, Exception):
            raise state
        self._ours[w.path] = state
        report.written += 1
        report.written_paths.append(w.path)
        if w.expect is None:
            report.created += 1
            if w.key:
                self.on_created(w.key, w.path)
        else:
            report.changed += 1
        if w.path.endswith(".md"):  # (not the calendar file)
            self.stats[w.path] = (state.size, state.mtime_ns)
            edited = self._edited.pop(w.path, None)
            derived = edited and block_edited(self.planned_from(w.path), *edited, state)
            if derived is not None:
                self.records.append(derived)
            else:
                self._record(parse_note(w.path, w.data, state.size, state.mtime_ns, self.cfg.kind_folders))

    def _record(self, rec: NoteRecord) -> None:
        """Keep the record of a note written. When the write changed only a managed block,
        which feeds no link, edge or name, the record is the planned one with the new
        stat, hash and blocks: it shares the old one's (equal) links and fields, so that a
        first sync holds one copy of them rather than two, and the index needs no update."""
        before = self.planned_from(rec.path)
        if before is not None and same_output(before, dataclasses.replace(rec, blocks=before.blocks)):
            rec = dataclasses.replace(before, size=rec.size, mtime_ns=rec.mtime_ns, sha256=rec.sha256,
                                      blocks=rec.blocks)
        else:
            self.reindex.append(rec)
        self.records.append(rec)

    def _resolve(self, w: PlannedWrite, problems: list[Problem]) -> PlannedWrite | None:
        """A block edit as a write of whole bytes: the note as it is now, with the block set;
        None if there is nothing to write or it must not be written."""
        name, inner = w.edit
        try:
            old, size, mtime_ns = self.folders.read(w.path)
        except (FileNotFoundError, NotInVault):
            return None
        except OSError as exc:
            if not self.under_unreadable(w.path):
                problems.append(Problem(w.path, f"cannot read: {exc.strerror or exc}", "read"))
            self.unwritten = True
            return None
        now = FileState(size, mtime_ns, sha256_hex(old))
        expected = self._ours.get(w.path, w.expect)  # a note this pass wrote: as written
        if now.sha256 != expected.sha256:
            self.conflicts.append(w.path)  # changed since it was read: the next pass plans again
            return None
        try:
            data = apply_edit(old, name, inner)
        except MarkerError as exc:
            problems.append(Problem(w.path, exc.message, "markers", exc.line))
            return None
        if data == old:
            return None
        if not self.dry_run and w.path not in self._ours:
            self._edited[w.path] = (name, inner, old)
        # The old bytes are kept only for --dry-run's diff: a first sync of a large vault
        # would otherwise hold two copies of every note it writes.
        return PlannedWrite(w.path, data, now, w.reason, old=old if self.dry_run else None, key=w.key)
