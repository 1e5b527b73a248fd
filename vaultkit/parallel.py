"""Reading many notes on two processes: a forked child parses part of them and hands its
records back as data. Parsing is a pure function of a note's bytes, so the result is the
same either way; where forking is missing or unsafe (Windows, one CPU, a process with
threads such as `watch`), or the child fails, the parent does the work itself.
"""

from __future__ import annotations

import logging
import marshal
import os
import signal
import threading
from typing import Callable, Iterable, Iterator

from .model import NoteRecord

log = logging.getLogger(__name__)


# ---------------------------------------------------------------------------------------
# Reading many notes

# From this many notes to read, a second process reads and parses half of them. Below it the
# fork and the hand-over cost more than they save.
PARALLEL_MIN_NOTES = 4000


def read_notes(read_one: Callable[[str, tuple[int, int]], NoteRecord | None], paths: list[str],
               stats: dict[str, tuple[int, int]],
               progress: Callable[[int, int], None] | None = None) -> tuple[list[NoteRecord], dict[str, bytes]]:
    """Read and parse `paths` with `read_one(path, stat)`: (the records, in path order;
    the cache encoding of those that already have one).

    Parsing is a pure function of a note's bytes, so when there are many notes and a second
    CPU, a forked child reads every other note and hands back its records in the cache's
    encoding (which the cache then stores as they are). The result is the same either way.
    """
    if len(paths) >= PARALLEL_MIN_NOTES:
        done = _read_notes_forked(read_one, paths, stats, progress)
        if done is not None:
            return done
    fresh: list[NoteRecord] = []
    for n, path in enumerate(paths, 1):
        rec = read_one(path, stats[path])
        if rec is not None:
            fresh.append(rec)
        if progress is not None and n % 200 == 0:
            progress(n, len(paths))
    return fresh, {}


def _can_fork() -> bool:
    if not hasattr(os, "fork") or threading.active_count() != 1:
        return False  # forking a process with threads (the watcher) is not safe
    try:
        cpus = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cpus = os.cpu_count() or 1
    return cpus >= 2


class Forked:
    """`work()` run in a forked child: an iterable of marshal-able chunks that `chunks()`
    yields to the parent as the child makes them (so neither holds them all at once).
    `complete` tells, once `chunks()` is exhausted, whether every chunk came: if not (no
    second CPU, the fork or the child failed), the caller does the rest of the work itself;
    whatever stopped the child happens again, or not.

    The child never returns into the caller and never runs the parent's exit handlers; it
    must not touch anything shared with the parent but memory (no database, no lock).
    """

    _HEAD = 8  # bytes of a chunk's length; a length of 0 ends the stream

    def __init__(self, work: Callable[[], Iterable[object]]):
        self.pid: int | None = None
        self._pipe = None
        self.complete = False
        if not _can_fork():
            return
        r, w = os.pipe()
        try:
            pid = os.fork()
        except OSError as exc:
            log.debug("cannot fork (%s); doing the work in one process", exc)
            os.close(r)
            os.close(w)
            return
        if pid == 0:
            status = 1
            try:
                os.close(r)
                with open(w, "wb") as pipe:
                    for chunk in work():
                        data = marshal.dumps(chunk)
                        pipe.write(len(data).to_bytes(self._HEAD, "little") + data)
                    pipe.write(bytes(self._HEAD))
                status = 0
            finally:
                os._exit(status)
        self.pid = pid  # (from here on, `cancel` reaps it)
        os.close(w)
        self._pipe = open(r, "rb")

    def chunks(self) -> Iterator[object]:
        while self.pid is not None:
            head = self._pipe.read(self._HEAD)
            size = int.from_bytes(head, "little") if len(head) == self._HEAD else -1
            if size == 0:
                self.complete = True
            data = self._pipe.read(size) if size > 0 else b""
            if size <= 0 or len(data) != size:
                self.cancel()
                return
            try:
                chunk = marshal.loads(data)
            except (ValueError, EOFError, TypeError) as exc:
                log.debug("the second process's result is unreadable (%s)", exc)
                self.cancel()
                return
            yield chunk

    def cancel(self) -> None:
        """Done with the child: reap it (killed if it is still working)."""
        if self.pid is not None:
            pid, self.pid = self.pid, None
            if self._pipe is not None:
                self._pipe.close()
            if not self.complete:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            os.waitpid(pid, 0)


_PARENT_SHARE = frozenset({0, 2, 4, 6, 8})


def _read_notes_forked(read_one, paths, stats, progress) -> tuple[list[NoteRecord], dict[str, bytes]] | None:
    from .cache import _MARSHAL_VERSION, record_from_tuple, record_to_tuple  # noqa: PLC0415
    # The parent also turns the child's records into objects (~1/4 of parsing one), so
    # it parses fewer notes itself: about 5 in 11 (of every 11 notes, the 1st, 3rd,..9th).
    mine = [p for i, p in enumerate(paths) if i % 11 in _PARENT_SHARE]
    theirs = [p for i, p in enumerate(paths) if i % 11 not in _PARENT_SHARE]

    def read_theirs() -> Iterator[list]:
        out = []
        for path in theirs:
            rec = read_one(path, stats[path])
            if rec is not None:
                # The record twice: as data for the parent to load in one go, and in the
                # cache's encoding for the cache to store as it is.
                data = record_to_tuple(rec)
                out.append((rec.path, rec.size, rec.mtime_ns, data, marshal.dumps(data, _MARSHAL_VERSION)))
        yield out

    fresh: list[NoteRecord] = []
    blobs: dict[str, bytes] = {}
    handed: list[NoteRecord] = []
    child = Forked(read_theirs)
    if child.pid is None:
        return None
    try:
        for n, path in enumerate(mine, 1):
            rec = read_one(path, stats[path])
            if rec is not None:
                fresh.append(rec)
            if progress is not None and n % 100 == 0:
                progress(min(n * len(paths) // len(mine), len(paths)), len(paths))
        # The paths the scan made, not the child's copies: one string per path.
        ours = {p: p for p in theirs}
        for entries in child.chunks():
            for path, size, mtime_ns, data, blob in entries:
                path = ours.get(path, path)
                handed.append(record_from_tuple(path, size, mtime_ns, data))
                blobs[path] = blob
            del entries
    finally:
        child.cancel()
    if not child.complete:  # whatever stopped the child happens here again, or does not
        log.debug("the second reader failed; reading its notes here")
        blobs.clear()
        handed = [rec for rec in map(read_one, theirs, [stats[p] for p in theirs]) if rec is not None]
    fresh += handed
    fresh.sort(key=lambda rec: rec.path)
    return fresh, blobs
