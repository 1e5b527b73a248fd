"""Reading many notes on two processes: a forked child parses part of them and hands its
records back as data. Parsing is a pure function of a note's bytes, so the result is the
same either way; where forking is missing or unsafe (Windows, one CPU, a process with
threads such as `watch`), or the child fails, the parent does the work itself.
"""

from __future__ import annotations

import logging
import marshal
import os
import select
import signal
import threading
from typing import Callable, Iterable, Iterator

from .closing import drain
from .model import NoteRecord

log = logging.getLogger(__name__)


# ---------------------------------------------------------------------------------------
# Reading many notes

# From this many notes to read, a second process reads and parses notes beside this one.
# Below it the fork and the hand-over cost more than they save.
PARALLEL_MIN_NOTES = 4000


Take = Callable[[list[NoteRecord], dict[str, bytes]], list[NoteRecord]]


def read_notes(read_one: Callable[[str, tuple[int, int]], NoteRecord | None], paths: list[str],
               stats: dict[str, tuple[int, int]],
               progress: Callable[[int, int], None] | None = None,
               before_fork: Callable[[], None] | None = None,
               take: Take | None = None) -> list[NoteRecord]:
    """Read and parse `paths` with `read_one(path, stat)`: the records, in path order.
    `before_fork` runs before a second process is forked (what both would otherwise do
    each: imports). With `take`, each batch of records goes to `take(records, the cache
    encoding of those that already have one)` as it is read (in path order: once the
    batches before it are in), which returns the records to keep.

    Parsing is a pure function of a note's bytes, so when there are many notes and a second
    CPU, a forked child takes batches of notes beside this process and hands back its records in the cache's
    encoding (which the cache then stores as they are). The result is the same either way.
    """
    if len(paths) >= PARALLEL_MIN_NOTES:
        if before_fork is not None:
            before_fork()
        done = _read_notes_forked(read_one, paths, stats, progress, take)
        if done is not None:
            return done
    fresh: list[NoteRecord] = []
    for n, path in enumerate(paths, 1):
        rec = read_one(path, stats[path])
        if rec is not None:
            fresh.append(rec)
        if progress is not None and n % 200 == 0:
            progress(n, len(paths))
    return fresh if take is None else take(fresh, {})


def _can_fork() -> bool:
    if not hasattr(os, "fork") or threading.active_count() != 1:
        return False  # forking a process with threads (the watcher) is not safe
    try:
        cpus = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cpus = os.cpu_count() or 1
    return cpus >= 2


END = object()  # what `Forked.next_chunk` returns once the stream is over


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
        drain()  # (no other thread may run while this one forks)
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
        self._pipe = open(r, "rb", buffering=0)  # unbuffered: `ready` sees what is waiting

    def ready(self) -> bool:
        """Whether a chunk (or the end) is waiting: `next_chunk` would not block long."""
        if self.pid is None:
            return False
        return bool(select.select([self._pipe], [], [], 0)[0])

    def chunks(self) -> Iterator[object]:
        while self.pid is not None:
            chunk = self.next_chunk()
            if chunk is END:
                return
            yield chunk

    def next_chunk(self) -> object:
        """The next chunk; `END` once the stream is over (or broke: see `complete`)."""
        if self.pid is None:
            return END
        head = self._read(self._HEAD)
        size = int.from_bytes(head, "little") if len(head) == self._HEAD else -1
        if size == 0:
            self.complete = True
        data = self._read(size) if size > 0 else b""
        if size <= 0 or len(data) != size:
            self.cancel()
            return END
        try:
            return marshal.loads(data)
        except (ValueError, EOFError, TypeError) as exc:
            log.debug("the second process's result is unreadable (%s)", exc)
            self.cancel()
            return END

    def _read(self, size: int) -> bytes:
        parts, left = [], size
        while left:
            part = self._pipe.read(left)
            if not part:
                break
            parts.append(part)
            left -= len(part)
        return b"".join(parts)

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


# Work is handed out in batches of at least this many notes (or blocks), from one queue
# both processes take from, so that each does as much as it can and both finish together.
BATCH_MIN = 32
_QUEUE_MAX = 2048  # batches (4 bytes each: the queue must fit in a pipe before the fork)


def batches_of(items: list, least: int | None = None) -> list[list]:
    """`items` cut into at most `_QUEUE_MAX` batches of at least `least` (`BATCH_MIN`
    if not given; the last one shorter)."""
    size = max(least or BATCH_MIN, -(-len(items) // _QUEUE_MAX))
    return [items[i:i + size] for i in range(0, len(items), size)]


class TaskQueue:
    """The numbers of `count` batches in a pipe, made before the fork, that both processes
    take from: a read of 4 bytes from a pipe is atomic, so each batch goes to one process,
    in increasing order."""

    def __init__(self, count: int):
        if count > _QUEUE_MAX:
            raise ValueError(f"at most {_QUEUE_MAX} batches, not {count}")
        self._read, write = os.pipe()
        try:
            os.write(write, b"".join(n.to_bytes(4, "little") for n in range(count)))
        finally:
            os.close(write)

    def take(self) -> int | None:
        """The next batch's number; None once every batch is taken."""
        got = os.read(self._read, 4)
        return int.from_bytes(got, "little") if len(got) == 4 else None

    def close(self) -> None:
        os.close(self._read)


def _read_notes_forked(read_one, paths, stats, progress, take: Take | None = None) -> list[NoteRecord] | None:
    from .cache import _MARSHAL_VERSION, record_from_blob, record_to_tuple  # noqa: PLC0415
    batches = batches_of(paths)
    queue = TaskQueue(len(batches))
    next_batch = queue.take

    def read_batch(n: int) -> list[NoteRecord]:
        return [rec for rec in (read_one(p, stats[p]) for p in batches[n]) if rec is not None]

    def read_theirs() -> Iterator[tuple]:
        while (n := next_batch()) is not None:
            # Each record once, in the cache's encoding: the cache stores it as it is and
            # the parent decodes it as the cache would.
            yield n, [(rec.path, rec.size, rec.mtime_ns, marshal.dumps(record_to_tuple(rec), _MARSHAL_VERSION))
                      for rec in read_batch(n)]

    fresh: list[NoteRecord] = []
    waiting: dict[int, tuple] = {}  # batches in before one read earlier (by the other process)
    turn = 0  # the batch `take` gets next: batches go to it in order, so in path order

    def keep(n: int, got: list[NoteRecord], encoded: dict[str, bytes]) -> None:
        # (while the child reads on: this work is shared out too)
        nonlocal turn
        waiting[n] = (got, encoded)
        while turn in waiting:
            got, encoded = waiting.pop(turn)
            fresh.extend(got if take is None else take(got, encoded))
            turn += 1

    child = Forked(read_theirs)
    try:
        if child.pid is None:
            return None
        mine: set[int] = set()
        theirs: set[int] = set()
        done = 0
        # The paths the scan made, not the child's copies: one string per path.
        same = {p: p for p in paths}

        def handed(chunk) -> None:
            nonlocal done
            n, entries = chunk
            theirs.add(n)
            got, encoded = [], {}
            for path, size_, mtime_ns, blob in entries:
                path = same.get(path, path)
                got.append(record_from_blob(path, size_, mtime_ns, blob))
                encoded[path] = blob
            keep(n, got, encoded)
            done += len(batches[n])

        while (n := next_batch()) is not None:
            mine.add(n)
            keep(n, read_batch(n), {})
            done += len(batches[n])
            while child.ready():
                chunk = child.next_chunk()
                if chunk is END:
                    break
                handed(chunk)
            if progress is not None:
                progress(done, len(paths))
        for chunk in child.chunks():
            handed(chunk)
    finally:
        queue.close()
        child.cancel()
    if not child.complete:  # whatever stopped the child happens here again, or does not
        log.debug("the second reader failed; reading its notes here")
        for n in range(len(batches)):
            if n not in mine and n not in theirs:
                keep(n, read_batch(n), {})
    fresh.sort(key=lambda rec: rec.path)
    return fresh
