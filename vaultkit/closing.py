"""Closing files on a second thread: the close that ends a removed file's last use.

When a pass replaces a note, the old version is removed and the file held open to check
it is closed last. That close is where the file system frees the old file (~0.1 ms each
on ext4; a first sync of 10,000 notes replaces 5,500). Nothing waits for that work: the
note is in place and the old file gone from the folder before it. So `close_later`
hands such a descriptor to a thread that closes it, while this one goes on writing.

`drain` waits until every descriptor handed over is closed and the thread has ended:
before a fork (a process must not fork while another of its threads runs) and at the
end of a pass. At most `WAITING` descriptors wait at once (half a write batch: they
come out of the batch's share of the open-files limit, see `folders.py`); beyond that
`close_later` waits for the thread, so a slow disk never runs the process out of them.
"""

from __future__ import annotations

import os
import queue
import threading

from .folders import BATCH_NOTES

WAITING = max(2, BATCH_NOTES // 2)
_queue: queue.Queue[int | None] | None = None
_thread: threading.Thread | None = None
_lock = threading.Lock()  # (a watch may write from more than one thread)


def close_later(fd: int) -> None:
    """Close `fd` soon, on the closing thread (started on first use). The caller must
    not use `fd` again."""
    global _queue, _thread
    with _lock:
        if _thread is None:
            _queue = queue.Queue(WAITING)
            _thread = threading.Thread(target=_close_all, args=(_queue,), name="vaultkit-close", daemon=True)
            _thread.start()
        _queue.put(fd)  # (under the lock: never after a drain's end; the thread needs no lock)


def drain() -> None:
    """Return once every descriptor handed to `close_later` is closed and the closing
    thread has ended (nothing to do if none was)."""
    global _queue, _thread
    with _lock:
        if _thread is None:
            return
        thread, waiting = _thread, _queue
        _thread = _queue = None
    waiting.put(None)
    thread.join()


def _close_all(waiting: queue.Queue[int | None]) -> None:
    while (fd := waiting.get()) is not None:
        try:
            os.close(fd)
        except OSError:
            pass  # (closed all the same: there is nothing to retry)
