"""Walls: no read or write leaves the vault, and odd input is a problem line, never a crash.

Everything runs the real CLI on real files. Permission tests run vaultkit as a subprocess:
as a normal user directly; as root under `setpriv` with the capabilities that let root
ignore file modes dropped from its bounding set (root would read and write anything).
The race test swaps a folder for a symlink to an outside copy, in a loop, while a
3,000-note first sync runs (longer with VAULTKIT_HEAVY=1).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from conftest import ROOT, TODAY, run_vaultkit, snapshot

from vaultkit import write
from vaultkit.errors import WriteConflict
from vaultkit.files import read_with_state
from vaultkit.markers import block_inner
from vaultkit.write import TEMP_PREFIX, safe_write

sys.path.insert(0, str(ROOT / "bench"))
from genvault import generate  # noqa: E402

HEAVY = os.environ.get("VAULTKIT_HEAVY") == "1"
CONTACT = "---\ntype: contact\n---\n"
INTERVIEW = "---\ntype: interview\ncontact: \"[[Ann]]\"\ndate: 2026-11-20\nstatus: done\n---\n"
PLANNED = "---\ntype: interview\ncontact: \"[[Ann]]\"\ndate: 2026-11-30\n---\n"


def base(extra: dict | None = None) -> dict:
    return {
        "People/Ann.md": CONTACT + "# Ann\n",
        "People/Bo.md": CONTACT + "Met through [[Ann]].\n",
        "Interviews/2026-11-20 Ann.md": INTERVIEW,
        "Interviews/2026-11-30 Ann.md": PLANNED,
        **(extra or {}),
    }


def temp_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob(TEMP_PREFIX + "*"))


def sync(vault: Path, *args: str) -> subprocess.CompletedProcess:
    return run_vaultkit("sync", "--vault", vault, "--today", TODAY, *args)


# --- running without the power to ignore permissions -----------------------------------

SETPRIV = shutil.which("setpriv")
DROP = ["--bounding-set", "-dac_override,-dac_read_search,-fowner", "--"]


def _walls_hold() -> bool:
    """Whether a subprocess of ours is refused a folder with mode 000 (as root: through setpriv)."""
    probe = Path(os.environ.get("TMPDIR", "/tmp")) / f"vaultkit-probe-{os.getpid()}"
    probe.mkdir(exist_ok=True)
    probe.chmod(0)
    try:
        cmd = [sys.executable, "-c", f"import os; os.listdir({str(probe)!r})"]
        if os.geteuid() == 0:
            if not SETPRIV:
                return False
            cmd = [SETPRIV, *DROP, *cmd]
        return subprocess.run(cmd, capture_output=True).returncode != 0
    finally:
        probe.chmod(0o755)
        probe.rmdir()


needs_walls = pytest.mark.skipif(not hasattr(os, "geteuid") or not _walls_hold(),
                                 reason="cannot run vaultkit without the power to ignore file modes")


def walled(*args: str) -> subprocess.CompletedProcess:
    """`vaultkit ARGS` in a subprocess that file modes apply to (root: under setpriv)."""
    env = dict(os.environ)
    env.pop("VAULTKIT_VAULT", None)
    env.pop("VAULTKIT_TODAY", None)
    cmd = [sys.executable, "-m", "vaultkit", *map(str, args)]
    if os.geteuid() == 0:
        cmd = [SETPRIV, *DROP, *cmd]
    return subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


@pytest.fixture
def restore_modes():
    """Paths whose mode a test changes get 0o755 back, so that the temp folder can go."""
    changed: list[Path] = []
    yield changed
    for path in changed:
        if path.exists() or path.is_symlink():
            path.chmod(0o755)


# --- 1 and 11: a folder swapped for a symlink while sync writes --------------------------

def test_race_folder_swapped_for_a_symlink_never_moves_a_write_out_of_the_vault(tmp_path):
    """While a first sync of ~3,000 notes writes, another thread renames `People/` away
    (inside the vault) and puts a symlink to an outside copy in its place, over and over:
    not one file outside the vault changes, and no temporary file is left anywhere."""
    vault = tmp_path / "vault"
    generate(vault, 3000 if HEAVY else 1500, 7)
    outside = tmp_path / "outside"
    shutil.copytree(vault / "People", outside / "People")
    before = snapshot(outside)
    people, away = vault / "People", vault / ".People-away"
    stop = threading.Event()
    swaps = [0]

    def swapper() -> None:
        while not stop.is_set():
            try:
                os.rename(people, away)
                os.symlink(outside / "People", people)
                time.sleep(0.002)
                os.unlink(people)
                os.rename(away, people)
                swaps[0] += 1
            except OSError:
                pass
            time.sleep(0.001)

    rounds = 5 if HEAVY else 1
    for _ in range(rounds):
        stop.clear()
        thread = threading.Thread(target=swapper, daemon=True)
        thread.start()
        try:
            result = sync(vault)
        finally:
            stop.set()
            thread.join(5)
        if people.is_symlink():
            people.unlink()
        if away.exists():
            os.rename(away, people)
        assert result.returncode in (0, 1), result.stderr
        assert "Traceback" not in result.stderr
        assert snapshot(outside) == before, "a file outside the vault changed"
        assert temp_files(vault) == [] and temp_files(outside) == []
    assert swaps[0] > 10, "the swapper never ran"
    # With the folder left alone, the next sync finishes the work.
    assert sync(vault).returncode == 0
    assert snapshot(outside) == before


def test_folder_moved_away_mid_write_is_a_conflict_and_leaves_no_temp_file(tmp_path, monkeypatch):
    """Through the `_open_temp` seam: the note's folder is renamed away (and a symlink to
    an outside folder put in its place) just after the temporary file is made. The write
    is a WriteConflict ("changed while vaultkit ran"), the outside folder is untouched,
    and the temporary file is removed through the folder's handle, not the old path."""
    vault = tmp_path / "vault"
    (vault / "People").mkdir(parents=True)
    (vault / "People/Ann.md").write_text("old\n")
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "Ann.md").write_text("outside\n")
    _, state = read_with_state(vault / "People/Ann.md")
    real_open_temp = write._open_temp

    def swap_after_temp(folder, mode):
        made = real_open_temp(folder, mode)
        os.rename(vault / "People", vault / "Moved")
        os.symlink(outside, vault / "People")
        return made

    monkeypatch.setattr(write, "_open_temp", swap_after_temp)
    with pytest.raises(WriteConflict, match="changed while vaultkit ran"):
        safe_write(vault, "People/Ann.md", b"new\n", state)
    assert (outside / "Ann.md").read_text() == "outside\n" and sorted(os.listdir(outside)) == ["Ann.md"]
    assert (vault / "Moved/Ann.md").read_text() == "old\n"
    assert temp_files(vault) == [] and temp_files(outside) == []


def test_new_note_in_a_folder_swapped_for_a_symlink_is_not_created_outside(tmp_path, monkeypatch):
    """The same swap while a new note is created: it is not linked into the outside folder."""
    vault = tmp_path / "vault"
    (vault / "Thank-yous").mkdir(parents=True)
    outside = tmp_path / "outside"
    outside.mkdir()
    real_open_temp = write._open_temp

    def swap_after_temp(folder, mode):
        made = real_open_temp(folder, mode)
        os.rename(vault / "Thank-yous", vault / "Moved")
        os.symlink(outside, vault / "Thank-yous")
        return made

    monkeypatch.setattr(write, "_open_temp", swap_after_temp)
    with pytest.raises(WriteConflict, match="changed while vaultkit ran"):
        safe_write(vault, "Thank-yous/new.md", b"new\n", None)
    assert os.listdir(outside) == [] and os.listdir(vault / "Moved") == []


# --- 2: a symlinked note pointing outside, in sync and in watch --------------------------

SECRET = "---\ntype: contact\nemail: secret@elsewhere.example\ncompany: SecretCorp\n---\n[[Ann]]\n"


def test_watch_never_reads_a_note_symlinked_out_of_the_vault(make_vault, tmp_path):
    """`watch` runs; a symlink to a contact outside the vault appears, then an interview
    with it: nothing of the outside file (its email, its link to Ann) gets into the vault,
    exactly as `sync` ignores it."""
    from test_watch import WatchProcess, wait_for

    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "Secret.md").write_text(SECRET)
    vault = make_vault({".vaultkit/config.toml": "debounce_ms = 100\n", **base()})
    proc = WatchProcess(vault)
    try:
        (vault / "People/Secret.md").symlink_to(outside / "Secret.md")
        (vault / "Interviews/2026-11-29 Secret.md").write_text(
            "---\ntype: interview\ncontact: \"[[Secret]]\"\ndate: 2026-11-29\n---\n")
        proc.wait_line(lambda l: "2026-11-29 Secret" in l, "the batch with the interview")
        (vault / "People/Bo.md").write_text(CONTACT + "Met through [[Ann]]. Again.\n")
        proc.wait_line(lambda l: "People/Bo.md" in l, "a later batch")
        wait_for(lambda: "[[Bo]]" in (block_inner((vault / "People/Ann.md").read_text(), "connections") or ""),
                 "Ann's block")
    finally:
        proc.stop()
    for path in vault.rglob("*.md"):
        if path.is_symlink():
            continue
        text = path.read_text()
        assert "secret@elsewhere" not in text and "SecretCorp" not in text, path
    assert "Secret" not in block_inner((vault / "People/Ann.md").read_text(), "connections")
    assert (outside / "Secret.md").read_text() == SECRET


# --- 3: a note symlinked to another note is one note --------------------------------------

def test_a_symlink_to_another_note_is_one_note_and_syncs_settle(make_vault):
    """`People/Ann Alias.md -> Ann.md`: Ann's block is written once and stays; a second
    sync writes nothing (it used to flip between two versions forever); doctor names the
    alias."""
    vault = make_vault(base())
    (vault / "People/Ann Alias.md").symlink_to("Ann.md")
    first = sync(vault)
    assert first.returncode == 0, first.stderr
    ann = (vault / "People/Ann.md").read_text()
    assert "[[Bo]]" in block_inner(ann, "connections")
    for _ in range(2):
        again = sync(vault)
        assert again.returncode == 0
        assert (vault / "People/Ann.md").read_text() == ann
        assert "wrote 0 files" in again.stdout, again.stdout
    assert (vault / "People/Ann Alias.md").is_symlink()
    doctor = run_vaultkit("doctor", "--vault", vault, "--today", TODAY)
    assert "People/Ann Alias.md" in doctor.stdout and "People/Ann.md" in doctor.stdout


# --- 4: names that are not UTF-8 ----------------------------------------------------------

@pytest.mark.parametrize("where", ["file", "folder"])
def test_a_name_that_is_not_utf8_is_one_problem_and_the_rest_syncs(make_vault, where):
    vault = make_vault(base())
    bad = os.fsencode(str(vault)) + (b"/People/caf\xe9 notes.md" if where == "file" else b"/caf\xe9/Note.md")
    os.makedirs(os.path.dirname(bad), exist_ok=True)
    with open(bad, "wb") as f:
        f.write(b"---\ntype: contact\n---\n[[Ann]]\n")
    shown = "People/caf\\xe9 notes.md" if where == "file" else "caf\\xe9"
    for args in ((), ("--rebuild",), ("--dry-run",)):
        result = sync(vault, *args)
        assert result.returncode == 1, (args, result.stderr)
        assert "Traceback" not in result.stderr
        assert f"{shown}: file name is not valid UTF-8: rename it" in result.stderr, result.stderr
        assert result.stderr.count("not valid UTF-8") == 1
    assert "[[Bo]]" in block_inner((vault / "People/Ann.md").read_text(), "connections")
    with open(bad, "rb") as f:
        assert f.read() == b"---\ntype: contact\n---\n[[Ann]]\n"
    doctor = run_vaultkit("doctor", "--vault", vault, "--today", TODAY)
    assert doctor.returncode == 1 and "not valid UTF-8" in doctor.stdout + doctor.stderr


# --- 5 and 6: folders vaultkit cannot list or write ----------------------------------------

@needs_walls
@pytest.mark.parametrize("folder", ["Follow-ups", "Interviews/Agendas", "Thank-yous"])
@pytest.mark.parametrize("mode", [0o000, 0o555])
def test_a_folder_that_cannot_be_written_is_one_problem_and_the_rest_syncs(make_vault, restore_modes,
                                                                          folder, mode):
    vault = make_vault(base())
    (vault / folder).mkdir(parents=True)
    (vault / folder).chmod(mode)
    restore_modes.append(vault / folder)
    result = walled("sync", "--vault", vault, "--today", TODAY)
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    lines = [l for l in result.stderr.splitlines() if l.startswith(folder + ":")]
    assert len(lines) == 1, result.stderr
    assert "[[Bo]]" in block_inner((vault / "People/Ann.md").read_text(), "connections")
    (vault / folder).chmod(0o755)
    after = walled("sync", "--vault", vault, "--today", TODAY)
    assert after.returncode == 0, after.stderr
    assert list((vault / folder).iterdir()), "the next sync did not write what was left out"


@needs_walls
def test_an_unreadable_templates_folder_is_a_problem_not_a_crash(make_vault, restore_modes):
    vault = make_vault(base({"Templates/vaultkit/agenda.md": "{{ contact.name }}\n"}))
    (vault / "Templates/vaultkit").chmod(0)
    restore_modes.append(vault / "Templates/vaultkit")
    result = walled("sync", "--vault", vault, "--today", TODAY)
    assert "Traceback" not in result.stderr
    assert result.returncode == 1, result.stderr
    assert "Templates/vaultkit" in result.stderr
    assert "[[Bo]]" in block_inner((vault / "People/Ann.md").read_text(), "connections")


@needs_walls
@pytest.mark.parametrize("how", ["read-only", "cache is a folder"])
def test_a_state_folder_that_cannot_be_written_is_one_problem_and_the_rest_syncs(make_vault, restore_modes, how):
    vault = make_vault(base())
    assert walled("sync", "--vault", vault, "--today", TODAY, "--rebuild").returncode == 0
    (vault / "People/Bo.md").write_text(CONTACT + "Met through [[Ann]].\n\nAnd [[Cy]].\n")
    (vault / "People/Cy.md").write_text(CONTACT + "# Cy\n")
    state = vault / ".vaultkit"
    if how == "read-only":
        state.chmod(0o555)
        restore_modes.append(state)
    else:
        for name in os.listdir(state):
            if name.startswith("cache.sqlite"):
                os.unlink(state / name)
        (state / "cache.sqlite").mkdir()
    result = walled("sync", "--vault", vault, "--today", TODAY)
    assert "Traceback" not in result.stderr
    assert result.returncode == 1, result.stderr
    assert sum("cache" in l for l in result.stderr.splitlines()) == 1, result.stderr
    assert "[[Bo]]" in block_inner((vault / "People/Cy.md").read_text(), "connections")


@needs_walls
def test_an_unreadable_folder_is_not_taken_as_deleted(make_vault, restore_modes):
    """After `chmod 000 Interviews`, its notes keep their last records: Ann's block still
    lists her interviews, nothing is rewritten without them, and the sync says so (exit 1)."""
    vault = make_vault(base())
    assert walled("sync", "--vault", vault, "--today", TODAY).returncode == 0
    ann_before = (vault / "People/Ann.md").read_bytes()
    assert b"2026-11-20 Ann" in ann_before
    (vault / "People/Bo.md").write_text(CONTACT + "Met through [[Ann]] twice.\n")
    (vault / "Interviews").chmod(0)
    restore_modes.append(vault / "Interviews")
    for args in ((), ("--rebuild",)):
        result = walled("sync", "--vault", vault, "--today", TODAY, *args)
        assert result.returncode == 1, result.stderr
        assert "Traceback" not in result.stderr
        assert [l for l in result.stderr.splitlines() if l.startswith("Interviews:")], result.stderr
        assert (vault / "People/Ann.md").read_bytes() == ann_before
    (vault / "Interviews").chmod(0o755)
    assert walled("sync", "--vault", vault, "--today", TODAY).returncode == 0
    assert (vault / "People/Ann.md").read_bytes() == ann_before


# --- the path-based fallback (where folders cannot be opened: Windows) ---------------------

@pytest.fixture
def no_handles(monkeypatch):
    """`folders.HANDLES` off: the writer works on whole paths, as on Windows."""
    from vaultkit import folders
    monkeypatch.setattr(folders, "HANDLES", False)


def test_path_fallback_keeps_the_writers_promises(tmp_path, no_handles):
    vault = tmp_path / "vault"
    vault.mkdir()
    outside = tmp_path / "outside"
    outside.mkdir()
    state = safe_write(vault, "People/Ann.md", b"one\n", None)
    assert (vault / "People/Ann.md").read_bytes() == b"one\n"
    with pytest.raises(WriteConflict):
        safe_write(vault, "People/Ann.md", b"x\n", None)
    state = safe_write(vault, "People/Ann.md", b"two\n", state)
    (vault / "People/Ann.md").write_bytes(b"the user's\n")
    with pytest.raises(WriteConflict):
        safe_write(vault, "People/Ann.md", b"three\n", state)
    assert (vault / "People/Ann.md").read_bytes() == b"the user's\n"
    (vault / "Thank-yous").symlink_to(outside, target_is_directory=True)
    from vaultkit.errors import UnsafePath
    with pytest.raises(UnsafePath):
        safe_write(vault, "Thank-yous/new.md", b"x\n", None)
    assert os.listdir(outside) == [] and temp_files(vault) == []


def test_path_fallback_refuses_a_folder_swapped_mid_write(tmp_path, no_handles, monkeypatch):
    vault = tmp_path / "vault"
    (vault / "People").mkdir(parents=True)
    (vault / "People/Ann.md").write_text("old\n")
    outside = tmp_path / "outside"
    outside.mkdir()
    _, state = read_with_state(vault / "People/Ann.md")
    real_open_temp = write._open_temp

    def swap_after_temp(folder, mode):
        made = real_open_temp(folder, mode)
        os.rename(vault / "People", vault / "Moved")
        os.symlink(outside, vault / "People")
        return made

    monkeypatch.setattr(write, "_open_temp", swap_after_temp)
    with pytest.raises(WriteConflict, match="changed while vaultkit ran"):
        safe_write(vault, "People/Ann.md", b"new\n", state)
    assert os.listdir(outside) == []
    assert (vault / "Moved/Ann.md").read_text() == "old\n"


def test_watch_reports_a_name_that_is_not_utf8_and_goes_on(make_vault):
    """`watch` with such a file there from the start, and another one made while it runs:
    a problem line each time, no traceback, and later edits are still synced."""
    from test_watch import WatchProcess, wait_for

    vault = make_vault({".vaultkit/config.toml": "debounce_ms = 100\n", **base()})
    with open(os.fsencode(str(vault)) + b"/People/caf\xe9 notes.md", "wb") as f:
        f.write(CONTACT.encode() + b"[[Ann]]\n")
    proc = WatchProcess(vault)
    try:
        wait_for(lambda: any("People/caf\\xe9 notes.md: file name is not valid UTF-8" in l for l in proc.err),
                 "the problem line of the first sync")
        with open(os.fsencode(str(vault)) + b"/People/na\xefve.md", "wb") as f:
            f.write(CONTACT.encode() + b"[[Ann]]\n")
        wait_for(lambda: any("People/na\\xefve.md: file name is not valid UTF-8" in l for l in proc.err),
                 "the problem line of the batch")
        (vault / "People/Cy.md").write_text(CONTACT + "Met through [[Ann]].\n")
        wait_for(lambda: "[[Cy]]" in (block_inner((vault / "People/Ann.md").read_text(), "connections") or ""),
                 "a later edit synced")
        assert proc.proc.poll() is None
    finally:
        code = proc.stop()
    assert code == 0
    assert not any("Traceback" in l for l in proc.err), proc.err
