"""Run the vaultkit CLI with some of its speed tricks turned off, to measure what each buys.

    python bench/without.py TRICK[,TRICK...] sync --vault V ...      # as `vaultkit ...`
    python bench/run.py --sizes 10000 --measures first,cold \\
        --cmd "python bench/without.py fork-read"

The tricks (each is plain code in vaultkit; this script only changes a threshold or swaps a
function before the command runs, so no switch is left in the product):

  fork-read     a second process parses notes beside this one  (parallel.PARALLEL_MIN_NOTES)
  fork-render   a second process renders blocks beside this one (planning.PARALLEL_MIN_BLOCKS)
  yaml-fast     plain front-matter read without PyYAML         (vault._simple_yaml)
  gc            the garbage collector paused / frozen while the index is built
  none          nothing turned off (the same wrapper: a fair baseline)
"""

from __future__ import annotations

import gc
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # this checkout's vaultkit


def turn_off(tricks: set[str]) -> None:
    unknown = tricks - {"fork-read", "fork-render", "yaml-fast", "gc", "none"}
    if unknown:
        sys.exit(f"without.py: unknown trick(s): {', '.join(sorted(unknown))}")
    if "fork-read" in tricks:
        from vaultkit import parallel
        parallel.PARALLEL_MIN_NOTES = 10 ** 12
    if "fork-render" in tricks:
        from vaultkit import planning
        planning.PARALLEL_MIN_BLOCKS = 10 ** 12
    if "yaml-fast" in tricks:
        from vaultkit import vault
        vault._simple_yaml = lambda text: None  # every front-matter goes to PyYAML
    if "gc" in tricks:
        gc.disable = gc.enable  # "pause" leaves it running
        gc.freeze = lambda: None


def main() -> None:
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    turn_off(set(sys.argv[1].split(",")))
    from vaultkit.cli import main as cli
    sys.argv = ["vaultkit", *sys.argv[2:]]
    cli()


if __name__ == "__main__":
    main()
