"""Following a vault's file-system events: watchdog, debounce, batching, supervision.

The only user of watchdog. It knows nothing of notes: it is handed an `ignore` rule and
callbacks, and turns a storm of events into a few batches of vault-relative paths.
The event handler only records paths; the loop, in the calling thread, waits for a
quiet period and hands the batch to `on_batch`.
"""

from __future__ import annotations

import errno
import logging
import os
import select
import socket
import threading
import time
from pathlib import Path
from typing import Callable

from watchdog.events import (
    DirCreatedEvent,
    DirDeletedEvent,
    DirMovedEvent,
    FileAttribEvent,
    FileClosedEvent,
    FileCreatedEvent,
    FileDeletedEvent,
    FileModifiedEvent,
    FileMovedEvent,
    FileSystemEvent,
    FileSystemEventHandler,
)
from watchdog.observers import Observer
from watchdog.observers.polling import PollingObserver

log = logging.getLogger(__name__)

# Opened/closed-without-writing events would turn our own reads into batches.
EVENT_TYPES: list[type[FileSystemEvent]] = [
    FileCreatedEvent, FileDeletedEvent, FileModifiedEvent, FileMovedEvent, FileClosedEvent,
    FileAttribEvent, DirCreatedEvent, DirDeletedEvent, DirMovedEvent,
]
_WANTED = frozenset(("created", "deleted", "modified", "moved", "closed", "attrib"))

TICK_SECONDS = 1.0  # on_tick, observer health check
RETRY_SECONDS = 1.0  # paths on_batch asked to look at again
# A file written without pause never falls quiet; process what we have at least this often.
MAX_WAIT_FACTOR = 10
MIN_MAX_WAIT = 2.0

INOTIFY_HELP = {
    errno.ENOSPC: ("fs.inotify.max_user_watches",
                   "the vault has more folders than the inotify watch limit",
                   "sudo sysctl fs.inotify.max_user_watches=524288"),
    errno.EMFILE: ("fs.inotify.max_user_instances",
                   "too many programs are watching files (the inotify instance limit)",
                   "sudo sysctl fs.inotify.max_user_instances=1024"),
}

ObserverFactory = Callable[[], object]
# Where watchdog says the kernel's inotify queue overflowed (events were lost).
OVERFLOW_LOGGERS = ("watchdog.observers.inotify_c", "watchdog.observers.inotify")


class _OverflowAlarm(logging.Filter):
    """Turns watchdog's "queue overflowed" warning into an immediate rescan;
    the periodic rescan covers the case where that warning is not logged at all."""

    def __init__(self, watcher: Watcher):
        super().__init__()
        self.watcher = watcher

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            if "overflow" in str(record.msg).lower():
                self.watcher.request_rescan()
        except Exception:  # noqa: BLE001 - never break logging
            pass
        return True


class _Recorder(FileSystemEventHandler):
    """Runs in watchdog's thread: records paths and wakes the loop. Never raises, since
    an exception here would silently kill the observer thread."""

    def __init__(self, watcher: Watcher):
        self.watcher = watcher

    def dispatch(self, event: FileSystemEvent) -> None:
        try:
            if event.event_type not in _WANTED:
                return
            is_dir = bool(event.is_directory)
            self.watcher.record(event.src_path, is_dir)
            dest = getattr(event, "dest_path", "")
            if dest:
                self.watcher.record(dest, is_dir)
        except BaseException:  # noqa: BLE001 - nothing may escape into watchdog
            try:
                log.exception("watch: could not record the event %r", event)
            except BaseException:  # noqa: BLE001
                pass


class Watcher:
    """Follows `root` and calls `on_batch(paths)` once the events have been quiet for
    `debounce` seconds. Paths `on_batch` returns are offered again about a second later.

    Also, in the same loop: `on_tick()` every second, `on_rescan()` every `rescan_every`
    seconds and after a dead observer was restarted (its paths go through `on_batch`).
    `run()` blocks until `stop()`.
    """

    def __init__(self, root: Path, on_batch: Callable[[set[str]], set[str]], *, debounce: float,
                 rescan_every: float, on_rescan: Callable[[], set[str]],
                 on_tick: Callable[[], None] | None = None, ignore: Callable[[str], bool],
                 retry_after: float = RETRY_SECONDS, observer_factory: ObserverFactory | None = None):
        self.root = os.path.abspath(os.fspath(root))
        self._prefix = self.root.rstrip(os.sep) + os.sep
        self.on_batch = on_batch
        self.on_rescan = on_rescan
        self.on_tick = on_tick
        self.ignore = ignore
        self.debounce = max(0.0, float(debounce))
        self.max_wait = max(MIN_MAX_WAIT, MAX_WAIT_FACTOR * self.debounce)
        self.rescan_every = float(rescan_every)
        self.retry_after = retry_after
        self._observer_factory = observer_factory or Observer
        self.observer = None
        self.polling = False

        self._lock = threading.Lock()
        self._pending: dict[str, bool] = {}  # vault-relative path -> is a folder
        self._last_event = 0.0
        self._armed = False  # the loop is idle: an event must wake it
        self._later: dict[str, float] = {}  # path -> when to offer it again (monotonic)
        self._stopping = False
        self._rescan_requested = False
        # A socket pair, not a threading.Event: stop() may run in a signal handler, which
        # must not take a lock the interrupted main thread might hold.
        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_r.setblocking(False)
        self._wake_w.setblocking(False)

        self.ready = threading.Event()  # set once the observer runs
        self._alarm = _OverflowAlarm(self)
        self.batches = 0
        self.ticks = 0
        self.restarts = 0
        self.rescans = 0

    # -- called from other threads ------------------------------------------------------

    def record(self, path: str | bytes, is_dir: bool = False) -> None:
        """Remember one event's path (absolute or vault-relative); thread-safe, no I/O."""
        rel = self._relative(os.fsdecode(path))
        if rel is None or self.ignore(rel):
            return
        with self._lock:
            self._pending[rel] = self._pending.get(rel, False) or is_dir
            self._last_event = time.monotonic()
            wake = self._armed
            self._armed = False
        if wake:
            self._send_wake()

    def stop(self) -> None:
        """Finish the batch in hand, then return from `run()`. Safe from any thread and
        from a signal handler."""
        self._stopping = True
        self._send_wake()

    def request_rescan(self) -> None:
        """Run `on_rescan()` at the loop's next pass (after a start, or when the OS said
        it dropped events). Thread-safe."""
        self._rescan_requested = True
        self._send_wake()

    @property
    def stopping(self) -> bool:
        return self._stopping

    def _send_wake(self) -> None:
        try:
            self._wake_w.send(b"x")
        except (BlockingIOError, OSError):
            pass  # the buffer is full (the loop will wake anyway) or we are closed

    def _relative(self, path: str) -> str | None:
        if path.startswith(self._prefix):
            rel = path[len(self._prefix):]
        elif os.path.isabs(path):
            return None  # outside the vault (a symlinked folder's target)
        else:
            rel = path
        rel = rel.replace(os.sep, "/").strip("/")
        return rel or None

    # -- the loop -----------------------------------------------------------------------

    def start(self) -> None:
        """Start following events (they are kept until `run()` handles them). `run()`
        calls it if need be; call it first to miss nothing while preparing."""
        if self.observer is None:
            for name in OVERFLOW_LOGGERS:
                logging.getLogger(name).addFilter(self._alarm)
            self._start_observer()
            self.ready.set()

    def run(self) -> None:
        """Watch until `stop()`; every exception from a callback is logged, never fatal."""
        try:
            self.start()
        except BaseException:
            self.close()
            raise
        now = time.monotonic()
        next_tick = now + TICK_SECONDS
        next_rescan = now + self.rescan_every
        try:
            while not self._stopping:
                now = time.monotonic()
                due = min(next_tick, next_rescan, min(self._later.values(), default=next_tick))
                with self._lock:
                    has_pending = bool(self._pending)
                    self._armed = not has_pending
                if not has_pending and not self._rescan_requested:
                    self._sleep(due - now)
                    with self._lock:
                        self._armed = False
                        has_pending = bool(self._pending)
                if self._stopping:
                    break
                if has_pending and not self._wait_for_quiet():
                    break
                batch = self._take_pending()
                now = time.monotonic()
                for path, when in list(self._later.items()):
                    if when <= now:
                        batch.add(path)
                        del self._later[path]
                if now >= next_tick:
                    next_tick = now + TICK_SECONDS
                    self._check_observer(batch)
                    self._call_tick()
                if now >= next_rescan or self._rescan_requested:
                    self._rescan_requested = False
                    next_rescan = now + self.rescan_every
                    batch |= self._rescan()
                if batch:
                    self._run_batch(batch)
        finally:
            self.close()

    def close(self) -> None:
        """Stop the observer; `run()` does this when it returns."""
        for name in OVERFLOW_LOGGERS:
            logging.getLogger(name).removeFilter(self._alarm)
        _stop_quietly(self.observer, join=2.0)
        self._wake_r.close()
        self._wake_w.close()

    def _sleep(self, seconds: float) -> None:
        """Wait up to `seconds` for an event or stop()."""
        if seconds > 0:
            try:
                ready, _, _ = select.select([self._wake_r], [], [], seconds)
            except (InterruptedError, ValueError, OSError):
                ready = []
            if not ready:
                return
        try:
            while self._wake_r.recv(4096):
                pass
        except (BlockingIOError, OSError):
            pass

    def _wait_for_quiet(self) -> bool:
        """Wait until no event has arrived for `debounce` seconds (or `max_wait` passed);
        False if stop() came meanwhile."""
        start = time.monotonic()
        while not self._stopping:
            now = time.monotonic()
            with self._lock:
                quiet_at = self._last_event + self.debounce
            if now >= quiet_at or now - start >= self.max_wait:
                return True
            self._sleep(min(quiet_at, start + self.max_wait) - now)
        return False

    def _take_pending(self) -> set[str]:
        with self._lock:
            pending, self._pending = self._pending, {}
        folders = {p for p, is_dir in pending.items() if is_dir}
        if not folders:
            return set(pending)
        # A folder in the batch covers everything below it: the callback rescans it.
        out = set()
        for path in pending:
            parts = path.split("/")
            if not any("/".join(parts[:i]) in folders for i in range(1, len(parts))):
                out.add(path)
        return out

    def _run_batch(self, batch: set[str]) -> None:
        self.batches += 1
        started = time.perf_counter()
        try:
            again = self.on_batch(set(batch))
        except Exception:  # noqa: BLE001 - a failed batch is logged, the loop goes on
            shown = ", ".join(sorted(batch)[:10]) + (" …" if len(batch) > 10 else "")
            log.exception("watch: processing %d path(s) failed (%s); watching on", len(batch), shown)
            return
        log.debug("watch: batch of %d path(s) in %.1f ms", len(batch), (time.perf_counter() - started) * 1e3)
        if again:
            when = time.monotonic() + self.retry_after
            for path in again:
                self._later.setdefault(path, when)

    def _call_tick(self) -> None:
        self.ticks += 1
        if self.on_tick is None:
            return
        try:
            self.on_tick()
        except Exception:  # noqa: BLE001
            log.exception("watch: the periodic check failed; watching on")

    def _rescan(self) -> set[str]:
        self.rescans += 1
        try:
            return set(self.on_rescan())
        except Exception:  # noqa: BLE001
            log.exception("watch: the periodic rescan failed; watching on")
            return set()

    # -- the observer -------------------------------------------------------------------

    def _start_observer(self) -> None:
        """Start watchdog's observer; on an inotify limit, explain and fall back to polling."""
        if not self.polling:
            observer = self._observer_factory()
            try:
                observer.schedule(_Recorder(self), self.root, recursive=True, event_filter=EVENT_TYPES)
                observer.start()
                self.observer = observer
                return
            except OSError as exc:
                if exc.errno not in INOTIFY_HELP:
                    raise
                setting, what, fix = INOTIFY_HELP[exc.errno]
                log.warning("watch: cannot watch %s: %s (%s, errno %d). Raise `%s` — for example "
                            "`%s`, and add `%s=…` to /etc/sysctl.conf to keep it — then restart "
                            "vaultkit watch. Falling back to polling, which is slower.",
                            self.root, what, exc.strerror or exc, exc.errno, setting, fix,
                            setting)
                _stop_quietly(observer)
                self.polling = True
        observer = PollingObserver()
        observer.schedule(_Recorder(self), self.root, recursive=True, event_filter=EVENT_TYPES)
        observer.start()
        self.observer = observer

    def _observer_ok(self) -> bool:
        observer = self.observer
        if observer is None or not observer.is_alive():
            return False
        return all(e.is_alive() for e in getattr(observer, "emitters", ()))

    def _check_observer(self, batch: set[str]) -> None:
        """A dead observer loses every later event silently: restart it and rescan."""
        if self._observer_ok():
            return
        log.warning("watch: the file-system observer stopped; restarting it and rescanning "
                    "the vault for changes it may have missed")
        _stop_quietly(self.observer)
        try:
            self._start_observer()
        except Exception:  # noqa: BLE001 - try again at the next tick
            log.exception("watch: could not restart the file-system observer; retrying")
            self.observer = None
            return
        self.restarts += 1
        batch |= self._rescan()


def _stop_quietly(observer, join: float = 0.5) -> None:
    if observer is None:
        return
    # An emitter stopped with events in flight logs "queue_events() called when the
    # thread is inactive": expected while stopping, so not shown to the user.
    watchdog_log = logging.getLogger("watchdog")
    level = watchdog_log.level
    watchdog_log.setLevel(logging.CRITICAL)
    try:
        observer.stop()
        if observer.is_alive():
            observer.join(join)
    except Exception:  # noqa: BLE001 - it is being thrown away
        log.debug("watch: stopping the observer failed", exc_info=True)
    finally:
        watchdog_log.setLevel(level)
