"""A vault of many folders under a low limit on open files (macOS starts programs with 256):
the folder handles and the write batches share out what the limit allows, so the sync
writes what it writes under no limit, with no "Too many open files".
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest

from conftest import ROOT, TODAY, snapshot
from vaultkit.sync import run_sync

import datetime as dt

resource = pytest.importorskip("resource")  # (no such limit to lower on Windows)


def many_folders(n_folders: int, per_folder: int = 1) -> dict[str, str]:
    """Contacts, each in a folder of its own group, each linking the next."""
    n = n_folders * per_folder
    out = {}
    for k in range(n):
        f = k % n_folders
        out[f"F{f:03d}/P{k:04d}.md"] = f"---\ntype: contact\n---\nKnows [[P{(k + 1) % n:04d}]].\n"
    return out


def sync_with_open_files(vault, limit: int) -> subprocess.CompletedProcess:
    def lower() -> None:
        hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
        soft = limit if hard == resource.RLIM_INFINITY else min(limit, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    env = {k: v for k, v in os.environ.items() if not k.startswith("VAULTKIT_")}
    return subprocess.run([sys.executable, "-m", "vaultkit", "sync", "--vault", str(vault), "--today", TODAY],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, preexec_fn=lower)


@pytest.mark.parametrize("limit, n_folders, per_folder", [
    (128, 300, 1),    # more folders than the limit allows handles
    (256, 300, 14),   # macOS's limit; 4,200 notes: the second process reads and renders too
])
def test_many_folders_under_a_low_open_files_limit(make_vault, tmp_path, limit, n_folders, per_folder):
    vault = make_vault(many_folders(n_folders, per_folder))
    unlimited = tmp_path / "unlimited"
    shutil.copytree(vault, unlimited)
    done = sync_with_open_files(vault, limit)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "Too many open files" not in done.stdout + done.stderr
    assert "0 problems" in done.stdout
    reference = run_sync(unlimited, dt.date.fromisoformat(TODAY))
    assert not reference.problems
    assert snapshot(vault) == snapshot(unlimited)
    again = sync_with_open_files(vault, limit)  # nothing changed since: nothing to write
    assert again.returncode == 0 and "wrote 0 files, 0 problems" in again.stdout
