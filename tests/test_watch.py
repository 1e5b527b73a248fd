"""`vaultkit watch` with a real observer and real file edits.

Two levels: `vaultkit watch` as a real subprocess on a temp vault (what users get), and
the `Watcher` in a thread with recording callbacks (exact batches, supervision). Every
wait polls a condition with a timeout; a sentinel edit stands in for "nothing happened".
"""

from __future__ import annotations

import ast
import datetime as dt
import errno
import logging
import os
import re
import signal
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import pytest
from conftest import ROOT, TODAY, mtimes, run_vaultkit, snapshot, write_files
from watchdog.observers import Observer
from watchdog.observers.polling import PollingObserver

import vaultkit.clock
from vaultkit.batch import apply_batch
from vaultkit import live
from vaultkit.live import ignore_rule, run_watch
from vaultkit.watch import Watcher
from vaultkit.markers import block_inner

CONTACT = "---\ntype: contact\nstatus: met\n---\n"
BASE = {
    ".vaultkit/config.toml": "debounce_ms = 100\n",
    "People/Ann.md": CONTACT + "# Ann\n",
    "People/Bo.md": CONTACT + "# Bo\n",
    "People/Cy.md": CONTACT + "# Cy\n",
    "Notes/Plain.md": "# Plain\n\nNothing yet.\n",
}
WAIT = 10.0


def wait_for(predicate, what: str, timeout: float = WAIT, interval: float = 0.05):
    """Poll `predicate` until it returns something truthy; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout} s waiting for {what}")
        time.sleep(interval)


def block(vault: Path, rel: str, name: str = "connections") -> str:
    try:
        text = (vault / rel).read_text("utf-8")
    except FileNotFoundError:
        return ""
    return block_inner(text, name) or ""


def section(inner: str, title: str) -> list[str]:
    """The list items under `**title**` in a block."""
    m = re.search(rf"\*\*{re.escape(title)}\*\*\n((?:- .*\n)*)", inner)
    return [line[2:] for line in m.group(1).splitlines()] if m else []


def edit(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def add_property(path: Path, line: str) -> None:
    text = path.read_text("utf-8")
    edit(path, text.replace("---\n", f"---\n{line}\n", 1))


# -- `vaultkit watch` as a subprocess ------------------------------------------------------

class WatchProcess:
    """`python -m vaultkit watch` on a vault; collects its output lines as they come."""

    def __init__(self, vault: Path):
        env = {k: v for k, v in os.environ.items() if not k.startswith("VAULTKIT_")}
        env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
        self.vault = vault
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "vaultkit", "watch", "--vault", str(vault), "--today", TODAY],
            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            encoding="utf-8", bufsize=1)
        self.out: list[str] = []
        self.err: list[str] = []
        self._readers = [threading.Thread(target=self._read, args=(s, l), daemon=True)
                         for s, l in ((self.proc.stdout, self.out), (self.proc.stderr, self.err))]
        for r in self._readers:
            r.start()
        self.wait_line(lambda l: l.startswith("watch: watching"), "the watcher to start")

    @staticmethod
    def _read(stream, lines: list[str]) -> None:
        for line in stream:
            lines.append(line.rstrip("\n"))

    def wait_line(self, predicate, what: str, timeout: float = WAIT) -> str:
        def found():
            if self.proc.poll() is not None and not any(predicate(l) for l in self.out):
                pytest.fail(f"vaultkit watch exited ({self.proc.returncode}) while waiting for {what}:\n"
                            + "\n".join(self.out + self.err))
            return next((l for l in self.out if predicate(l)), None)
        try:
            return wait_for(found, what, timeout)
        except pytest.fail.Exception:
            print("stdout:", *self.out, "stderr:", *self.err, sep="\n")
            raise

    def batch_lines(self) -> list[str]:
        return [l for l in self.out if l.startswith("watch: ") and "→" in l]

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 5.0) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            return self.proc.wait(timeout)
        finally:
            for r in self._readers:
                r.join(2)

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(5)


@pytest.fixture
def watching(make_vault):
    """watching(extra_files) -> (vault, WatchProcess) with BASE plus the extra files."""
    procs: list[WatchProcess] = []

    def start(extra: dict[str, str] | None = None) -> tuple[Path, WatchProcess]:
        vault = make_vault({**BASE, **(extra or {})})
        proc = WatchProcess(vault)
        procs.append(proc)
        return vault, proc

    yield start
    for proc in procs:
        proc.kill()


def test_new_referral_shows_in_both_contacts_blocks(watching):
    vault, w = watching()
    add_property(vault / "People/Bo.md", 'referred_by: "[[Ann]]"')
    wait_for(lambda: "[[Bo]]" in section(block(vault, "People/Ann.md"), "Referred you to"),
             "Ann's block to name Bo as referred")
    # Bo's own block is written once the just-saved note has settled.
    wait_for(lambda: "[[Ann]]" in section(block(vault, "People/Bo.md"), "Referred by"),
             "Bo's block to name Ann as referrer")
    assert "[[Bo]]" in (vault / "Referral Index.md").read_text("utf-8")


def test_new_interview_shows_in_the_contacts_block(watching):
    vault, w = watching()
    edit(vault / "Interviews/2026-11-20 Ann.md",
         '---\ntype: interview\ncontact: "[[Ann]]"\ndate: 2026-11-20\nstatus: done\n---\n# Call\n')
    wait_for(lambda: any("2026-11-20 Ann" in l for l in section(block(vault, "People/Ann.md"), "Interviews")),
             "the interview in Ann's block")
    w.wait_line(lambda l: "Interviews/2026-11-20 Ann.md changed" in l, "the batch line")
    wait_for(lambda: list((vault / "Thank-yous").glob("2026-11-20 Ann*.md")), "the thank-you draft")


def test_deleted_note_disappears_from_backlinks(watching):
    vault, w = watching({"Notes/Lunch.md": "# Lunch\n\nWith [[Ann]].\n"})
    assert "[[Lunch]]" in section(block(vault, "People/Ann.md"), "Linked from")
    (vault / "Notes/Lunch.md").unlink()
    wait_for(lambda: "[[Lunch]]" not in block(vault, "People/Ann.md"), "Lunch to leave Ann's backlinks")
    line = w.wait_line(lambda l: "Notes/Lunch.md" in l, "the batch line")
    assert "Notes/Lunch.md (deleted) changed → wrote 1 file (People/Ann.md" in line


def vim_save(note: Path, text: str) -> None:
    """What vim does with `backupcopy=no` on `:w`."""
    probe = note.parent / "4913"
    probe.write_bytes(b"")
    probe.unlink()
    backup = note.with_name(note.name + "~")
    os.rename(note, backup)
    note.write_text(text, encoding="utf-8")
    with open(note, "rb+") as f:
        os.fsync(f.fileno())
    backup.unlink()


def jetbrains_save(note: Path, text: str) -> None:
    """A JetBrains "safe write"."""
    tmp = note.with_name(note.name + "___jb_tmp___")
    old = note.with_name(note.name + "___jb_old___")
    tmp.write_text(text, encoding="utf-8")
    os.rename(note, old)
    os.rename(tmp, note)
    old.unlink()


@pytest.mark.parametrize("save", [vim_save, jetbrains_save], ids=["vim", "jetbrains"])
def test_editor_save_dance_is_one_change(watching, save):
    vault, w = watching()
    save(vault / "Notes/Plain.md", "# Plain\n\nNow about [[Ann]].\n")
    wait_for(lambda: "[[Plain]]" in block(vault, "People/Ann.md"), "Plain in Ann's backlinks")
    w.wait_line(lambda l: "Notes/Plain.md changed" in l, "the batch line")
    save(vault / "Notes/Plain.md", "# Plain\n\nNow about [[Bo]].\n")  # and a second save
    wait_for(lambda: "[[Plain]]" in block(vault, "People/Bo.md"), "Plain in Bo's backlinks")
    assert "[[Plain]]" not in block(vault, "People/Ann.md")
    wait_for(lambda: len([l for l in w.batch_lines() if "Notes/Plain.md changed" in l]) == 2,
             "the second batch line")
    lines = w.batch_lines()
    assert [l.split(" → ")[0] for l in lines] == ["watch: Notes/Plain.md changed"] * 2, lines
    assert not any(re.search(r"4913|~|___jb_", l) for l in lines), lines
    assert sorted(p.name for p in (vault / "Notes").iterdir()) == ["Plain.md"]


def test_burst_of_writes_is_a_few_batches_and_ends_right(watching):
    vault, w = watching({"Notes/Burst.md": "# Burst\n"})
    note = vault / "Notes/Burst.md"
    for i in range(199):
        note.write_text(f"# Burst\n\nVersion {i} about [[Ann]].\n", encoding="utf-8")
        time.sleep(0.001)
    note.write_text("# Burst\n\nFinal: about [[Cy]].\n", encoding="utf-8")
    wait_for(lambda: "[[Burst]]" in block(vault, "People/Cy.md"), "Burst in Cy's backlinks")
    w.wait_line(lambda l: "Notes/Burst.md changed" in l, "the batch line")
    assert "[[Burst]]" not in block(vault, "People/Ann.md")
    batches = [l for l in w.batch_lines() if "Notes/Burst.md" in l]
    assert 1 <= len(batches) <= 3, batches


def test_no_write_loop(watching):
    vault, w = watching()
    add_property(vault / "People/Cy.md", 'referred_by: "[[Bo]]"')
    wait_for(lambda: "[[Bo]]" in section(block(vault, "People/Cy.md"), "Referred by"),
             "Cy's own block (written after it settled)")
    w.wait_line(lambda l: "People/Cy.md settled" in l, "the settled line")
    stamps, lines = mtimes(vault), len(w.out)
    # Our writes come back as events; they must be recognised and write nothing more.
    deadline = time.monotonic() + 2.0
    while time.monotonic() < deadline:
        assert mtimes(vault) == stamps, "a file was written again with no edit in between"
        assert len(w.out) == lines, w.out[lines:]
        time.sleep(0.05)


def test_folder_moved_and_folder_created(watching, tmp_path):
    vault, w = watching({"Notes/Plan.md": "# Plan\n\nAsk [[Ann]].\n", "Projects/Plan.md": "# Plan\n"})
    assert section(block(vault, "People/Ann.md"), "Linked from") == ["[[Notes/Plan|Plan]]"]
    (vault / "Archive/Old").mkdir(parents=True)
    os.rename(vault / "Notes", vault / "Archive/Old/Notes")
    wait_for(lambda: section(block(vault, "People/Ann.md"), "Linked from") == ["[[Archive/Old/Notes/Plan|Plan]]"],
             "Ann's backlink to follow the moved folder")
    # A folder arriving whole (moved in from outside the vault) ...
    outside = tmp_path / "outside" / "Fresh"
    write_files(outside, {"Fresh Note.md": "# Fresh\n\nMet [[Bo]].\n", "Deep/Deeper.md": "[[Bo]] again\n"})
    os.rename(outside, vault / "Fresh")
    # ... and one made and filled at once, before a watch on it can exist.
    (vault / "Made/Sub").mkdir(parents=True)
    edit(vault / "Made/Sub/Quick.md", "# Quick\n\n[[Bo]]\n")
    want = {"[[Fresh Note]]", "[[Deeper]]", "[[Quick]]"}
    wait_for(lambda: want <= set(section(block(vault, "People/Bo.md"), "Linked from")),
             "the new folders' notes in Bo's backlinks")


def test_sync_debris_is_never_acted_on(watching):
    vault, w = watching()
    debris = {
        "People/Bo.sync-conflict-20261128-101010-ABCDEFG.md": CONTACT + 'referred_by: "[[Ann]]"\n',
        "People/.Dee.md.icloud": "bplist00",
        "Notes/~syncthing~Plain.md.tmp": "[[Ann]]\n",
        "Notes/.Plain.md.swp": "[[Ann]]\n",
        "Notes/Plain.md~": "[[Ann]]\n",
        ".trash/Old.md": "[[Ann]]\n",
        ".obsidian/workspace.json": "{}",
        "Templates/vaultkit/agenda.md": "[[Ann]]\n",
    }
    for rel, text in debris.items():
        edit(vault / rel, text)
    edit(vault / "Notes/Sentinel.md", "# Sentinel\n\n[[Ann]]\n")
    wait_for(lambda: "[[Sentinel]]" in block(vault, "People/Ann.md"), "the sentinel edit")
    line = w.wait_line(lambda l: "Sentinel" in l, "the sentinel's batch line")
    assert line == "watch: Notes/Sentinel.md changed → wrote 1 file (People/Ann.md)"
    ann = block(vault, "People/Ann.md")
    assert section(ann, "Linked from") == ["[[Sentinel]]"] and "Referred you to" not in ann, ann
    assert "Referred by" not in block(vault, "People/Bo.md")
    assert len(w.batch_lines()) == 1, w.batch_lines()
    assert not (vault / "People/Dee.md").exists()


def test_sigterm_exits_0_and_releases_the_lock(watching):
    vault, w = watching()
    started = time.monotonic()
    assert w.stop(signal.SIGTERM) == 0
    assert time.monotonic() - started < 5
    assert w.out[-1] == "watch: stopped"
    done = run_vaultkit("sync", "--vault", vault, "--today", TODAY)
    assert done.returncode == 0, done.stderr


def test_ctrl_c_exits_0(watching):
    vault, w = watching()
    assert w.stop(signal.SIGINT) == 0
    assert "Traceback" not in "\n".join(w.err)


def test_sync_runs_beside_watch_and_a_second_watch_is_refused(watching):
    """The lock is held per pass: `sync` runs while `watch` waits for edits; a second
    `watch` on the vault is refused at once, naming the first, and writes nothing."""
    vault, w = watching()
    done = run_vaultkit("sync", "--vault", vault, "--today", TODAY, timeout=30)
    assert done.returncode == 0, done.stderr
    before = snapshot(vault)
    second = run_vaultkit("watch", "--vault", vault, "--today", TODAY, timeout=30)
    assert second.returncode == 2
    assert f"vaultkit watch (pid {w.proc.pid}" in second.stderr
    assert "already watching this vault" in second.stderr
    assert snapshot(vault) == before
    assert w.proc.poll() is None


# -- the Watcher in-process -----------------------------------------------------------------

class Recorder:
    """on_batch that records every batch; `fail` makes the first calls raise."""

    def __init__(self, fail: int = 0, again: set[str] | None = None):
        self.batches: list[tuple[float, set[str]]] = []
        self.fail = fail
        self.again = again or set()
        self.lock = threading.Lock()

    def __call__(self, paths: set[str]) -> set[str]:
        with self.lock:
            self.batches.append((time.monotonic(), set(paths)))
            if self.fail:
                self.fail -= 1
                raise RuntimeError("boom")
            again, self.again = self.again, set()
            return again

    def seen(self) -> set[str]:
        with self.lock:
            return set().union(*(b for _, b in self.batches))

    def count(self) -> int:
        with self.lock:
            return len(self.batches)


@contextmanager
def running(root: Path, on_batch, **options):
    options.setdefault("debounce", 0.05)
    options.setdefault("rescan_every", 3600)
    options.setdefault("on_rescan", set)
    options.setdefault("ignore", ignore_rule())
    watcher = Watcher(root, on_batch, **options)
    thread = threading.Thread(target=watcher.run, daemon=True)
    thread.start()
    assert watcher.ready.wait(5), "the observer did not start"
    try:
        yield watcher
    finally:
        watcher.stop()
        thread.join(5)
        assert not thread.is_alive(), "the watch loop did not return after stop()"


@pytest.fixture
def folder(tmp_path) -> Path:
    root = tmp_path / "v"
    root.mkdir()
    return root


def test_watcher_vim_save_is_one_batch_of_the_note(folder):
    edit(folder / "Note.md", "old\n")
    rec = Recorder()
    with running(folder, rec):
        vim_save(folder / "Note.md", "new\n")
        wait_for(lambda: rec.count() >= 1, "a batch")
        edit(folder / "Sentinel.md", "x")
        wait_for(lambda: "Sentinel.md" in rec.seen(), "the sentinel")
    assert rec.batches[0][1] == {"Note.md"}
    assert rec.seen() == {"Note.md", "Sentinel.md"}


def test_watcher_ignores_debris_at_both_ends_of_moves(folder):
    for sub in ("People", ".obsidian", "Templates/vaultkit"):
        (folder / sub).mkdir(parents=True)
    rec = Recorder()
    with running(folder, rec):
        edit(folder / "Draft.md___jb_tmp___", "x")
        os.rename(folder / "Draft.md___jb_tmp___", folder / "Draft.md")  # dest counts
        edit(folder / ".vaultkit-tmp-0123abcd", "x")
        os.rename(folder / ".vaultkit-tmp-0123abcd", folder / "Ours.md")
        edit(folder / "Gone.md", "x")
        wait_for(lambda: {"Draft.md", "Ours.md", "Gone.md"} <= rec.seen(), "the notes")
        os.rename(folder / "Gone.md", folder / "Gone.md~")  # src counts
        edit(folder / "People/Ann.sync-conflict-20261128-1.md", "x")
        edit(folder / ".obsidian/app.json", "{}")
        edit(folder / "~syncthing~Ann.md.tmp", "x")
        edit(folder / ".Ann.md.icloud", "x")
        edit(folder / "Sentinel.md", "x")
        wait_for(lambda: "Sentinel.md" in rec.seen(), "the sentinel")
    assert rec.seen() == {"Draft.md", "Ours.md", "Gone.md", "Sentinel.md"}


def test_watcher_coalesces_a_storm(folder):
    rec = Recorder()
    with running(folder, rec, debounce=0.1):
        for i in range(200):
            edit(folder / "Burst.md", f"{i}\n")
        wait_for(lambda: rec.count() >= 1, "a batch")
        edit(folder / "Sentinel.md", "x")
        wait_for(lambda: "Sentinel.md" in rec.seen(), "the sentinel")
    burst = [b for _, b in rec.batches if "Burst.md" in b]
    assert 1 <= len(burst) <= 2 and all(b == {"Burst.md"} for b in burst), rec.batches


def test_watcher_folder_event_covers_its_contents(folder):
    rec = Recorder()
    with running(folder, rec):
        write_files(folder.parent / "outside", {"A.md": "a", "B/C.md": "c"})
        os.rename(folder.parent / "outside", folder / "Moved")
        wait_for(lambda: rec.count() >= 1, "a batch")
    assert rec.batches[0][1] == {"Moved"}


def test_handler_exception_does_not_stop_watching(folder):
    calls = {"n": 0}
    base = ignore_rule()

    def ignore(rel: str) -> bool:
        if rel == "Boom.md" and calls["n"] == 0:
            calls["n"] += 1
            raise ValueError("a bug in the ignore rule")
        return base(rel)

    rec = Recorder()
    with running(folder, rec, ignore=ignore) as watcher:
        edit(folder / "Boom.md", "x")
        wait_for(lambda: calls["n"] == 1, "the failing event")
        edit(folder / "After.md", "x")
        wait_for(lambda: "After.md" in rec.seen(), "a later change")
        assert watcher.observer.is_alive() and watcher.restarts == 0


def test_batch_exception_is_logged_and_later_changes_are_processed(folder, caplog):
    rec = Recorder(fail=1)
    with running(folder, rec):
        edit(folder / "First.md", "x")
        wait_for(lambda: rec.count() >= 1, "the failing batch")
        edit(folder / "Second.md", "x")
        wait_for(lambda: "Second.md" in rec.seen(), "a later batch")
    assert any("First.md" in r.getMessage() and r.exc_info for r in caplog.records
               if r.name == "vaultkit.watch"), [r.getMessage() for r in caplog.records]


def test_dead_observer_is_restarted_and_the_vault_rescanned(folder, caplog):
    rec = Recorder()
    with running(folder, rec, on_rescan=lambda: {"Missed.md"}) as watcher:
        dead = watcher.observer
        dead.stop()
        dead.join(5)
        wait_for(lambda: watcher.restarts >= 1, "the observer to be restarted")
        wait_for(lambda: "Missed.md" in rec.seen(), "the rescan's paths")
        assert watcher.observer is not dead and watcher.observer.is_alive()
        edit(folder / "After.md", "x")
        wait_for(lambda: "After.md" in rec.seen(), "a change after the restart")
    assert any("observer stopped" in r.getMessage() for r in caplog.records)


def test_periodic_rescan_feeds_on_batch(folder):
    rec = Recorder()
    with running(folder, rec, rescan_every=0.3, on_rescan=lambda: {"Dropped.md"}) as watcher:
        wait_for(lambda: "Dropped.md" in rec.seen() and watcher.rescans >= 2, "two rescans")


def test_paths_returned_by_on_batch_are_offered_again(folder):
    rec = Recorder(again={"Busy.md"})
    with running(folder, rec):
        edit(folder / "Busy.md", "x")
        wait_for(lambda: rec.count() >= 2, "the second offer")
    (t1, b1), (t2, b2) = rec.batches[:2]
    assert b1 == b2 == {"Busy.md"}
    assert 0.8 <= t2 - t1 <= 3.0


def test_stop_finishes_the_batch_in_hand(folder):
    entered, release, finished = threading.Event(), threading.Event(), threading.Event()

    def slow(paths: set[str]) -> set[str]:
        entered.set()
        release.wait(5)
        finished.set()
        return set()

    watcher = Watcher(folder, slow, debounce=0.05, rescan_every=3600, on_rescan=set,
                      ignore=ignore_rule())
    thread = threading.Thread(target=watcher.run, daemon=True)
    thread.start()
    assert watcher.ready.wait(5)
    edit(folder / "Note.md", "x")
    assert entered.wait(5)
    watcher.stop()
    time.sleep(0.1)  # not the assertion: gives a wrong implementation time to return early
    assert thread.is_alive() and not finished.is_set()
    release.set()
    thread.join(5)
    assert finished.is_set() and not thread.is_alive()


class _FullObserver(Observer):
    """An inotify observer that hits a kernel limit."""

    fail_at = "start"
    code = errno.ENOSPC

    def schedule(self, *args, **kwargs):
        if self.fail_at == "schedule":
            raise OSError(self.code, os.strerror(self.code))
        return super().schedule(*args, **kwargs)

    def start(self):
        raise OSError(self.code, os.strerror(self.code))


@pytest.mark.parametrize("code, where, setting", [
    (errno.ENOSPC, "start", "fs.inotify.max_user_watches"),
    (errno.EMFILE, "schedule", "fs.inotify.max_user_instances"),
])
def test_inotify_limits_explained_then_polling(folder, caplog, code, where, setting):
    factory = type("Full", (_FullObserver,), {"code": code, "fail_at": where})
    rec = Recorder()
    with running(folder, rec, observer_factory=factory) as watcher:
        assert watcher.polling and isinstance(watcher.observer, PollingObserver)
        edit(folder / "Polled.md", "x")
        wait_for(lambda: "Polled.md" in rec.seen(), "a change seen by polling")
    message = next(r.getMessage() for r in caplog.records if setting in r.getMessage())
    assert "sudo sysctl" in message and "polling" in message


@pytest.mark.parametrize("rel", [
    "4913", "Notes/4913", "Note.md~", "Notes/.Note.md.swp", "Note.md.swo", ".Note.md.icloud",
    "People/Ann.sync-conflict-20261128-101010-ABCDEFG.md", "~syncthing~Note.md.tmp",
    "Note.md___jb_tmp___", "Note.md___jb_old___", ".vaultkit-tmp-0a1b2c3d", ".obsidian",
    ".obsidian/workspace.json", ".trash/Old.md", "Notes/.git/HEAD", ".vaultkit/cache.sqlite",
])
def test_ignore_rule_drops_debris(rel):
    assert ignore_rule()(rel)


# Templates folders are watched as sync scans them (their notes are link targets); the
# session keeps their notes out of everything else.
@pytest.mark.parametrize("rel", ["Note.md", "People/Ann Lee.md", "Notes", "Templates/mine.md",
                                 "Templates/vaultkit", "Templates/vaultkit/agenda.md",
                                 "Interviews/2026-11-20 Ann.md", "Notes/v1.2 plan.md"])
def test_ignore_rule_keeps_notes_and_folders(rel):
    assert not ignore_rule()(rel)


# -- live.py in-process ---------------------------------------------------------------------

def test_midnight_rollover_creates_the_new_days_note(make_vault, monkeypatch):
    vault = make_vault(BASE)
    clock = [dt.date(2026, 11, 28)]
    monkeypatch.setattr(vaultkit.clock, "system_today", lambda: clock[0])
    got: list[Watcher] = []
    result: list[int] = []

    def run() -> None:
        result.append(run_watch(vault, None, on_start=got.append))

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    watcher = wait_for(lambda: got and got[0], "the watcher to start")
    try:
        assert (vault / "Follow-ups/2026-11-28.md").exists()
        clock[0] = dt.date(2026, 11, 29)
        wait_for(lambda: (vault / "Follow-ups/2026-11-29.md").exists(), "the new day's note")
        assert "2026-11-29" in (vault / "Follow-ups/2026-11-29.md").read_text("utf-8")
    finally:
        watcher.stop()
        thread.join(10)
    assert result == [0]
    assert run_vaultkit("sync", "--vault", vault, "--today", "2026-11-29").returncode == 0


def test_fixed_today_never_rolls_over(make_vault, monkeypatch):
    vault = make_vault(BASE)
    monkeypatch.setattr(vaultkit.clock, "system_today", lambda: dt.date(2031, 1, 1))
    got: list[Watcher] = []
    thread = threading.Thread(target=run_watch, args=(vault, dt.date(2026, 11, 28)),
                              kwargs={"on_start": got.append}, daemon=True)
    thread.start()
    watcher = wait_for(lambda: got and got[0], "the watcher to start")
    try:
        edit(vault / "Notes/Sentinel.md", "[[Ann]]\n")
        wait_for(lambda: "[[Sentinel]]" in block(vault, "People/Ann.md"), "the sentinel")
        ticks = watcher.ticks
        wait_for(lambda: watcher.ticks >= ticks + 2, "two more ticks")
    finally:
        watcher.stop()
        thread.join(10)
    assert sorted(p.name for p in (vault / "Follow-ups").iterdir()) == ["2026-11-28.md"]


def test_watch_module_imports_no_other_vaultkit_module():
    tree = ast.parse((ROOT / "vaultkit" / "watch.py").read_text("utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            assert node.level == 0 and not (node.module or "").startswith("vaultkit"), ast.dump(node)
        elif isinstance(node, ast.Import):
            assert not any(a.name.startswith("vaultkit") for a in node.names)


def test_queue_overflow_warning_triggers_a_rescan(folder):
    rec = Recorder()
    with running(folder, rec, on_rescan=lambda: {"Lost.md"}) as watcher:
        logging.getLogger("watchdog.observers.inotify_c").warning(
            "Inotify queue overflowed; filesystem events were lost")
        wait_for(lambda: "Lost.md" in rec.seen(), "the rescan after the overflow")
        assert watcher.rescans >= 1


def test_edit_during_the_first_sync_is_picked_up(make_vault, monkeypatch):
    vault = make_vault(BASE)

    class SlowSession(live.Session):
        def sync(self, **kwargs):
            report = super().sync(**kwargs)
            edit(vault / "Notes/During.md", "# During\n\n[[Ann]]\n")  # before any observer runs
            return report

    monkeypatch.setattr(live, "Session", SlowSession)
    got: list[Watcher] = []
    thread = threading.Thread(target=run_watch, args=(vault, dt.date(2026, 11, 28)),
                              kwargs={"on_start": got.append}, daemon=True)
    thread.start()
    watcher = wait_for(lambda: got and got[0], "the watcher to start")
    try:
        wait_for(lambda: "[[During]]" in block(vault, "People/Ann.md"), "the start-up rescan")
    finally:
        watcher.stop()
        thread.join(10)


def test_a_batch_writes_the_affected_blocks_before_the_whole_vault_notes(sample_copy):
    """A contact's new referral: the referrer's block goes to disk in the batch's first
    round, the referral index and today's follow-up note (which list the whole vault and
    grow with it) in the second."""
    from vaultkit.sync import Session
    s = Session(sample_copy, dt.date.fromisoformat(TODAY))
    try:
        s.sync()
        # Marcus was met 23 days ago (within the thank-you window): his new referral also
        # creates a thank-you draft to Hannah.
        referred, referrer = sample_copy / "People/Marcus Oyelaran.md", sample_copy / "People/Hannah Cho.md"
        text = referred.read_text(encoding="utf-8")
        referred.write_text(text.replace("type: contact\n", f'type: contact\nreferred_by: "[[{referrer.stem}]]"\n', 1),
                            encoding="utf-8")
        rel = referred.relative_to(sample_copy).as_posix()
        seen_when_planning_globals = []
        plan_globals = s.plan_globals

        def spy(*args, **kwargs):
            text = referrer.read_text(encoding="utf-8")
            seen_when_planning_globals.append(f"[[{referred.stem}]]" in block_inner(text, "connections"))
            return plan_globals(*args, **kwargs)

        s.plan_globals = spy
        report, later = apply_batch(s, [rel], settle_seconds=0)
        # The referrer's block was on disk before the whole-vault notes were even planned
        # (also when the batch creates a note: the referral's thank-you draft).
        assert seen_when_planning_globals == [True]
        written = report.written_paths
        assert report.created == 1 and any(p.startswith("Thank-yous/") for p in written)
        whole = [p for p in written if p == "Referral Index.md" or p.startswith("Follow-ups/")]
        assert "Referral Index.md" in whole
        first_whole = written.index(whole[0])
        assert referrer.relative_to(sample_copy).as_posix() in written[:first_whole]
        assert later == set()
    finally:
        s.close()
    assert f"[[{referred.stem}]]" in block_inner(referrer.read_text(encoding="utf-8"), "connections")


def test_a_daily_note_made_by_a_batch_is_written_once_with_its_block(make_vault):
    """A batch that creates today's follow-up note fills its block in the same write (no
    second write, no moment with an empty block on disk)."""
    from vaultkit.sync import Session
    vault = make_vault({"People/Ann.md": "---\ntype: contact\nstatus: contacted\nnext_follow_up: 2026-11-20\n---\n"})
    s = Session(vault, dt.date.fromisoformat(TODAY))
    try:
        s.sync()
        daily = vault / "Follow-ups" / "2026-11-28.md"
        daily.unlink()
        s.cache.forget("follow-ups:2026-11-28")
        s.ledger.pop("follow-ups:2026-11-28", None)
        report, _ = apply_batch(s, ["Follow-ups/2026-11-28.md"], settle_seconds=0)
        assert report.written_paths == ["Follow-ups/2026-11-28.md"]
        assert (report.created, report.changed) == (1, 0)
        assert "Ann" in block_inner(daily.read_text(encoding="utf-8"), "follow-ups")
    finally:
        s.close()
