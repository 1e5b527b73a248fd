"""Shared fixtures: temp vaults made of real files, the real CLI in-process and as a subprocess."""

from __future__ import annotations

import logging
import os
import runpy
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "sample_vault"
TODAY = "2026-11-28"

# vaultkit's one clock function is moved to this day in this process and, through
# tests/clockshift/sitecustomize.py on PYTHONPATH, in every process a test starts: a test
# that forgot to pin its date (--today / $VAULTKIT_TODAY) sees a day years away and fails.
# VAULTKIT_TEST_CLOCK=YYYY-MM-DD chooses another day; `real` leaves the clock alone.
CLOCK = os.environ.setdefault("VAULTKIT_TEST_CLOCK", "2039-07-15")
os.environ["PYTHONPATH"] = os.pathsep.join(
    p for p in (str(ROOT / "tests" / "clockshift"), str(ROOT), os.environ.get("PYTHONPATH")) if p)
if sys.path[:1] != [str(ROOT)]:
    sys.path.insert(0, str(ROOT))  # this checkout's vaultkit, also for `python tests/…py`
runpy.run_path(str(ROOT / "tests" / "clockshift" / "sitecustomize.py"))  # and in this process


def write_files(root: Path, files: dict[str, str | bytes]) -> Path:
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_bytes(content.encode("utf-8"))
    return root


@pytest.fixture(autouse=True)
def _root_logging_restored():
    """The CLI run in-process sets the root logger up (`logging.basicConfig(force=True)`,
    at ERROR for -q and --json): put it back after each test, so that a later test's
    `caplog` sees warnings whatever ran before it."""
    root = logging.getLogger()
    level, handlers = root.level, list(root.handlers)
    yield
    root.setLevel(level)
    root.handlers[:] = handlers


@pytest.fixture
def make_vault(tmp_path):
    """make_vault({"People/Ann.md": "...", ...}) -> a vault folder of real files."""
    def make(files: dict[str, str | bytes] | None = None, name: str = "vault") -> Path:
        root = tmp_path / name
        root.mkdir(parents=True, exist_ok=True)
        return write_files(root, files or {})
    return make


@pytest.fixture
def sample_copy(tmp_path) -> Path:
    """A fresh copy of sample_vault/ (the checkout stays clean)."""
    dest = tmp_path / "sample"
    shutil.copytree(SAMPLE, dest)
    return dest


def snapshot(root: Path) -> dict[str, bytes]:
    """Every file under root (except .vaultkit/) as bytes, keyed by relative path."""
    out = {}
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).as_posix()
        if rel.startswith(".vaultkit") or not path.is_file():
            continue
        out[rel] = path.read_bytes()
    return out


def mtimes(root: Path) -> dict[str, int]:
    return {p.relative_to(root).as_posix(): p.stat().st_mtime_ns
            for p in sorted(root.rglob("*")) if p.is_file() and ".vaultkit" not in p.parts}


@pytest.fixture
def cli():
    """Run the real CLI in-process: cli("sync", "--vault", v) -> click Result."""
    from vaultkit.cli import main
    runner = CliRunner()

    def run(*args: str, env: dict | None = None):
        return runner.invoke(main, [str(a) for a in args], env=env, catch_exceptions=False)
    return run


def run_vaultkit(*args, cwd=None, env=None, timeout=120, input=None) -> subprocess.CompletedProcess:
    """Run `python -m vaultkit ...` as a real subprocess."""
    full_env = dict(os.environ)
    full_env.pop("VAULTKIT_VAULT", None)
    full_env.pop("VAULTKIT_TODAY", None)
    if env:
        full_env.update(env)
    return subprocess.run([sys.executable, "-m", "vaultkit", *map(str, args)], cwd=cwd or ROOT,
                          env=full_env, capture_output=True, text=True, timeout=timeout, input=input)
