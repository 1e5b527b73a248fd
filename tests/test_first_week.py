"""The first week of use: vault discovery, `new` choosing its contact, the options and
config values a new user gets wrong, commands that write nothing, config paths that would
hide or escape. All through the real CLI on real files."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest
from conftest import TODAY, run_vaultkit, snapshot

from vaultkit.blocks import _mermaid_label

CONTACT = "---\ntype: contact\n---\n"


def sync(cli, vault, *args):
    return cli("sync", "--vault", vault, "--today", TODAY, *args)


def everything(root: Path) -> dict[str, bytes | None]:
    """Every file and folder under root, .vaultkit/ included (None for a folder)."""
    return {p.relative_to(root).as_posix(): (p.read_bytes() if p.is_file() else None)
            for p in sorted(root.rglob("*"))}


# -- vault discovery ------------------------------------------------------------------------

def test_commands_find_the_vault_above_the_current_folder(cli, make_vault, monkeypatch):
    vault = make_vault({".obsidian/app.json": "{}", "People/Ann.md": CONTACT})
    (vault / "People/Sub").mkdir()
    monkeypatch.chdir(vault / "People/Sub")
    monkeypatch.delenv("VAULTKIT_VAULT", raising=False)
    result = cli("sync", "--today", TODAY)
    assert result.exit_code == 0, result.output
    assert (vault / ".vaultkit/cache.sqlite").exists()
    assert not (vault / "People/Sub/.vaultkit").exists()
    result = cli("new", "contact", "Bo", "--today", TODAY)
    assert result.exit_code == 0, result.output
    assert (vault / "People/Bo.md").exists()


def test_a_vaultkit_folder_marks_a_vault_too_and_the_nearest_wins(cli, tmp_path, monkeypatch):
    outer = tmp_path / "outer"
    inner = outer / "notes"
    (outer / ".obsidian").mkdir(parents=True)
    (inner / ".vaultkit").mkdir(parents=True)
    (inner / "People").mkdir()
    (inner / "People/Ann.md").write_text(CONTACT)
    monkeypatch.chdir(inner / "People")
    monkeypatch.delenv("VAULTKIT_VAULT", raising=False)
    assert cli("sync", "--today", TODAY).exit_code == 0
    assert (inner / ".vaultkit/cache.sqlite").exists()
    assert not (outer / ".vaultkit").exists()


def test_outside_any_vault_every_command_exits_2_and_writes_nothing(cli, tmp_path, monkeypatch):
    folder = tmp_path / "Documents"
    folder.mkdir()
    (folder / "readme.md").write_text("# hello\n")
    monkeypatch.chdir(folder)
    monkeypatch.delenv("VAULTKIT_VAULT", raising=False)
    before = everything(tmp_path)
    for args in (["sync", "--today", TODAY], ["status", "--today", TODAY], ["doctor", "--today", TODAY],
                 ["new", "contact", "Ann", "--today", TODAY], ["watch", "--today", TODAY],
                 ["new", "interview", "Ann", "--date", "2026-12-01", "--today", TODAY]):
        result = cli(*args)
        assert result.exit_code == 2, (args, result.output)
        assert "not inside a vault: pass --vault or run vaultkit init" in result.stderr, args
    assert everything(tmp_path) == before


def test_init_without_vault_sets_up_the_current_folder(cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("VAULTKIT_VAULT", raising=False)
    result = cli("init")
    assert result.exit_code == 0, result.output
    assert (tmp_path / ".vaultkit/config.toml").exists()
    (tmp_path / "People").mkdir()
    monkeypatch.chdir(tmp_path / "People")
    assert cli("new", "contact", "Ann", "--today", TODAY).exit_code == 0
    assert (tmp_path / "People/Ann.md").exists()


def test_vaultkit_vault_still_wins_over_discovery(make_vault, tmp_path):
    vault = make_vault({"People/Ann.md": CONTACT})
    result = run_vaultkit("sync", "--today", TODAY, cwd=tmp_path, env={"VAULTKIT_VAULT": str(vault)})
    assert result.returncode == 0, result.stderr
    assert (vault / ".vaultkit").is_dir()


# -- `new` chooses its contact ----------------------------------------------------------------

def test_new_interview_takes_the_exact_name_before_a_colliding_display_name(cli, make_vault):
    vault = make_vault({
        "People/Ann Lee.md": CONTACT,
        "People/Annie.md": '---\ntype: contact\nname: "ann lee"\n---\n',
    })
    result = cli("new", "interview", "Ann Lee", "--vault", vault, "--date", "2026-12-01", "--today", TODAY)
    assert result.exit_code == 0, result.output
    text = (vault / "Interviews/2026-12-01 Ann Lee.md").read_text()
    assert '"[[Ann Lee]]"' in text and "Annie" not in text
    result = cli("new", "interview", "ann lee", "--vault", vault, "--date", "2026-12-02", "--today", TODAY)
    assert result.exit_code == 0, result.output
    assert "Annie" in (vault / "Interviews/2026-12-02 ann lee.md").read_text()


def test_new_refuses_an_ambiguous_contact_and_lists_the_candidates(cli, make_vault):
    vault = make_vault({
        "People/Ann Lee.md": '---\ntype: contact\nname: "Ann Lee"\n---\n',
        "Work/Ann Lee.md": '---\ntype: contact\nname: "Ann Lee"\n---\n',
        "People/Bo.md": CONTACT,
    })
    before = snapshot(vault)
    result = cli("new", "interview", "ann lee", "--vault", vault, "--date", "2026-12-01", "--today", TODAY)
    assert result.exit_code == 2
    assert "People/Ann Lee.md" in result.stderr and "Work/Ann Lee.md" in result.stderr
    result = cli("new", "contact", "Cy", "--vault", vault, "--referred-by", "Ann Lee", "--today", TODAY)
    assert result.exit_code == 2 and "Work/Ann Lee.md" in result.stderr
    assert snapshot(vault) == before
    # A path names one of them.
    result = cli("new", "interview", "Work/Ann Lee", "--vault", vault, "--date", "2026-12-01", "--today", TODAY)
    assert result.exit_code == 0, result.output
    assert "Work/Ann Lee" in (vault / "Interviews/2026-12-01 Ann Lee.md").read_text()


def test_new_contact_for_a_name_that_exists_says_so(cli, make_vault):
    vault = make_vault({"People/Ann Lee.md": CONTACT, "Work/Bo.md": '---\ntype: contact\nname: Bo Chen\n---\n'})
    before = snapshot(vault)
    for name, existing in (("ann lee", "People/Ann Lee.md"), ("Ann Lee", "People/Ann Lee.md"),
                           ("BO CHEN", "Work/Bo.md")):
        result = cli("new", "contact", name, "--vault", vault, "--today", TODAY)
        assert result.exit_code == 2, result.output
        assert existing in result.stderr and "exists already" in result.stderr
    assert snapshot(vault) == before


# -- options and config values ---------------------------------------------------------------

def test_regenerate_with_a_key_no_note_ever_had_is_a_usage_error(cli, make_vault):
    vault = make_vault({"People/Ann.md": CONTACT})
    assert sync(cli, vault).exit_code == 0
    before = snapshot(vault)
    result = sync(cli, vault, "--regenerate", "agenda:Nope.md")
    assert result.exit_code == 2
    assert "--regenerate" in result.stderr and "agenda:Nope.md" in result.stderr
    assert snapshot(vault) == before
    assert sync(cli, vault, "--regenerate", "agenda:Nope.md", "--dry-run").exit_code == 2


def test_regenerate_a_known_key_still_works(cli, make_vault):
    vault = make_vault({"People/Ann.md": CONTACT})
    assert sync(cli, vault).exit_code == 0
    daily = vault / f"Follow-ups/{TODAY}.md"
    key = next(l.split(":", 1)[1].strip() for l in daily.read_text().splitlines() if l.startswith("vaultkit_key:"))
    daily.unlink()
    assert sync(cli, vault).exit_code == 0 and not daily.exists()
    assert sync(cli, vault, "--regenerate", key).exit_code == 0
    assert daily.exists()


@pytest.mark.parametrize("given,stored", [("9:00", "09:00"), ("09:05", "09:05"), ("23:59", "23:59")])
def test_time_is_accepted_and_normalised(cli, make_vault, given, stored):
    vault = make_vault({"People/Ann.md": CONTACT})
    result = cli("new", "interview", "Ann", "--vault", vault, "--date", "2026-12-01", "--time", given,
                 "--today", TODAY)
    assert result.exit_code == 0, result.output
    assert stored in (vault / "Interviews/2026-12-01 Ann.md").read_text()


@pytest.mark.parametrize("bad", ["25:99", "24:00", "9:5", "nine", "12:60"])
def test_a_time_that_is_not_a_time_of_day_is_refused(cli, make_vault, bad):
    vault = make_vault({"People/Ann.md": CONTACT})
    result = cli("new", "interview", "Ann", "--vault", vault, "--date", "2026-12-01", "--time", bad,
                 "--today", TODAY)
    assert result.exit_code == 2 and "--time" in result.output
    assert not (vault / "Interviews").exists()


def test_a_date_that_does_not_exist_is_named_as_such(cli, make_vault):
    vault = make_vault({"People/Ann.md": CONTACT})
    result = cli("new", "interview", "Ann", "--vault", vault, "--date", "2026-02-30", "--today", TODAY)
    assert result.exit_code == 2 and "no such day: 2026-02-30" in result.output
    result = cli("new", "interview", "Ann", "--vault", vault, "--date", "soon", "--today", TODAY)
    assert result.exit_code == 2 and "is not a date (YYYY-MM-DD)" in result.output
    result = cli("sync", "--vault", vault, "--today", "2026-02-30")
    assert result.exit_code == 2 and "no such day: 2026-02-30" in result.output
    assert not (vault / "Interviews").exists()


@pytest.mark.parametrize("key", ["upcoming_days", "agenda_horizon_days", "quiet_days"])
@pytest.mark.parametrize("value", ["-1", "100000000000", str((dt.date.max - dt.date(2026, 11, 28)).days + 1)])
def test_day_counts_that_leave_the_calendar_are_config_errors(cli, make_vault, key, value):
    vault = make_vault({"People/Ann.md": CONTACT, ".vaultkit/config.toml": f"{key} = {value}\n"})
    before = snapshot(vault)
    for args in (["sync"], ["status"], ["doctor"], ["sync", "--dry-run"]):
        result = cli(*args, "--vault", vault, "--today", TODAY)
        assert result.exit_code == 2, (args, result.output)
        assert key in result.stderr and "Traceback" not in result.output
    assert snapshot(vault) == before


@pytest.mark.parametrize("key", ["upcoming_days", "agenda_horizon_days", "quiet_days"])
def test_the_largest_day_count_that_still_fits_is_accepted(cli, make_vault, key):
    """today ± N must both be dates (quiet days count back, the horizons forward)."""
    today = dt.date(2026, 11, 28)
    fits = min((dt.date.max - today).days, (today - dt.date.min).days)
    vault = make_vault({"People/Ann.md": CONTACT,
                        "Interviews/Call.md": '---\ntype: interview\ncontact: "[[Ann]]"\ndate: 2026-12-20\n---\n',
                        ".vaultkit/config.toml": f"{key} = {fits}\n"})
    result = sync(cli, vault)
    assert result.exit_code == 0, result.output
    assert cli("status", "--vault", vault, "--today", TODAY).exit_code == 0


@pytest.mark.parametrize("command", [["status"], ["doctor"], ["sync", "--dry-run"]])
def test_read_only_commands_leave_nothing_behind(cli, make_vault, command):
    vault = make_vault({"People/Ann.md": CONTACT, "Notes/x.md": "[[Ann]]\n"})
    assert sync(cli, vault).exit_code == 0
    (vault / "Notes/y.md").write_text("[[Ann]] again\n")  # something for the command to read
    before = everything(vault)
    cli(*command, "--vault", vault, "--today", TODAY)
    assert everything(vault) == before
    assert not (vault / ".vaultkit/cache.sqlite-wal").exists()
    assert not (vault / ".vaultkit/cache.sqlite-shm").exists()


def test_read_only_commands_in_a_fresh_vault_create_no_state(cli, make_vault):
    vault = make_vault({"People/Ann.md": CONTACT})
    before = everything(vault)
    for command in (["status"], ["doctor"], ["sync", "--dry-run"]):
        cli(*command, "--vault", vault, "--today", TODAY)
    assert everything(vault) == before


def test_mermaid_labels_keep_entity_like_text_as_text():
    assert _mermaid_label("A #quot; B") == "A #35;quot; B"
    assert _mermaid_label('Say "hi" & <b>`x`</b>') == "Say #quot;hi#quot; #amp; #lt;b#gt;#96;x#96;#lt;/b#gt;"
    assert _mermaid_label("line\nbreak\ttab") == "line break tab"


def test_the_referral_graph_escapes_names(cli, make_vault):
    vault = make_vault({
        "People/Ann.md": '---\ntype: contact\nname: "Ann #9829; ```"\n---\n',
        "People/Bo.md": '---\ntype: contact\nreferred_by: "[[Ann]]"\n---\n',
    })
    assert sync(cli, vault).exit_code == 0
    text = (vault / "Referral Index.md").read_text()
    graph = text.split("```mermaid", 1)[1].split("```", 1)[0]
    assert '["Ann #35;9829; #96;#96;#96;"]' in graph
    assert "#9829;" not in graph.replace("#35;9829;", "")


# -- config paths ----------------------------------------------------------------------------

@pytest.mark.parametrize("key,value", [
    ("follow_ups_folder", ".vaultkit"),
    ("referral_index", ".obsidian/plugins/x.md"),
    ("thank_yous_folder", ".git/hooks"),
    ("contacts_folder", "People/.hidden"),
    ("interviews_folder", "Inter\\nviews"),
    ("agendas_folder", "Agen\\tdas"),
    ("templates_folder", "~/templates"),
    ("contacts_folder", "~"),
    ("contacts_folder", "/etc"),
    ("interviews_folder", "../outside"),
    ("referral_index", "../Referral Index.md"),
])
def test_config_paths_that_hide_or_escape_are_config_errors(cli, make_vault, key, value):
    vault = make_vault({"People/Ann.md": CONTACT, ".vaultkit/config.toml": f'{key} = "{value}"\n'})
    before = snapshot(vault)
    for args in (["sync"], ["status"], ["new", "contact", "Bo"]):
        result = cli(*args, "--vault", vault, "--today", TODAY)
        assert result.exit_code == 2, (args, result.output)
        assert key in result.stderr and "config.toml" in result.stderr
    assert snapshot(vault) == before


def test_a_file_where_a_folder_is_configured_is_named(cli, make_vault):
    vault = make_vault({
        "People/Ann.md": CONTACT,
        "Interviews/Call.md": '---\ntype: interview\ncontact: "[[Ann]]"\ndate: 2026-11-20\nstatus: done\n---\n',
        "Thank-yous": "I am a file\n",
    })
    result = sync(cli, vault)
    assert result.exit_code == 1
    assert "Thank-yous: is a file, but thank_yous_folder" in result.stderr
    assert sum("Thank-yous" in line for line in result.stderr.splitlines()) == 1, result.stderr
    assert (vault / "Thank-yous").read_text() == "I am a file\n"
    assert (vault / f"Follow-ups/{TODAY}.md").exists()  # the rest synced
    doctor = cli("doctor", "--vault", vault, "--today", TODAY)
    assert doctor.exit_code == 1 and "Thank-yous: config: is a file, but thank_yous_folder" in doctor.output
    (vault / "Thank-yous").unlink()
    result = sync(cli, vault)
    assert result.exit_code == 0, result.output
    assert any((vault / "Thank-yous").iterdir())


def test_sync_refuses_a_vaultkit_folder_symlinked_out_of_the_vault(cli, make_vault, tmp_path):
    vault = make_vault({"People/Ann.md": CONTACT})
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    os.symlink(outside, vault / ".vaultkit")
    before = snapshot(vault)
    for args in (["sync"], ["status"], ["new", "contact", "Bo"], ["watch"], ["init"]):
        result = cli(*args, "--vault", vault, *(["--today", TODAY] if args[0] != "init" else []))
        assert result.exit_code == 2, (args, result.output)
        assert ".vaultkit" in result.stderr and "outside the vault" in result.stderr
    assert list(outside.iterdir()) == []
    assert snapshot(vault) == before


def test_new_into_a_folder_that_is_a_file_exits_2_naming_it(cli, make_vault):
    vault = make_vault({".obsidian/app.json": "{}", "People": "a file\n", "Work/Ann.md": CONTACT})
    result = cli("new", "contact", "Bo", "--vault", vault, "--today", TODAY)
    assert result.exit_code == 2 and "People: is a file, but contacts_folder" in result.stderr
    (vault / "Interviews").write_text("another file\n")
    result = cli("new", "interview", "Ann", "--vault", vault, "--date", "2026-12-01", "--today", TODAY)
    assert result.exit_code == 2 and "Interviews: is a file, but interviews_folder" in result.stderr
    assert (vault / "People").read_text() == "a file\n"
    assert (vault / "Interviews").read_text() == "another file\n"
