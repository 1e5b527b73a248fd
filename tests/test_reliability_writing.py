"""Writing (the safe writer, the lock, the watcher's writes), each tried against the real
CLI, the real watcher glue or
the real writer on real files.

The writer's own unit tests are in test_write.py; the crash and concurrency cases at scale
are in test_crash.py and test_concurrency.py. What cannot happen on Linux (a rename that
Windows refuses while an indexer holds the file) goes through the writer's seams
`write._replace` / `write._link` (module attributes meant for this; the files stay real),
and each such test says so.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from conftest import ROOT, TODAY, run_vaultkit, snapshot

from vaultkit import batchwrite, lock, write
from vaultkit.write import TEMP_PREFIX
from vaultkit.markers import block_inner

CONTACT = "---\ntype: contact\n---\n"


def sync(cli, vault, *args):
    return cli("sync", "--vault", vault, "--today", TODAY, *args)


def temp_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob(TEMP_PREFIX + "*"))


def small_vault(make_vault, extra: dict | None = None) -> Path:
    return make_vault({
        "People/Ann.md": CONTACT + "# Ann\n",
        "People/Bo.md": CONTACT + "Met through [[Ann]].\n",
        "Interviews/Call.md": "---\ntype: interview\ncontact: \"[[Ann]]\"\ndate: 2026-11-20\n---\n",
        **(extra or {}),
    })


def exchange_supported(folder: Path) -> bool:
    a, b = folder / ".probe-a", folder / ".probe-b"
    a.write_text("a")
    b.write_text("b")
    try:
        return write._exchange(a, b)
    finally:
        a.unlink()
        b.unlink()


# --- 20 ----------------------------------------------------------------------------------

def test_lost_update_is_skipped_and_retried(cli, make_vault, monkeypatch):
    """The user saves Ann.md after sync read it and before sync writes it (the edit is made
    from the pipeline's call into the writer): the save is kept, the note reported as
    skipped, exit 0; the next sync adds the block to the edited text."""
    vault = small_vault(make_vault)
    real_add = batchwrite.WriteBatch.add  # (a note that exists is replaced through the pass's batch)
    edited = CONTACT + "# Ann\n\nTyped while vaultkit ran.\n"

    def user_saves_first(batch, rel, data, expect):
        if rel == "People/Ann.md":
            (vault / rel).write_text(edited)
        return real_add(batch, rel, data, expect)

    monkeypatch.setattr(batchwrite.WriteBatch, "add", user_saves_first)
    result = sync(cli, vault)
    assert result.exit_code == 0, result.output
    assert "People/Ann.md: changed while vaultkit ran — left as it is; the next sync retries" in result.stderr
    assert "1 skipped" in result.stdout
    assert (vault / "People/Ann.md").read_text() == edited
    monkeypatch.setattr(batchwrite.WriteBatch, "add", real_add)
    again = sync(cli, vault)
    assert again.exit_code == 0 and "skipped" not in again.output
    text = (vault / "People/Ann.md").read_text()
    assert text.startswith(edited) and "[[Bo]]" in block_inner(text, "connections")
    assert temp_files(vault) == []


def test_same_size_same_mtime_edit_is_caught_by_the_hash(cli, make_vault, monkeypatch):
    """An edit of the same length whose mtime is set back (a sync tool restoring times)
    lands while vaultkit writes its temporary file: size and mtime match what was read,
    the hash does not, and the note is not replaced."""
    vault = small_vault(make_vault)
    note = vault / "People/Ann.md"
    original = note.read_bytes()
    real_open_temp = write._open_temp

    def edit_while_the_temp_is_written(folder, mode):
        result = real_open_temp(folder, mode)
        if Path(folder) == note.parent.resolve() and note.read_bytes() == original:
            st = note.stat()
            note.write_bytes(original.replace(b"# Ann", b"# Axe"))
            os.utime(note, ns=(st.st_atime_ns, st.st_mtime_ns))
        return result

    monkeypatch.setattr(write, "_open_temp", edit_while_the_temp_is_written)
    result = sync(cli, vault)
    assert result.exit_code == 0, result.output
    assert "People/Ann.md: changed while vaultkit ran" in result.stderr
    assert note.read_bytes() == original.replace(b"# Ann", b"# Axe")
    assert temp_files(vault) == []


@pytest.mark.parametrize("how", ["rename", "in place"])
def test_save_between_the_last_check_and_the_rename_is_kept(cli, make_vault, monkeypatch, how):
    """The narrowest window: the user saves after vaultkit's last check, just before its
    rename (the edit is made from the `write._replace` seam, then the real rename runs).
    On Linux vaultkit exchanges the names atomically and looks at what it replaced: the
    save is put back and the note reported; nothing is lost."""
    vault = small_vault(make_vault)
    if not exchange_supported(vault):
        pytest.skip("this file system cannot exchange names atomically; the window stays")
    note = vault / "People/Ann.md"
    saved = CONTACT + "# Ann\n\nSaved at the worst moment.\n"
    real_replace = write._replace

    def save_then_rename(src, dst):
        if Path(dst).name == "Ann.md":
            if how == "rename":
                (note.parent / ".Ann.md.swp~").write_text(saved)
                os.replace(note.parent / ".Ann.md.swp~", note)
            else:
                with open(note, "w") as f:
                    f.write(saved)
        return real_replace(src, dst)

    monkeypatch.setattr(write, "_replace", save_then_rename)
    result = sync(cli, vault)
    assert result.exit_code == 0, result.output
    assert note.read_text() == saved
    assert "People/Ann.md: changed while vaultkit ran" in result.stderr
    assert temp_files(vault) == []
    monkeypatch.setattr(write, "_replace", real_replace)
    assert sync(cli, vault).exit_code == 0
    assert note.read_text().startswith(saved) and block_inner(note.read_text(), "connections")


@pytest.mark.parametrize("saves", [1, 2, 3])
def test_saves_racing_the_swap_back_are_all_kept(cli, make_vault, monkeypatch, saves):
    """The user saves (by rename) just before vaultkit's exchange, and again just before
    each exchange it makes to give that save back (made from the `write._exchange` calls
    themselves). The newest save ends at the note or, if a third one lands between
    vaultkit's exchanges, beside it as a conflict copy that `doctor` reports: none lost."""
    vault = small_vault(make_vault)
    if not exchange_supported(vault):
        pytest.skip("this file system cannot exchange names atomically")
    note = vault / "People/Ann.md"
    real_exchange = write._exchange
    made: list[str] = []

    def save_then_exchange(src, dst):
        if Path(dst).name == "Ann.md" and len(made) < saves:
            made.append(CONTACT + f"# Ann\n\nSave {len(made) + 1}.\n")
            (note.parent / ".Ann.md.swx").write_text(made[-1])
            os.replace(note.parent / ".Ann.md.swx", note)
        return real_exchange(src, dst)

    monkeypatch.setattr(write, "_exchange", save_then_exchange)
    result = sync(cli, vault)
    assert result.exit_code == 0, result.output
    assert "People/Ann.md: changed while vaultkit ran" in result.stderr
    copies = sorted((vault / "People").glob("Ann.sync-conflict-*.md"))
    kept = [note.read_text()] + [c.read_text() for c in copies]
    assert made[-1] in kept, "the newest save was lost"
    if saves < 3:
        assert note.read_text() == made[-1] and not copies
    else:
        assert note.read_text() == made[1] and [c.read_text() for c in copies] == [made[2]]
        doctor = cli("doctor", "--vault", vault, "--today", TODAY)
        assert copies[0].name in doctor.output
    assert temp_files(vault) == []


# --- 21 ----------------------------------------------------------------------------------

CRASHING = """
import os, sys
sys.path.insert(0, sys.argv[1])
from vaultkit import lock, write
from vaultkit.cli import main
def crash(*args):
    os._exit(137)  # the process dies here: no cleanup, no finally
setattr(write, sys.argv[2], crash)
main(sys.argv[3:])
"""


def crash_at(seam: str, vault: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", CRASHING, str(ROOT), seam, "sync", "--vault",
                           str(vault), "--today", TODAY], capture_output=True, text=True, timeout=60)


def test_crash_just_before_the_rename(make_vault):
    """The process dies (os._exit, as a power cut or SIGKILL would) with the new text in
    its temporary file, just before the rename: the note is whole and old, the temporary
    file sits in the note's own folder (so the rename would have been atomic), and the
    next run removes it and finishes. At scale: test_crash.py."""
    vault = small_vault(make_vault)
    before = snapshot(vault)
    result = crash_at("_replace", vault)
    assert result.returncode == 137
    after = snapshot(vault)
    for rel, data in before.items():
        assert after[rel] == data, f"{rel} changed although the rename never happened"
    # The writes of one batch are staged before the first is put in place: each temporary
    # file sits beside its own note; the first in path order is Interviews/Call.md's.
    temps = temp_files(vault)
    assert len(temps) == 3 and {t.parent.name for t in temps} == {"Interviews", "People"}
    [temp] = [t for t in temps if t.parent == vault / "Interviews"]
    data = temp.read_bytes()
    assert data.startswith(before["Interviews/Call.md"]) and data.endswith(b"<!-- vaultkit:end links -->\n")
    again = run_vaultkit("sync", "--vault", vault, "--today", TODAY)
    assert again.returncode == 0, again.stderr
    assert temp_files(vault) == []
    assert block_inner((vault / "People/Ann.md").read_text(), "connections")


def test_crash_just_before_a_new_note_is_linked(make_vault):
    """A new note is published by a hard link of its finished temporary file: dying just
    before leaves no note at all (never half a note); the next run creates it."""
    vault = small_vault(make_vault)
    result = crash_at("_link", vault)
    assert result.returncode == 137
    assert not (vault / "Thank-yous").exists() or not list((vault / "Thank-yous").glob("*.md"))
    assert temp_files(vault)
    again = run_vaultkit("sync", "--vault", vault, "--today", TODAY)
    assert again.returncode == 0, again.stderr
    assert temp_files(vault) == []
    [draft] = (vault / "Thank-yous").glob("*.md")
    assert draft.read_text().startswith("---\n") and "vaultkit_key:" in draft.read_text()


# --- 22 ----------------------------------------------------------------------------------

@pytest.mark.parametrize("mode", [0o600, 0o640, 0o664, 0o755])
def test_the_notes_mode_is_kept(cli, make_vault, mode):
    vault = small_vault(make_vault)
    os.chmod(vault / "People/Ann.md", mode)
    assert sync(cli, vault).exit_code == 0
    assert block_inner((vault / "People/Ann.md").read_text(), "connections")
    assert (vault / "People/Ann.md").stat().st_mode & 0o7777 == mode


def test_new_notes_get_the_usual_mode_not_0600(cli, make_vault):
    vault = small_vault(make_vault)
    umask = os.umask(0o022)
    try:
        assert sync(cli, vault).exit_code == 0
    finally:
        os.umask(umask)
    for rel in ("Thank-yous/2026-11-20 Ann - thank-you.md", "Referral Index.md", f"Follow-ups/{TODAY}.md"):
        assert (vault / rel).stat().st_mode & 0o777 == 0o644, rel


def test_symlinked_note_inside_the_vault_is_written_at_its_target(cli, make_vault):
    """`People/Ann.md` is a symlink into a hidden store inside the vault: the block goes
    into the target, and the symlink stays a symlink."""
    vault = small_vault(make_vault, {".store/Ann.md": CONTACT + "# Ann (stored)\n"})
    (vault / "People/Ann.md").unlink()
    (vault / "People/Ann.md").symlink_to(vault / ".store/Ann.md")
    assert sync(cli, vault).exit_code == 0
    assert (vault / "People/Ann.md").is_symlink()
    text = (vault / ".store/Ann.md").read_text()
    assert text.startswith(CONTACT + "# Ann (stored)\n") and "[[Bo]]" in block_inner(text, "connections")


def test_symlinks_out_of_the_vault_are_never_written(cli, make_vault, tmp_path):
    """A note symlinked to a file outside, and a generated-notes folder symlinked to a
    folder outside: nothing outside changes; the thank-you that would go there is
    reported, and everything else is synced (exit 1)."""
    outside = tmp_path / "outside"
    (outside / "drafts").mkdir(parents=True)
    (outside / "Cy.md").write_text(CONTACT + "[[Ann]]\n")
    vault = small_vault(make_vault)
    (vault / "People/Cy.md").symlink_to(outside / "Cy.md")
    (vault / "Thank-yous").symlink_to(outside / "drafts", target_is_directory=True)
    result = sync(cli, vault)
    assert result.exit_code == 1, result.output
    assert "Thank-yous" in result.stderr and "outside the vault" in result.stderr
    assert (outside / "Cy.md").read_text() == CONTACT + "[[Ann]]\n"
    assert list((outside / "drafts").iterdir()) == []
    assert "[[Bo]]" in block_inner((vault / "People/Ann.md").read_text(), "connections")
    assert (vault / f"Follow-ups/{TODAY}.md").exists()


def test_hardlinked_note_is_not_split(cli, make_vault, tmp_path):
    """A contact hard-linked from outside the vault: replacing it would leave the other
    name with the old text, so it is refused, reported by path, and the rest synced."""
    vault = small_vault(make_vault)
    os.link(vault / "People/Ann.md", tmp_path / "Ann elsewhere.md")
    result = sync(cli, vault)
    assert result.exit_code == 1
    assert "People/Ann.md" in result.stderr and "hard link" in result.stderr
    assert (vault / "People/Ann.md").read_text() == CONTACT + "# Ann\n"
    assert os.path.samefile(vault / "People/Ann.md", tmp_path / "Ann elsewhere.md")
    assert block_inner((vault / "People/Bo.md").read_text(), "connections") is not None


# --- 23 ----------------------------------------------------------------------------------

def test_transient_rename_failures_are_retried(cli, make_vault, monkeypatch):
    """Windows refuses a rename while an indexer or antivirus holds the file; Linux never
    does, so the `write._replace` seam raises that PermissionError twice per note, then
    does the real rename: every note is written, no temporary file is left."""
    vault = small_vault(make_vault)
    real_replace = write._replace
    failures: dict[str, int] = {}

    def held_by_an_indexer(src, dst):
        failures[dst] = failures.get(dst, 0) + 1
        if failures[dst] <= 2:
            err = PermissionError(13, "The process cannot access the file because it is being used by another process")
            err.winerror = 32
            raise err
        return real_replace(src, dst)

    monkeypatch.setattr(write, "_replace", held_by_an_indexer)
    monkeypatch.setattr(write, "_REPLACE_DELAY", 0.001)
    result = sync(cli, vault)
    assert result.exit_code == 0, result.output
    assert failures and all(n == 3 for n in failures.values())
    for rel in ("People/Ann.md", "People/Bo.md"):
        assert block_inner((vault / rel).read_text(), "connections") is not None
    assert temp_files(vault) == []


def test_a_rename_that_never_succeeds_is_reported_per_note(cli, make_vault, monkeypatch):
    """Through the same seam: a rename refused every time. Each note is reported with its
    path, left as it was, and no temporary file stays; new notes (published by a link,
    not a rename) are still created, and the next sync writes the rest."""
    vault = small_vault(make_vault)
    before = snapshot(vault)

    def always_held(src, dst):
        raise PermissionError(13, "Access is denied")

    monkeypatch.setattr(write, "_replace", always_held)
    monkeypatch.setattr(write, "_REPLACE_DELAY", 0.001)
    result = sync(cli, vault)
    assert result.exit_code == 1
    for rel in ("People/Ann.md", "People/Bo.md", "Interviews/Call.md"):
        assert f"{rel}: cannot write" in result.stderr, rel
        assert (vault / rel).read_bytes() == before[rel]
    assert (vault / "Thank-yous/2026-11-20 Ann - thank-you.md").exists()
    assert temp_files(vault) == []


def test_notes_that_could_not_be_written_are_retried_by_the_next_sync(cli, make_vault, monkeypatch):
    """After a pass whose renames all failed (the seam again), the next sync must try the
    same notes again — not replay last pass's problems from the no-change shortcut."""
    vault = small_vault(make_vault)

    def always_held(src, dst):
        raise PermissionError(13, "Access is denied")

    monkeypatch.setattr(write, "_replace", always_held)
    monkeypatch.setattr(write, "_REPLACE_DELAY", 0.001)
    assert sync(cli, vault).exit_code == 1
    monkeypatch.undo()
    result = sync(cli, vault)
    assert result.exit_code == 0, result.output
    assert block_inner((vault / "People/Ann.md").read_text(), "connections")


# --- 24 ----------------------------------------------------------------------------------

class Watching:
    def __init__(self, vault: Path):
        env = {k: v for k, v in os.environ.items() if not k.startswith("VAULTKIT_")}
        env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
        self.proc = subprocess.Popen([sys.executable, "-m", "vaultkit", "watch", "--vault", str(vault),
                                      "--today", TODAY], cwd=ROOT, env=env, text=True,
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        self.lines: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()
        deadline = time.monotonic() + 30
        while not any(l.startswith("watch: watching") for l in self.lines):
            assert self.proc.poll() is None, "\n".join(self.lines)
            assert time.monotonic() < deadline, "\n".join(self.lines)
            time.sleep(0.05)

    def _read(self):
        for line in self.proc.stdout:
            self.lines.append(line.rstrip("\n"))

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(10)


def test_new_contact_runs_beside_watch_and_a_killed_watch_leaves_no_stale_lock(make_vault):
    """`new contact` while `vaultkit watch` runs: the lock is held per pass, so it is
    created at once (exit 0) and watch takes it in as it takes an editor's save (Ann's
    block names Dee). After watch is SIGKILLed, a new watch starts at once: the kernel
    dropped both of its locks."""
    vault = small_vault(make_vault, {".vaultkit/config.toml": "debounce_ms = 100\n"})
    watch = Watching(vault)
    try:
        started = time.monotonic()
        result = run_vaultkit("new", "contact", "Dee", "--vault", vault, "--referred-by", "Ann",
                              "--today", TODAY, timeout=30)
        assert result.returncode == 0, result.stdout + result.stderr
        assert time.monotonic() - started < 10
        assert (vault / "People/Dee.md").exists()
        deadline = time.monotonic() + 30
        while "[[Dee]]" not in (block_inner((vault / "People/Ann.md").read_text(), "connections") or ""):
            assert watch.proc.poll() is None, "\n".join(watch.lines)
            assert time.monotonic() < deadline, "\n".join(watch.lines)
            time.sleep(0.05)
    finally:
        watch.kill()
    started = time.monotonic()
    second = Watching(vault)
    try:
        assert time.monotonic() - started < 15, "waited for a lock that died with its holder"
    finally:
        second.kill()
    result = run_vaultkit("new", "contact", "Eve", "--vault", vault, "--today", TODAY)
    assert result.returncode == 0, result.stderr
    assert (vault / "People/Eve.md").exists()


def test_two_syncs_at_once_never_interleave(tmp_path):
    """Two `vaultkit sync` processes started together on 1,000 notes: one waits for the
    other (or gives up with exit 2 naming it); the vault ends exactly as one sync leaves
    it."""
    sys.path.insert(0, str(ROOT / "bench"))
    from genvault import generate
    generate(tmp_path / "a", 1000, 5)
    shutil.copytree(tmp_path / "a", tmp_path / "b")
    assert run_vaultkit("sync", "--vault", tmp_path / "b", "--today", TODAY).returncode == 0
    env = {k: v for k, v in os.environ.items() if not k.startswith("VAULTKIT_")}
    env["PYTHONPATH"] = str(ROOT)
    procs = [subprocess.Popen([sys.executable, "-m", "vaultkit", "sync", "--vault", str(tmp_path / "a"),
                               "--today", TODAY], cwd=ROOT, env=env, text=True,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE) for _ in range(2)]
    outs = [p.communicate(timeout=120) for p in procs]
    codes = sorted(p.returncode for p in procs)
    assert codes in ([0, 0], [0, 2]), outs
    for p, (out, err) in zip(procs, outs):
        if p.returncode == 2:
            assert "locked by vaultkit sync" in err
    assert snapshot(tmp_path / "a") == snapshot(tmp_path / "b")


def test_stale_lock_file_without_flock(cli, make_vault, monkeypatch):
    """Where there is no flock (Windows; the `lock.fcntl` seam set to None), the lock is
    a file: one left by a process that died is taken over with a warning; one held by a
    live process makes sync exit 2, naming it, with the way out."""
    vault = small_vault(make_vault)
    monkeypatch.setattr(lock, "fcntl", None)
    monkeypatch.setattr(lock, "_LOCK_POLL", 0.01)
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    lock_file = vault / ".vaultkit/lock"
    lock_file.parent.mkdir(exist_ok=True)
    holder = {"pid": dead.pid, "owner": "vaultkit watch", "host": socket.gethostname(), "started": "x"}
    lock_file.write_text(json.dumps(holder))
    result = sync(cli, vault)
    assert result.exit_code == 0, result.output
    assert not lock_file.exists()
    lock_file.write_text(json.dumps({**holder, "pid": os.getpid()}))
    before = snapshot(vault)
    result = cli("sync", "--vault", vault, "--today", TODAY, "--rebuild")
    assert result.exit_code == 2
    assert f"pid {os.getpid()}" in result.stderr and str(lock_file) in result.stderr
    assert snapshot(vault) == before


# --- 25 ----------------------------------------------------------------------------------

BEGIN, END = "<!-- vaultkit:begin connections -->", "<!-- vaultkit:end connections -->"


@pytest.mark.parametrize("body, line", [
    (f"{BEGIN}\nold\n", 4),  # missing end
    (f"{BEGIN}\na\n{END}\n\n{BEGIN}\nb\n{END}\n", 8),  # two blocks of one name
    (f"{BEGIN}\n<!-- vaultkit:begin other -->\nx\n<!-- vaultkit:end other -->\n{END}\n", 5),  # nested
    (f"text\n{END}\n", 5),  # end without begin
    (f"<!-- vaultkit:begin other -->\nx\n{END}\n", 6),  # mismatched names
    ("<!-- vaultkit:begin connections-->\nx\n", 4),  # malformed marker
], ids=["missing-end", "duplicate", "nested", "end-only", "mismatched", "malformed"])
def test_broken_markers_leave_the_note_untouched(cli, make_vault, body, line):
    broken = CONTACT + body
    vault = small_vault(make_vault, {"People/Broken.md": broken, "People/Cy.md": CONTACT + "[[Broken]]\n"})
    result = sync(cli, vault)
    assert result.exit_code == 1
    assert f"People/Broken.md:{line}: " in result.stderr, result.stderr
    assert (vault / "People/Broken.md").read_text() == broken
    assert "[[Bo]]" in block_inner((vault / "People/Ann.md").read_text(), "connections")
    assert sync(cli, vault).exit_code == 1  # still reported, still untouched
    assert (vault / "People/Broken.md").read_text() == broken


def test_markers_inside_code_fences_are_only_text(cli, make_vault):
    """Markers quoted in a fenced code block (documentation, say) are text: the real
    block is appended after the fence and the quoted ones stay as they are."""
    doc = CONTACT + f"How vaultkit marks its blocks:\n\n```markdown\n{BEGIN}\nexample\n{END}\n```\n"
    vault = small_vault(make_vault, {"People/Doc.md": doc, "People/Cy.md": CONTACT + "[[Doc]]\n"})
    assert sync(cli, vault).exit_code == 0
    text = (vault / "People/Doc.md").read_text()
    assert text.startswith(doc) and text.count(BEGIN) == 2
    assert "[[Cy]]" in block_inner(text, "connections")
    assert "wrote 0 files" in sync(cli, vault).output


def test_an_unclosed_fence_is_never_appended_into(cli, make_vault):
    """A note ending inside an unclosed fence: a block appended there would be code, and
    the next pass would append another. It is reported and left alone."""
    note = CONTACT + "```\nsome code, never closed\n"
    vault = small_vault(make_vault, {"People/Open.md": note})
    result = sync(cli, vault)
    assert result.exit_code == 1 and "People/Open.md:4: " in result.stderr
    assert (vault / "People/Open.md").read_text() == note


def test_conflict_copies_are_never_written(cli, make_vault):
    """A Syncthing conflict copy holds the same (stale) block: it is never read as a note
    and never written; doctor reports it."""
    stale = CONTACT + f"\n{BEGIN}\nstale\n{END}\n"
    name = "People/Ann.sync-conflict-20261127-101010-ABCDEFG.md"
    vault = small_vault(make_vault, {name: stale})
    assert sync(cli, vault).exit_code == 0
    assert (vault / name).read_text() == stale
    ann = block_inner((vault / "People/Ann.md").read_text(), "connections")
    assert "sync-conflict" not in ann
    assert "sync-conflict" in cli("doctor", "--vault", vault, "--today", TODAY).output


def test_only_the_one_well_formed_block_changes(cli, make_vault):
    """A note with vaultkit's block and a block of another name (a user's or a future
    version's): only `connections` is rewritten, in place; everything else stays."""
    note = (CONTACT + f"Top\n{BEGIN}\nstale\n{END}\nMiddle\n<!-- vaultkit:begin mine -->\n"
            "keep me\n<!-- vaultkit:end mine -->\nBottom\n")
    vault = small_vault(make_vault, {"People/Cy.md": note, "People/Dee.md": CONTACT + "[[Cy]]\n"})
    assert sync(cli, vault).exit_code == 0
    text = (vault / "People/Cy.md").read_text()
    head, tail = note.split("stale\n")
    assert text.startswith(head) and text.endswith(tail)
    assert "[[Dee]]" in block_inner(text, "connections")


# --- 26 ----------------------------------------------------------------------------------

def live_vault(vault: Path):
    from vaultkit.live import LiveVault
    from vaultkit.clock import resolve_today
    from vaultkit.sync import Session
    session = Session(vault, resolve_today(TODAY))
    session.sync()
    if session.index is None:
        session.load()
    return LiveVault(session, resolve_today(TODAY), out=io.StringIO(), err=io.StringIO())


def test_watch_holds_its_writes_to_a_note_saved_a_moment_ago(make_vault):
    """The watcher's batch for a note saved under a second ago writes what the save
    affects elsewhere, but not the note itself (its editor may still hold a buffer); the
    note is written once it has been quiet. Real `LiveVault.on_batch` on real files."""
    vault = small_vault(make_vault)
    live = live_vault(vault)
    try:
        ann = vault / "People/Ann.md"
        ann.write_text(ann.read_text().replace("type: contact\n", "type: contact\nreferred_by: Bo\n"))
        saved = ann.read_bytes()
        later = live.on_batch({"People/Ann.md"})
        assert later == {"People/Ann.md"}
        assert ann.read_bytes() == saved, "written while its editor may still be saving"
        bo = block_inner((vault / "People/Bo.md").read_text(), "connections")
        assert "**Referred you to**\n- [[Ann]]\n" in bo
        time.sleep(1.05)
        live.on_batch(later)
        text = ann.read_text()
        assert text != saved.decode() and "**Referred by**\n- [[Bo]]\n" in block_inner(text, "connections")
        head, tail = saved.decode().split("<!-- vaultkit:begin connections -->\n")
        assert text.startswith(head + "<!-- vaultkit:begin connections -->\n")
    finally:
        live.session.close()


def test_a_stale_buffer_saved_over_our_write_loses_nothing(make_vault):
    """vaultkit wrote Ann's block; then her editor saves its older buffer (without the
    block, with a new line typed). The save is taken as the user's: every line of it is
    kept, and the block comes back once it is quiet."""
    vault = small_vault(make_vault)
    live = live_vault(vault)
    try:
        ann = vault / "People/Ann.md"
        assert block_inner(ann.read_text(), "connections")
        stale = CONTACT + "# Ann\n\nTyped in the stale buffer.\n"
        old = time.time() - 5
        ann.write_text(stale)
        os.utime(ann, (old, old))  # saved a while ago: settled
        live.on_batch({"People/Ann.md"})
        text = ann.read_text()
        assert text.startswith(stale) and "[[Bo]]" in block_inner(text, "connections")
    finally:
        live.session.close()
