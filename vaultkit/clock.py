"""The one place vaultkit reads the machine's clock, and how "today" is chosen.

Every date rule works from "today": `--today YYYY-MM-DD`, else `$VAULTKIT_TODAY`, else
the local date from `system_today`. Nothing else in vaultkit asks the clock for the date,
so a run is reproducible, and the test suite can move this one function to any day
(`tests/conftest.py` does, for every test) to prove that no test depends on the real date.
"""

from __future__ import annotations

import datetime as dt
import os


def system_today() -> dt.date:
    """The machine's local date."""
    return dt.date.today()


def resolve_today(value: str | None) -> dt.date:
    """`--today`, else $VAULTKIT_TODAY, else the local date. ValueError for a bad date."""
    value = value or os.environ.get("VAULTKIT_TODAY")
    if not value:
        return system_today()
    return dt.date.fromisoformat(value)


def is_fixed(value: str | None) -> bool:
    """Whether today was given (`--today` or $VAULTKIT_TODAY) rather than read from the clock."""
    return bool(value or os.environ.get("VAULTKIT_TODAY"))
