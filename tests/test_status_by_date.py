"""An interview with no `status:` is `planned` from today on and `done` before: one rule
(facts.status_by_date), used when a note is read (Facts.status_of) and when `vaultkit new
interview` writes the status into a new note."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from vaultkit.config import Config
from vaultkit.facts import Facts, status_by_date
from vaultkit.index import Index
from vaultkit.vault import parse_note

TODAY = "2026-11-28"


@pytest.mark.parametrize("date, expected", [
    ("2026-11-27", "done"),
    ("2026-11-28", "planned"),        # today is still planned
    ("2026-11-29", "planned"),
    ("2026-11-28 14:30", "planned"),  # only the day counts
    ("2026-11-27 23:59", "done"),
    ("2026-11-28T00:00:00", "planned"),
    ("2025-12-31", "done"),           # across a year
    (None, "planned"),                # no date: not held yet
    ("", "planned"),
])
def test_status_by_date(date, expected):
    assert status_by_date(date, TODAY) == expected


def _facts(files: dict[str, str]) -> tuple[Index, Facts]:
    ix = Index([parse_note(p, t.encode()) for p, t in files.items()])
    return ix, Facts(ix, Config(), dt.date.fromisoformat(TODAY))


@pytest.mark.parametrize("written, day, expected", [
    ("2026-11-28", "2026-11-28", "planned"),
    ("2026-11-28 14:30", "2026-11-28", "planned"),       # YAML text (no seconds)
    ("2026-11-28T09:00:00", "2026-11-28", "planned"),    # a YAML datetime
    ("'2026-11-27 14:30'", "2026-11-27", "done"),
    ("2026-11-27T23:59:59", "2026-11-27", "done"),
    ("2026-11-30 14:30", "2026-11-30", "planned"),
])
def test_a_read_interview_without_status_goes_by_its_day(written, day, expected):
    ix, facts = _facts({
        "People/Ann.md": "---\ntype: contact\n---\n",
        "Interviews/Ann.md": f"---\ntype: interview\ncontact: \"[[Ann]]\"\ndate: {written}\n---\n",
    })
    assert ix.records["Interviews/Ann.md"].fields["date"] == day  # normalised to the day
    assert facts.status_of("Interviews/Ann.md") == expected


def test_a_written_status_wins_over_the_date():
    _, facts = _facts({"Interviews/Ann.md": "---\ntype: interview\ndate: 2026-11-20\nstatus: planned\n---\n"})
    assert facts.status_of("Interviews/Ann.md") == "planned"


@pytest.mark.parametrize("date, expected", [("2026-11-27", "done"), (TODAY, "planned"), ("2026-11-29", "planned")])
def test_new_interview_writes_the_status_the_note_is_read_with(cli, make_vault, date, expected):
    vault = make_vault({"People/Ann Lee.md": "---\ntype: contact\n---\n"})
    result = cli("new", "interview", "Ann Lee", "--vault", vault, "--date", date, "--today", TODAY)
    assert result.exit_code == 0, result.output
    path = f"Interviews/{date} Ann Lee.md"
    text = (vault / path).read_text("utf-8")
    assert re.search(rf"^status: {expected}$", text, re.M), text
    # The same note without its status line is read with the status it was given.
    bare = re.sub(r"^status: .*\n", "", text, flags=re.M)
    _, facts = _facts({"People/Ann Lee.md": "---\ntype: contact\n---\n", path: bare})
    assert facts.status_of(path) == expected
