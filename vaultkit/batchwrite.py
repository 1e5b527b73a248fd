"""Replacements of existing notes made in batches that share their syncs: one pass's
writer makes its block edits through `WriteBatch`, with the promises of `write.safe_write`
for each note (checked, atomic, inside the vault, nothing of the user's lost)."""

from __future__ import annotations

import logging
import os

from .folders import BATCH_NOTES, At, Folders
from .model import FileState
from .libc import libc_error, libc_function
from .write import Swapped, check_rel, locate, put_in_place, unlink_quietly, write_temp

log = logging.getLogger(__name__)

BATCH_SIZE = BATCH_NOTES  # replacements per batch (each holds up to three files open until settled)


class WriteBatch:
    """Replacements of existing notes made together by one pass's writer, with the same
    promises per note as `safe_write` and shared syncs.

    `add` checks the note and writes its temporary file; `flush` makes every temporary file
    of the batch durable at once (one `syncfs` of the vault's file system on Linux; an fsync
    each elsewhere), puts each in place as `safe_write` does (checked again, exchanged),
    makes those renames durable at once, then looks at each replaced file once more and
    removes it (or gives the user's save back). A crash at any point leaves every note
    either as it was or as written, and at most temporary files, which the next pass
    removes."""

    def __init__(self, folders: Folders):
        self.folders = folders
        self._staged: list[tuple[str, At, FileState, int, At, FileState]] = []
        self.paths: set[str] = set()

    def __len__(self) -> int:
        return len(self._staged)

    def add(self, rel: str, data: bytes, expect: FileState) -> None:
        """Stage the replacement of `rel` by `data`: raises, with nothing left behind, what
        `safe_write` raises before it writes (a bad path, a note changed by its stat,
        read-only or not a plain file, a folder refused)."""
        check_rel(rel)
        at = locate(self.folders, rel, create=False)
        fd, tmp, written = write_temp(at, rel, data, expect)
        if not self._staged:
            self.folders.pin()  # no folder handle is closed while the batch holds names in it
        self._staged.append((rel, at, expect, fd, tmp, written))
        self.paths.add(rel)

    def flush(self) -> list[tuple[str, FileState | Exception]]:
        """Put every staged note in place: (path, its new state or what kept it from being
        written), in the order added."""
        staged, self._staged = self._staged, []
        self.paths = set()
        if not staged:
            return []
        results: dict[int, FileState | Exception] = {}
        try:
            try:
                _sync_all(self.folders, [fd for _, _, _, fd, _, _ in staged])
            finally:
                for _, _, _, fd, _, _ in staged:
                    os.close(fd)
        except OSError as exc:
            for n, (_, _, _, _, tmp, _) in enumerate(staged):
                unlink_quietly(tmp)
                results[n] = exc
        later: list[Swapped] = []  # exchanges whose second look waits for the sync
        settling: list[int] = []  # the position in `staged` of each
        try:
            for n, (rel, at, expect, _, tmp, written) in enumerate(staged):
                if n in results:
                    continue
                try:
                    put_in_place(self.folders, at, rel, expect, tmp, written, later)
                    results[n] = written
                except Exception as exc:  # noqa: BLE001 - per note, as safe_write raises it
                    results[n] = exc
                if len(later) > len(settling):
                    settling.append(n)
            if later:
                try:
                    _sync_all(self.folders, [])
                except OSError as exc:
                    log.debug("syncing the batch's renames failed (%s); looking again all the same", exc)
            while later:
                swapped, n = later.pop(0), settling.pop(0)
                try:
                    swapped.settle()
                except Exception as exc:  # noqa: BLE001 - per note
                    results[n] = exc
        finally:
            for swapped in later:  # (only if interrupted: the next pass removes what is left)
                swapped.checked.close()
                swapped.ours.close()
            self.folders.unpin()
        return [(rel, results[n]) for n, (rel, *_) in enumerate(staged)]


def _syncfs():
    """Linux `syncfs`, or None where there is none (loaded once, by `libc_function`)."""
    return libc_function("syncfs", lambda c: (c.c_int,))

# From this many files (or folders) to make durable, one `syncfs` instead of an fsync
# each. Below it the fsyncs cost less: `syncfs` also writes out whatever else waits on
# that file system (another program's files, a folder just copied), which a catch-up
# that writes one or two notes must not wait for.
SYNCFS_MIN = 8


def _sync_all(folders: Folders, fds: list[int]) -> None:
    """Make what was written durable: the files `fds`, or (none given) the renames made in
    the folders the pass touched. From `SYNCFS_MIN` of them, one `syncfs` of the vault's
    file system where there is one (Linux); else an fsync of each file or folder."""
    syncfs = _syncfs()
    many = len(fds) if fds else len(folders.touched)
    if syncfs is not None and folders.root_fd is not None and many >= SYNCFS_MIN:
        if syncfs(folders.root_fd) != 0:
            raise libc_error(folders.root_path)
        return
    for fd in fds:
        os.fsync(fd)
    if not fds:
        folders.flush()
