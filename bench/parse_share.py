"""How much of a cold sync is parsing: the cold sync against itself with parsing taken out.

    python bench/parse_share.py VAULT [--runs 3]

VAULT is a vault whose blocks are current (sync it once: see bench/README.md). Each run
measures, in a fresh child process of this script: the read floor (walk and read every
note's bytes, as `run.py` does), then a cold sync (`.vaultkit/` removed) through the CLI, timed from the
call, so without the interpreter's start-up and imports. Runs alternate between the real
sync and one whose `vault.parse_note` answers from records parsed before the clock starts
(a shallow copy of each, with the size and time the reader gives): everything else, the
walk, the reads, the second process, the index, the blocks, the cache and the stored index,
is the same code. Prints the median of each and both as multiples of the read floor.

A measurement tool only: the swapped function lives in this script's child, never in
vaultkit.
"""

from __future__ import annotations

import argparse
import copy
import os
import shutil
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # this checkout's vaultkit


def notes_of(root: str):
    for folder, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        for name in files:
            if name.endswith(".md"):
                path = os.path.join(folder, name)
                yield os.path.relpath(path, root), path


def floor_of(root: str) -> float:
    """The read floor as `run.py` takes it (the best of three)."""
    from run import read_floor  # bench/run.py, beside this script
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        read_floor(Path(root))
        best = min(best, time.perf_counter() - start)
    return best


def one_run(root: str, without_parse: bool) -> tuple[float, float]:
    """(read floor, cold sync) in seconds, measured in this (child) process."""
    from vaultkit import vault
    if without_parse:
        real = vault.parse_note
        parsed = {}
        for rel, path in notes_of(root):
            with open(path, "rb") as f:
                parsed[rel] = real(rel, f.read())

        def answered(path, data, size=None, mtime_ns=0, kind_folders=()):
            rec = parsed.get(path)
            if rec is None:
                return real(path, data, size, mtime_ns, kind_folders)
            rec = copy.copy(rec)
            rec.size, rec.mtime_ns = (len(data) if size is None else size), mtime_ns
            return rec

        vault.parse_note = answered
    floor = floor_of(root)
    shutil.rmtree(os.path.join(root, ".vaultkit"), ignore_errors=True)
    os.sync()
    from vaultkit.cli import main
    start = time.perf_counter()
    try:
        main.main(["sync", "--vault", root, "--today", "2026-11-28", "-q"], standalone_mode=False)
    except SystemExit:
        pass
    return floor, time.perf_counter() - start


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("vault")
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    root = os.path.abspath(args.vault)
    got: dict[bool, list[tuple[float, float]]] = {False: [], True: []}
    for _ in range(args.runs):
        for without in (False, True):
            r, w = os.pipe()
            pid = os.fork()
            if pid == 0:
                os.close(r)
                floor, cold = one_run(root, without)
                os.write(w, f"{floor} {cold}".encode())
                os._exit(0)
            os.close(w)
            with os.fdopen(r) as f:
                floor, cold = map(float, f.read().split())
            os.waitpid(pid, 0)
            got[without].append((floor, cold))
    floor = statistics.median(f for runs in got.values() for f, _ in runs)
    print(f"read floor {floor * 1000:.1f} ms (median of {2 * args.runs} runs)")
    for without, label in ((False, "cold sync"), (True, "cold sync, parsing taken out")):
        cold = statistics.median(c for _, c in got[without])
        print(f"{label:30s} {cold:6.2f} s  {cold / floor:5.1f}x the read floor")


if __name__ == "__main__":
    main()
