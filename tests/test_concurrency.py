"""Concurrent edits: a user keeps saving a contact note
while `vaultkit sync` or `vaultkit watch` works on a large vault.

Another process rewrites one contact note hundreds of times — atomically (a temporary file
renamed over it, as most editors and sync tools do) or in place (open with O_TRUNC and
write, as vim with `backupcopy=yes` and Node's `fs.writeFile` do). Before every save it
checks that its previous save is still there (vaultkit may only have added its block), so
an older version put back at any moment is caught, not only at the end. The saves start
with the run, or the instant vaultkit's temporary file for the note appears (vaultkit is
about to replace it). At the end the note must hold the last save, plus at most a current
managed block; a further `sync` leaves it as it is, or only adds the block.

The last test drives the writer itself against a process that saves the instant each of
vaultkit's temporary files appears: the window between vaultkit's last check and its
rename, which a whole `sync` meets only by chance.

Default: 2,000 notes; `VAULTKIT_HEAVY=1`: 8,000 notes and more writes.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from conftest import ROOT, TODAY

from vaultkit.write import TEMP_PREFIX
from vaultkit.markers import block_spans, check_markers

sys.path.insert(0, str(ROOT / "bench"))
from genvault import generate  # noqa: E402

HEAVY = os.environ.get("VAULTKIT_HEAVY") == "1"
NOTES = 8000 if HEAVY else 2000
WRITES = 1000 if HEAVY else 300
SEED = 11
SOLO = "People/Solo"  # the rewritten note lives alone here, so a temp file there is its own

# The other process. Rewrites one note, each version numbered; before each write it checks
# that the note still holds its previous write (a managed block may follow it), and counts
# the times it does not: each would be an edit lost to vaultkit. Modes: `rename` (a
# temporary dot-file in the same folder, then os.replace) and `inplace` (open with O_TRUNC
# and write). `start`: `now`, or `temp` to wait first until one of vaultkit's temporary
# files appears beside the note, then write at once (vaultkit is about to replace it).
# Stops after `writes` writes, or when the file `stop` appears (then at least `writes`).
WRITER = r"""
import json, os, random, sys, time
path, mode, writes, base_file, start, stop = sys.argv[1:7]
writes = int(writes)
folder = os.path.dirname(path)
base = open(base_file, "rb").read()
rng = random.Random(writes)
print("ready", flush=True)
sys.stdin.readline()
if start == "temp":
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not os.path.exists(stop):
        if any(n.startswith(".vaultkit-tmp-") for n in os.listdir(folder)):
            break
prev, bad, i = base, [], 0
while i < writes or (not os.path.exists(stop) and i < 100 * writes):
    i += 1
    with open(path, "rb") as f:
        now = f.read()
    if not now.startswith(prev):
        bad.append([i - 1, now[-120:].decode("utf-8", "replace")])
    data = base + b"\nUser edit number %d.\n" % i
    if mode == "rename":
        tmp = os.path.join(folder, ".%s.swx" % os.path.basename(path))
        with open(tmp, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    else:
        with open(path, "wb") as f:
            f.write(data)
    prev = data
    time.sleep(rng.random() * 0.004)
print(json.dumps({"last": i, "bad": bad}), flush=True)
"""


def env() -> dict[str, str]:
    e = {k: v for k, v in os.environ.items() if not k.startswith("VAULTKIT_")}
    e["PYTHONPATH"] = str(ROOT) + os.pathsep + e.get("PYTHONPATH", "")
    return e


def vaultkit(*args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "vaultkit", *args], cwd=ROOT, env=env(),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


class Writer:
    """The other process: `go()` starts its writes; `finish()` waits for it, checks that it
    never found an older version, and returns its last write."""

    def __init__(self, note: Path, mode: str, tmp: Path, start: str = "now", writes: int = WRITES):
        self.base = note.read_bytes()
        base_file = tmp / "base.md"
        base_file.write_bytes(self.base)
        self.stop_file = tmp / "stop"
        self.proc = subprocess.Popen(
            [sys.executable, "-c", WRITER, str(note), mode, str(writes), str(base_file), start,
             str(self.stop_file)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        assert self.proc.stdout.readline().strip() == "ready"

    def go(self) -> None:
        self.proc.stdin.write("go\n")
        self.proc.stdin.flush()

    def stop(self) -> None:
        self.stop_file.write_text("")

    def finish(self, timeout: float = 120) -> bytes:
        try:
            out, _ = self.proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            raise
        assert self.proc.returncode == 0
        result = json.loads(out.splitlines()[-1])
        assert result["last"] >= 100
        assert not result["bad"], f"older versions found after these writes: {result['bad'][:3]}"
        return self.base + b"\nUser edit number %d.\n" % result["last"]


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> Path:
    """The generated vault, with one contact moved to a folder of its own."""
    base = tmp_path_factory.mktemp("concurrency") / "original"
    generate(base, NOTES, SEED)
    contacts = sorted(p for p in (base / "People").rglob("*.md")
                      if p.read_bytes().startswith(b"---\ntype: contact\n"))
    assert len(contacts) > 100
    note = contacts[len(contacts) // 2]  # its block is written mid-way through the pass
    (base / SOLO).mkdir(parents=True)
    note.rename(base / SOLO / note.name)
    return base


@pytest.fixture
def vault(generated, tmp_path) -> Path:
    v = tmp_path / "vault"
    shutil.copytree(generated, v)
    return v


def the_note(vault: Path) -> Path:
    [note] = (vault / SOLO).glob("*.md")
    return note


def assert_last_write_plus_at_most_a_block(note: Path, last: bytes) -> bool:
    """True if a managed block follows the last write."""
    data = note.read_bytes()
    assert data.startswith(last), (
        "the note does not hold the user's last write:\n" + data.decode("utf-8", "replace")[-400:])
    rest = data[len(last):]
    if not rest:
        return False
    text = data.decode("utf-8")
    check_markers(text)
    assert [name for name, _, _ in block_spans(text)] == ["connections"]
    assert rest.startswith(b"\n<!-- vaultkit:begin connections -->\n"), rest[:80]
    assert rest.endswith(b"<!-- vaultkit:end connections -->\n")
    return True


def assert_block_is_current(vault: Path, note: Path, last: bytes) -> None:
    """A further sync leaves the note alone if it has its block (so the block was
    current), or only appends the block."""
    had_block = note.read_bytes() != last
    before = note.read_bytes()
    result = subprocess.run([sys.executable, "-m", "vaultkit", "sync", "--vault", str(vault),
                             "--today", TODAY], cwd=ROOT, env=env(), capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    if had_block:
        assert note.read_bytes() == before, "the block written during the edits was not current"
    else:
        assert assert_last_write_plus_at_most_a_block(note, last)
    assert not list(vault.rglob(TEMP_PREFIX + "*"))


def _sync_while_saving(vault, note, writer) -> None:
    """Run `vaultkit sync` while `writer` saves `note`: the last save must stand, with at
    most a current block added."""
    sync = vaultkit("sync", "--vault", str(vault), "--today", TODAY)
    writer.go()
    out, err = sync.communicate(timeout=300)
    writer.stop()
    last = writer.finish()
    assert sync.returncode == 0, out + err
    assert_last_write_plus_at_most_a_block(note, last)
    assert_block_is_current(vault, note, last)


@pytest.mark.parametrize("mode", ["rename", "inplace"])
def test_note_saved_hundreds_of_times_while_sync_reads_and_writes(vault, tmp_path, mode):
    """The saves start with sync and go on until it exits: sync reads the note while it
    changes, plans its block, and must skip it rather than write over a newer save."""
    note = the_note(vault)
    writer = Writer(note, mode, tmp_path)
    _sync_while_saving(vault, note, writer)


@pytest.mark.parametrize("mode", ["rename", "inplace"])
def test_note_saved_just_as_sync_replaces_it(vault, tmp_path, mode):
    """The first save comes the moment sync's temporary file for the note appears (sync is
    about to replace it), then hundreds follow. Whichever way the race goes — the save
    before sync's last check, between the check and the rename, or after the rename —
    sync never puts an older version back."""
    note = the_note(vault)
    writer = Writer(note, mode, tmp_path, start="temp")
    _sync_while_saving(vault, note, writer)


class Watch:
    def __init__(self, vault: Path):
        (vault / ".vaultkit").mkdir(exist_ok=True)
        (vault / ".vaultkit" / "config.toml").write_text("debounce_ms = 100\n")
        self.proc = vaultkit("watch", "--vault", str(vault), "--today", TODAY)
        self.out: list[str] = []
        self.err: list[str] = []
        self.readers = [threading.Thread(target=self._read, args=(s, l), daemon=True)
                        for s, l in ((self.proc.stdout, self.out), (self.proc.stderr, self.err))]
        for r in self.readers:
            r.start()

    @staticmethod
    def _read(stream, lines):
        for line in stream:
            lines.append(line.rstrip("\n"))

    def wait_for(self, predicate, what: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while not predicate():
            if self.proc.poll() is not None:
                pytest.fail(f"watch exited ({self.proc.returncode}) waiting for {what}:\n"
                            + "\n".join(self.out + self.err))
            if time.monotonic() > deadline:
                pytest.fail(f"timed out waiting for {what}:\n" + "\n".join(self.out + self.err))
            time.sleep(0.05)

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(30)
        finally:
            for r in self.readers:
                r.join(5)

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)


@pytest.mark.parametrize("mode", ["rename", "inplace"])
def test_note_saved_hundreds_of_times_while_watch_runs(vault, tmp_path, mode):
    """The saves start with `vaultkit watch` (they meet its first sync) and go on while it
    watches; once they stop, the watcher settles on the last save plus its block."""
    note = the_note(vault)
    writer = Writer(note, mode, tmp_path)
    watch = Watch(vault)
    try:
        writer.go()
        writer.stop()  # after its WRITES saves
        last = writer.finish()
        watch.wait_for(lambda: any(l.startswith("watch: watching") for l in watch.out),
                       "the watcher to start")

        def settled() -> bool:
            data = note.read_bytes()
            return data.startswith(last) and data != last
        watch.wait_for(settled, "the watcher to add its block to the last save")
        assert_last_write_plus_at_most_a_block(note, last)
        assert watch.stop() == 0, "\n".join(watch.out + watch.err)
    finally:
        watch.kill()
    assert_block_is_current(vault, note, last)


# A process that saves a note exactly while vaultkit writes it: it spins until one of
# vaultkit's temporary files appears beside the note, then saves at once (once per
# temporary file, as an editor would), and records each save in `.last` after making it.
AMBUSH = r"""
import os, sys
path, mode = sys.argv[1], sys.argv[2]
folder = os.path.dirname(path)
n = 0
print("ready", flush=True)
def temp():
    return any(name.startswith(".vaultkit-tmp-") for name in os.listdir(folder))
while True:
    while not temp():
        pass
    n += 1
    data = b"user save %d\n" % n
    if mode == "rename":
        with open(os.path.join(folder, ".n.md.swx"), "wb") as f:
            f.write(data)
        os.replace(os.path.join(folder, ".n.md.swx"), path)
    else:
        with open(path, "wb") as f:
            f.write(data)
    with open(os.path.join(folder, ".last"), "wb") as f:
        f.write(data)
    while temp():
        pass
"""


@pytest.mark.parametrize("mode", ["rename", "inplace"])
def test_safe_write_never_replaces_a_save_made_at_the_same_moment(tmp_path, mode):
    """The writer itself, hundreds of times against a process that saves the note the
    moment vaultkit's temporary file appears (before, during or after vaultkit's last
    check and its rename). Each time, once both are done, the note holds the latest save
    — with vaultkit's addition only if vaultkit wrote after it."""
    from vaultkit.errors import WriteConflict
    from vaultkit.files import read_with_state
    from vaultkit.write import safe_write

    vault = tmp_path / "vault"
    vault.mkdir()
    note, last_file = vault / "n.md", vault / ".last"
    note.write_bytes(b"user save 0\n")
    last_file.write_bytes(b"user save 0\n")
    proc = subprocess.Popen([sys.executable, "-c", AMBUSH, str(note), mode],
                            stdout=subprocess.PIPE, text=True)
    lost, written, skipped = [], 0, 0
    try:
        assert proc.stdout.readline().strip() == "ready"
        rounds = 2000 if HEAVY else 250
        deadline = time.monotonic() + (120 if HEAVY else 15)
        while written + skipped < rounds and time.monotonic() < deadline:
            data, state = read_with_state(note)
            if not data.startswith(b"user save"):
                continue  # caught mid-save in place (empty); read again
            try:
                safe_write(vault, "n.md", data + b"vaultkit's block\n", state)
                written += 1
            except WriteConflict:
                skipped += 1
            for wait in (0.003, 0.03):  # let the other process finish the save it began
                time.sleep(wait)
                now, last = note.read_bytes(), last_file.read_bytes()
                if now.startswith(last):
                    break
            else:
                lost.append((last, now))
                note.write_bytes(last)  # go on from the user's version
    finally:
        proc.kill()
        proc.wait()
    assert written + skipped >= min(rounds, 60), "too few rounds to mean anything"
    assert not lost, f"{len(lost)} saves lost in {written + skipped} writes, e.g. {lost[:3]}"
    assert not [p for p in vault.iterdir() if p.name.startswith(TEMP_PREFIX)]
