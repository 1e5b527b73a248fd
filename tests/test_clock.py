""""Today" comes from --today, $VAULTKIT_TODAY or the one clock function; the suite moves
that function years away (conftest.py), so no test can depend on the machine's date."""

from __future__ import annotations

import datetime as dt

from conftest import CLOCK, run_vaultkit

import vaultkit.clock


def test_the_suite_runs_with_the_clock_moved_in_this_process():
    if CLOCK != "real":
        assert vaultkit.clock.system_today() == dt.date.fromisoformat(CLOCK)


def test_the_clock_is_moved_in_subprocesses_too(make_vault):
    vault = make_vault({".obsidian/app.json": "{}"})
    result = run_vaultkit("status", "--vault", vault)
    assert result.returncode == 0, result.stderr
    expected = CLOCK if CLOCK != "real" else dt.date.today().isoformat()
    assert f"vaultkit status — {expected}" in result.stdout


def test_today_option_wins_over_the_environment_and_the_clock(make_vault):
    vault = make_vault({".obsidian/app.json": "{}"})
    result = run_vaultkit("status", "--vault", vault, "--today", "2026-02-03",
                          env={"VAULTKIT_TODAY": "2025-01-01"})
    assert "vaultkit status — 2026-02-03" in result.stdout
    result = run_vaultkit("status", "--vault", vault, env={"VAULTKIT_TODAY": "2025-01-01"})
    assert "vaultkit status — 2025-01-01" in result.stdout


def test_new_interview_takes_today_for_its_status(cli, make_vault):
    vault = make_vault({"People/Ann Lee.md": "---\ntype: contact\n---\n"})
    assert cli("new", "interview", "Ann Lee", "--vault", vault, "--date", "2026-11-30",
               "--today", "2026-11-28").exit_code == 0
    assert "status: planned" in (vault / "Interviews/2026-11-30 Ann Lee.md").read_text()
    assert cli("new", "interview", "Ann Lee", "--vault", vault, "--date", "2026-11-27",
               "--today", "2026-11-28").exit_code == 0
    assert "status: done" in (vault / "Interviews/2026-11-27 Ann Lee.md").read_text()


def test_new_contact_takes_today(cli, make_vault):
    vault = make_vault({})
    result = cli("new", "contact", "Ann Lee", "--vault", vault, "--today", "2026-13-01")
    assert result.exit_code == 2
    assert cli("new", "contact", "Ann Lee", "--vault", vault, "--today", "2026-11-28").exit_code == 0
