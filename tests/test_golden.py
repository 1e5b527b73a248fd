"""End to end: sync a copy of sample_vault/ and compare every file with the expected tree.

The expected tree lives in tests/golden/sample/. After a deliberate change to the output,
regenerate it with `python tests/test_golden.py` and review the diff before committing.
"""

from __future__ import annotations

import shutil
import sys

from conftest import ROOT, TODAY, snapshot

GOLDEN = ROOT / "tests" / "golden" / "sample"


def test_sample_vault_after_sync_matches_golden(cli, sample_copy):
    result = cli("sync", "--vault", sample_copy, "--today", TODAY)
    assert result.exit_code == 0, result.output
    got = snapshot(sample_copy)
    expected = snapshot(GOLDEN)
    assert sorted(got) == sorted(expected)
    for path in expected:
        assert got[path].decode() == expected[path].decode(), path


def _regenerate() -> None:
    from click.testing import CliRunner

    from vaultkit.cli import main
    if GOLDEN.exists():
        shutil.rmtree(GOLDEN)
    shutil.copytree(ROOT / "sample_vault", GOLDEN)
    result = CliRunner().invoke(main, ["sync", "--vault", str(GOLDEN), "--today", TODAY])
    print(result.output, end="")
    shutil.rmtree(GOLDEN / ".vaultkit")


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    _regenerate()
