"""How long `vault.parse_note` takes a note, in-process.

    python bench/genvault.py /tmp/v10k --notes 10000
    python -m vaultkit sync --vault /tmp/v10k --today 2026-11-28   # notes get their blocks
    python bench/parse_speed.py /tmp/v10k [--runs 5]

Reads every note's bytes once, then parses them all `--runs` times and prints the median
µs per note (and the fastest run). Nothing but `parse_note` is timed: no disk, no cache.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path


def notes(root: Path) -> list[tuple[str, bytes]]:
    out = []
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            if name.endswith(".md"):
                path = Path(folder, name)
                out.append((path.relative_to(root).as_posix(), path.read_bytes()))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("vault", type=Path)
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    from vaultkit.vault import parse_note

    data = notes(args.vault)
    if not data:
        sys.exit(f"no notes in {args.vault}")
    for path, raw in data[:50]:  # warm up: imports PyYAML, compiles patterns
        parse_note(path, raw)
    times = []
    for _ in range(args.runs):
        start = time.perf_counter()
        for path, raw in data:
            parse_note(path, raw)
        times.append((time.perf_counter() - start) / len(data) * 1e6)
    print(f"{len(data)} notes: {statistics.median(times):.1f} µs/note median of {args.runs} "
          f"(fastest {min(times):.1f})")


if __name__ == "__main__":
    main()
