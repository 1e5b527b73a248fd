"""Moves vaultkit's clock in every Python process the tests start (this folder is put on
PYTHONPATH by conftest.py): `vaultkit.clock.system_today` returns $VAULTKIT_TEST_CLOCK.

No test may depend on the machine's date: every date a test relies on comes from
`--today` / $VAULTKIT_TODAY. Running the whole suite with the clock moved far away proves
it on every run.
"""

import os

_day = os.environ.get("VAULTKIT_TEST_CLOCK")
if _day and _day != "real":
    import datetime as _dt

    import vaultkit.clock as _clock

    _moved = _dt.date.fromisoformat(_day)
    _clock.system_today = lambda: _moved
