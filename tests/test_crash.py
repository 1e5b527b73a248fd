"""Crash safety: `vaultkit sync` killed with SIGKILL mid-run.

A generated vault (bench/genvault.py) whose managed blocks all need writing is synced by a
real `python -m vaultkit sync` subprocess, which is killed with SIGKILL once a chosen
number of files has been written. Then, for every file in the vault:

- a note is either its original bytes or exactly what an uninterrupted sync writes (never
  truncated, never half a block): the text outside the managed block is the original, and
  the note parses with its block well-formed;
- a new file is either absent or complete; nothing else appears but our temporary files.

The next `sync` must remove every temporary file, exit 0 and leave the vault byte-identical
to a vault synced without interruption; one more sync writes nothing.

Default: 2,000 notes and four kill points (a few seconds each). `VAULTKIT_HEAVY=1`: 8,000
notes and eight kill points.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import ROOT, TODAY

from vaultkit.vault import parse_note
from vaultkit.write import TEMP_PREFIX
from vaultkit.markers import block_spans, check_markers

sys.path.insert(0, str(ROOT / "bench"))
from genvault import generate  # noqa: E402

HEAVY = os.environ.get("VAULTKIT_HEAVY") == "1"
NOTES = 8000 if HEAVY else 2000
# Kill once this many files have been written (counted by mtime): the first new note, the
# generated notes, then ever deeper into the block writes.
KILL_AFTER = [1, 40, 150, 400, 700, 1000, 2500, 4000] if HEAVY else [1, 60, 400, 900]
SEED = 7


def vaultkit(*args: str, **kw) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith("VAULTKIT_")}
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    return subprocess.Popen([sys.executable, "-m", "vaultkit", *args], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kw)


def run(*args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    proc = vaultkit(*args)
    out, err = proc.communicate(timeout=timeout)
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


def files(root: Path) -> dict[str, bytes]:
    """Every file in the vault except vaultkit's state folder."""
    out = {}
    for folder, dirs, names in os.walk(root):
        dirs[:] = [d for d in dirs if d != ".vaultkit"]
        for name in names:
            path = Path(folder, name)
            out[path.relative_to(root).as_posix()] = path.read_bytes()
    return out


def written_since(root: Path, t0: int) -> int:
    """How many files were written (created or replaced) since `t0` (ns)."""
    count = 0
    for folder, dirs, names in os.walk(root):
        dirs[:] = [d for d in dirs if d != ".vaultkit"]
        for name in names:
            try:
                if os.stat(os.path.join(folder, name)).st_mtime_ns >= t0 and not name.startswith(TEMP_PREFIX):
                    count += 1
            except FileNotFoundError:
                pass
    return count


@pytest.fixture(scope="module")
def vaults(tmp_path_factory):
    """(the generated vault, the same vault synced without interruption: its files)."""
    base = tmp_path_factory.mktemp("crash")
    original = base / "original"
    generate(original, NOTES, SEED)
    reference = base / "reference"
    shutil.copytree(original, reference)
    result = run("sync", "--vault", str(reference), "--today", TODAY)
    assert result.returncode == 0, result.stderr
    return original, files(original), files(reference)


def check_partial(vault: Path, original: dict[str, bytes], reference: dict[str, bytes]) -> int:
    """Every file is the original or the finished version; returns how many are finished."""
    now = files(vault)
    finished = 0
    for rel, data in now.items():
        name = rel.rsplit("/", 1)[-1]
        if name.startswith(TEMP_PREFIX):
            continue  # the kill may leave one; the next run removes it
        assert rel in reference, f"{rel}: a file an uninterrupted sync does not write"
        if rel in original and data == original[rel]:
            continue
        assert data == reference[rel], f"{rel}: neither the original nor the finished note " \
                                       f"({len(data)} bytes, expected {len(reference[rel])})"
        finished += 1
        if rel in original:
            # The user's text is untouched, and what follows is complete managed blocks.
            assert data.startswith(original[rel]), rel
            text = data.decode("utf-8-sig")
            check_markers(text)
            assert block_spans(text), f"{rel}: no complete managed block"
        assert parse_note(rel, data).ok, rel
    for rel in original:
        assert rel in now, f"{rel}: the user's note vanished"
    return finished


def kill_after(vault: Path, writes: int, timeout: float = 120) -> tuple[int, int]:
    """Start `sync`, SIGKILL it once `writes` files were written; (written, return code)."""
    t0 = time.time_ns()
    time.sleep(0.01)  # a coarse mtime clock must tick past the original files
    proc = vaultkit("sync", "--vault", str(vault), "--today", TODAY)
    deadline = time.monotonic() + timeout
    try:
        while proc.poll() is None:
            done = written_since(vault, t0)
            if done >= writes:
                proc.send_signal(signal.SIGKILL)
                break
            if time.monotonic() > deadline:
                pytest.fail(f"sync wrote only {done} files in {timeout} s")
            time.sleep(0.002)
    finally:
        if proc.poll() is None:
            proc.wait(30)
        proc.communicate()
    return written_since(vault, t0), proc.returncode


@pytest.mark.parametrize("writes", KILL_AFTER)
def test_sigkill_mid_sync_leaves_no_partial_note_and_the_next_sync_finishes(vaults, tmp_path, writes):
    original_dir, original, reference = vaults
    vault = tmp_path / "vault"
    shutil.copytree(original_dir, vault)

    done, code = kill_after(vault, writes)
    if code != -signal.SIGKILL:
        pytest.fail(f"sync finished (exit {code}) before {writes} files were written; "
                    "the vault is too small for this kill point")
    finished = check_partial(vault, original, reference)
    assert finished >= min(writes, 1)

    result = run("sync", "--vault", str(vault), "--today", TODAY)
    assert result.returncode == 0, result.stdout + result.stderr
    after = files(vault)
    assert not [p for p in after if p.rsplit("/", 1)[-1].startswith(TEMP_PREFIX)], "temp files left"
    assert after.keys() == reference.keys()
    different = [p for p in reference if after[p] != reference[p]]
    assert not different, f"{len(different)} notes differ from an uninterrupted sync, e.g. {different[:3]}"

    again = run("sync", "--vault", str(vault), "--today", TODAY)
    assert again.returncode == 0 and "wrote 0 files" in again.stdout, again.stdout + again.stderr
    assert files(vault) == reference


def test_sigkill_during_the_first_run_of_a_fresh_vault_keeps_the_ledger_consistent(vaults, tmp_path):
    """Killed twice in a row, then finished: generated notes are created once each (the
    ledger lost in the crash is rebuilt from the `vaultkit_key`s in the vault)."""
    original_dir, original, reference = vaults
    vault = tmp_path / "vault"
    shutil.copytree(original_dir, vault)
    for writes in (30, 300):
        done, code = kill_after(vault, writes)
        assert code == -signal.SIGKILL, f"finished before {writes} writes"
        check_partial(vault, original, reference)
    assert run("sync", "--vault", str(vault), "--today", TODAY).returncode == 0
    assert files(vault) == reference
