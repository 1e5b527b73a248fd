"""`vaultkit watch`: one sync, then the watcher's batches applied to a live session.

The glue between `watch.Watcher` (which knows files, not notes) and `sync.Session`
(which knows notes, not events). Holds the watch lock for the whole run (a second `watch`
is refused) and the vault lock for each pass only (the first sync, each batch), so that
`new`, `sync` and `--regenerate` run beside it; their writes reach it as an editor's do.
"""

from __future__ import annotations

import datetime as dt
import logging
import signal
import sys
import threading
import time
from pathlib import Path
from typing import Callable, Iterable, TextIO

from .batch import apply_batch, rescan
from .errors import LockError, Problem
from . import clock
from .model import NoteRecord
from .sync import Session, SyncReport
from .scan import excluded_dir, is_debris
from .watch import Watcher
from .lock import VaultLock, WatchLock

log = logging.getLogger(__name__)


LOCK_TIMEOUT = 3.0
# A batch waits this long for another command's pass, then is offered again a second later.
BATCH_LOCK_WAIT = 0.5
SHOWN_PATHS = 3  # more changed notes than this are counted, not listed
SHOWN_WRITES = 6
DAY_RETRY_SECONDS = 60.0


def ignore_rule() -> Callable[[str], bool]:
    """Whether the watcher drops a vault-relative path: anything in a dot-folder, and sync
    or editor debris. (A templates folder is watched as sync scans it: its notes are link
    targets, and the session's index keeps them out of everything else.)"""

    def ignore(rel: str) -> bool:
        parts = rel.split("/")
        if any(excluded_dir(part) for part in parts):
            return True
        return is_debris(parts[-1])

    return ignore


class LiveVault:
    """The watcher's callbacks over one `Session`; prints a line per batch that did something."""

    def __init__(self, session: Session, fixed_today: dt.date | None, *,
                 out: TextIO | None = None, err: TextIO | None = None, lock: VaultLock | None = None):
        self.session = session
        self.lock = lock
        self.fixed_today = fixed_today
        self.out = out
        self.err = err
        self.watcher: Watcher | None = None
        self._next_day_try = 0.0

    # -- the callbacks ------------------------------------------------------------------

    def _take_lock(self, wait: float) -> bool:
        """Take the vault lock for one pass (False: another command holds it; try later),
        and see what another process changed in the cache meanwhile."""
        if self.lock is None:
            return True
        if not self._acquire(wait):
            return False
        if self.session.cache.changed_elsewhere():
            # A `sync` or `--regenerate` ran: its generated notes join our ledger, so that
            # one the user deletes is not created again by this watch.
            self.session.ledger.update(self.session.cache.ledger())
        return True

    def _acquire(self, wait: float) -> bool:
        self.lock.timeout = wait
        try:
            self.lock.acquire()
        except LockError as exc:
            if not exc.busy:
                raise
            return False
        return True

    def _release_lock(self) -> None:
        self.session.cache.commit()  # no transaction stays open between passes
        self.session.cache.changed_elsewhere()  # what others commit from now on is news
        if self.lock is not None:
            self.lock.release()

    def on_batch(self, paths: set[str]) -> set[str]:
        """Apply one batch of changed paths under the vault lock; return the paths to look
        at again later (all of them when another command's pass holds the lock)."""
        if not self._take_lock(BATCH_LOCK_WAIT):
            return set(paths)
        try:
            return self._batch(paths)
        finally:
            self._release_lock()

    def _batch(self, paths: set[str]) -> set[str]:
        """Apply one batch of changed paths; return the paths to look at again later.

        A note saved under a second ago is read, but its own writes are held back and it
        comes back here once it has settled; `batch.apply_batch` then plans them again."""
        before = self._records_under(paths)
        held = paths & self.session.held
        report, later = apply_batch(self.session, sorted(paths))
        after = self._records_under(paths)
        ours = {w.path: w for w in report.writes if w.path in set(report.written_paths)}

        def by_user(path: str) -> bool:
            old, new = before.get(path), after.get(path)
            if old is new:
                return False
            w = ours.get(path)
            if w is None:
                return True
            # Written by us in this batch: changed by the user too only if what we read differs.
            return w.expect is not None and (old is None or old.sha256 != w.expect.sha256)

        # (a template or an Excluded file changing is nothing vaultkit acts on)
        changed = sorted(p for p in before.keys() | after.keys() if by_user(p) and not self.session.excluded(p))
        deleted = {p for p in changed if p not in after}
        settled = sorted(held - set(changed))
        if changed or report.written or report.problems or report.skipped:
            parts = [self._describe(changed, deleted) + " changed"] if changed else []
            if settled:
                parts.append(self._describe(settled, set()) + " settled")
            self._report("; ".join(parts) or "nothing changed", report)
        return later

    def on_rescan(self) -> set[str]:
        """The periodic stat-only reconcile: paths that differ from what we last read."""
        return rescan(self.session)

    def on_tick(self) -> None:
        """Once a second: at midnight (local time), move to the new day's follow-up note."""
        if self.fixed_today is not None:
            return
        today = clock.system_today()
        if today == self.session.today or time.monotonic() < self._next_day_try:
            return
        if not self._take_lock(0):
            return  # another command's pass: the next tick tries again
        previous = self.session.today
        self.session.today = today
        try:
            report, later = apply_batch(self.session, (), everything=True)
        except Exception:
            self.session.today = previous  # try again in a while
            self._next_day_try = time.monotonic() + DAY_RETRY_SECONDS
            raise
        finally:
            self._release_lock()
        self._report(f"new day {today.isoformat()}", report)
        if later and self.watcher is not None:
            for path in later:
                self.watcher.record(path)

    # -- output -------------------------------------------------------------------------

    def _records_under(self, paths: Iterable[str]) -> dict[str, NoteRecord]:
        """The session's records for these paths; a path that is not a note is taken as
        a folder (a full pass over the records, so only then)."""
        records = self.session.records
        out: dict[str, NoteRecord] = {}
        for path in paths:
            rec = records.get(path)
            if rec is not None:
                out[path] = rec
            elif not path.endswith(".md"):
                prefix = path.rstrip("/") + "/"
                out.update((p, r) for p, r in records.items() if p.startswith(prefix))
        return out

    @staticmethod
    def _describe(changed: list[str], deleted: set[str]) -> str:
        if len(changed) > SHOWN_PATHS:
            return f"{len(changed)} notes"
        return ", ".join(p + (" (deleted)" if p in deleted else "") for p in changed)

    def _report(self, what: str, report: SyncReport) -> None:
        written = report.written_paths
        if written:
            shown = ", ".join(written[:SHOWN_WRITES])
            if len(written) > SHOWN_WRITES:
                shown += f", … {len(written) - SHOWN_WRITES} more"
            done = f"wrote {len(written)} file{'s' if len(written) != 1 else ''} ({shown})"
        else:
            done = "nothing to write"
        if report.skipped:
            done += (f"; {len(report.skipped)} skipped (changed on disk since read; "
                     "retried in a moment)")
        if report.problems:
            done += f"; {len(report.problems)} problem{'s' if len(report.problems) != 1 else ''}"
        self._print(f"watch: {what} → {done}")
        self._print_problems(report.problems)

    def _print(self, line: str) -> None:
        print(line, file=self.out or sys.stdout, flush=True)

    def _print_problems(self, problems: Iterable[Problem]) -> None:
        for problem in problems:
            print(str(problem), file=self.err or sys.stderr, flush=True)


def run_watch(vault: Path, fixed_today: dt.date | None, *,
              on_start: Callable[[Watcher], None] | None = None) -> int:
    """`vaultkit watch`: lock, sync, then follow edits until SIGTERM / Ctrl-C; exit code.

    `fixed_today` (from `--today`) never rolls over; otherwise today is the local date
    and the day's follow-up note is created at midnight without any file event.
    `on_start` gets the running watcher (tests stop it with it).
    """
    vault = Path(vault)
    with WatchLock(vault):
        lock = VaultLock(vault, timeout=LOCK_TIMEOUT, owner="vaultkit watch")
        with lock:  # (the first sync, in `_watch`, removes what a crashed write left)
            session = Session(vault, fixed_today or clock.system_today())
            session.long_lived = True
        try:
            return _watch(session, fixed_today, on_start, lock)
        finally:
            session.close()


def _watch(session: Session, fixed_today: dt.date | None,
           on_start: Callable[[Watcher], None] | None, lock: VaultLock) -> int:
    live = LiveVault(session, fixed_today, lock=lock)
    cfg = session.cfg
    watcher = Watcher(
        session.vault, live.on_batch,
        debounce=cfg.debounce_ms / 1000,
        rescan_every=cfg.rescan_minutes * 60,
        on_rescan=live.on_rescan,
        on_tick=live.on_tick,
        ignore=ignore_rule(),
    )
    live.watcher = watcher
    restore = _install_signal_handlers(watcher)
    try:
        lock.timeout = LOCK_TIMEOUT
        lock.acquire()
        try:
            report = session.sync()
            if session.index is None:
                session.load()  # sync()'s no-change fast path reads nothing; watch needs the index
        finally:
            live._release_lock()
        live._print_problems(report.problems)
        print(report.summary(), flush=True)
        if not watcher.stopping:  # a SIGTERM during the first sync ends the run here
            # An edit made during the sync is caught by a stat-only rescan once events flow
            # (cheaper than starting the observer first and replaying the sync's own writes).
            watcher.start()
            watcher.request_rescan()
            day = "" if fixed_today is None else f" (today fixed at {fixed_today.isoformat()})"
            print(f"watch: watching {session.vault}{day} — Ctrl-C to stop", flush=True)
            if on_start is not None:
                on_start(watcher)
            watcher.run()
    finally:
        watcher.close()  # when run() did not get to it
        restore()
    print("watch: stopped", flush=True)
    return 0


def _install_signal_handlers(watcher: Watcher) -> Callable[[], None]:
    """SIGTERM and SIGINT stop the watcher after the batch in hand; a second one aborts."""
    if threading.current_thread() is not threading.main_thread():
        return lambda: None  # signals reach only the main thread (in-process tests)

    def handle(signum, frame) -> None:
        if watcher.stopping:
            raise KeyboardInterrupt
        watcher.stop()

    previous = {}
    for sig in (signal.SIGTERM, signal.SIGINT):
        try:
            previous[sig] = signal.signal(sig, handle)
        except (ValueError, OSError):  # not available on this platform
            pass

    def restore() -> None:
        for sig, handler in previous.items():
            signal.signal(sig, handler)

    return restore
