"""`vaultkit sync` end to end on real temp vaults: the safety rules (SECURITY.md), exit codes, cache."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time

from conftest import ROOT, TODAY, mtimes, run_vaultkit, snapshot, write_files

from vaultkit.markers import block_inner

CONTACT = "---\ntype: contact\n---\n"


def sync(cli, vault, *args):
    return cli("sync", "--vault", vault, "--today", TODAY, *args)


def test_second_sync_writes_nothing(cli, sample_copy):
    first = sync(cli, sample_copy)
    assert first.exit_code == 0, first.output
    before, stamps = snapshot(sample_copy), mtimes(sample_copy)
    time.sleep(0.01)
    second = sync(cli, sample_copy)
    assert second.exit_code == 0
    assert "wrote 0 files" in second.output
    assert snapshot(sample_copy) == before
    assert mtimes(sample_copy) == stamps
    third = sync(cli, sample_copy, "--rebuild")
    assert "wrote 0 files" in third.output and mtimes(sample_copy) == stamps


def test_two_machines_produce_the_same_bytes(cli, tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    shutil.copytree(ROOT / "sample_vault", a)
    shutil.copytree(ROOT / "sample_vault", b)
    assert sync(cli, a).exit_code == 0
    assert sync(cli, b).exit_code == 0
    assert snapshot(a) == snapshot(b)


def test_original_text_is_a_byte_exact_prefix(cli, sample_copy):
    before = snapshot(sample_copy)
    assert sync(cli, sample_copy).exit_code == 0
    after = snapshot(sample_copy)
    for path, old in before.items():
        assert path in after, f"{path} vanished"
        assert after[path].startswith(old), f"{path}: the user's text is not a prefix any more"


def test_block_replaced_in_place_and_user_text_around_kept(cli, make_vault):
    note = ("---\ntype: contact\n---\nTop\n<!-- vaultkit:begin connections -->\nstale\n"
            "<!-- vaultkit:end connections -->\nBottom [[Bo]]\n")
    vault = make_vault({"Ann.md": note, "Bo.md": CONTACT + "Met [[Ann]]\n"})
    assert sync(cli, vault).exit_code == 0
    text = (vault / "Ann.md").read_text()
    assert text.startswith("---\ntype: contact\n---\nTop\n<!-- vaultkit:begin connections -->\n")
    assert text.endswith("<!-- vaultkit:end connections -->\nBottom [[Bo]]\n")
    assert "stale" not in text and "[[Bo]]" in block_inner(text, "connections")


def test_crlf_bom_and_mode_preserved(cli, make_vault):
    vault = make_vault({"Ann.md": b"\xef\xbb\xbf---\r\ntype: contact\r\n---\r\nHi\r\n", "Bo.md": CONTACT + "[[Ann]]\n"})
    os.chmod(vault / "Ann.md", 0o640)
    assert sync(cli, vault).exit_code == 0
    data = (vault / "Ann.md").read_bytes()
    assert data.startswith(b"\xef\xbb\xbf---\r\ntype: contact\r\n---\r\nHi\r\n")
    assert b"\n" not in data.replace(b"\r\n", b"")
    assert b"[[Bo]]" in data
    assert (vault / "Ann.md").stat().st_mode & 0o777 == 0o640


def test_bad_notes_are_reported_left_untouched_and_the_rest_syncs(cli, make_vault):
    bad = {
        "Bad YAML.md": "---\ntype: contact\ntitle: Meeting: Q3\n---\n[[Ann]]\n",
        "Bad UTF8.md": b"---\ntype: contact\n---\n\xff [[Ann]]\n",
        "Broken.md": "---\ntype: contact\n---\n<!-- vaultkit:begin connections -->\n[[Ann]]\n",
    }
    vault = make_vault({**bad, "Ann.md": CONTACT, "Bo.md": CONTACT + "[[Ann]]\n"})
    before = {p: (vault / p).read_bytes() for p in bad}
    result = sync(cli, vault)
    assert result.exit_code == 1
    assert "Bad YAML.md:3:" in result.output
    assert "Bad UTF8.md:4:" in result.output
    assert "Broken.md:4:" in result.output
    for p, data in before.items():
        assert (vault / p).read_bytes() == data
    assert "[[Bo]]" in block_inner((vault / "Ann.md").read_text(), "connections")
    # Problems are reported again by the next (no-change) sync, with the same exit code.
    again = sync(cli, vault)
    assert again.exit_code == 1 and "Bad YAML.md:3:" in again.output


def test_dry_run_writes_nothing_and_prints_a_diff(cli, sample_copy):
    before, stamps = snapshot(sample_copy), mtimes(sample_copy)
    result = sync(cli, sample_copy, "--dry-run")
    assert result.exit_code == 0, result.output
    assert "+<!-- vaultkit:begin connections -->" in result.output
    assert "--- /dev/null" in result.output
    assert snapshot(sample_copy) == before and mtimes(sample_copy) == stamps
    assert not (sample_copy / ".vaultkit").exists()


def test_json_output_is_one_document(cli, sample_copy):
    result = sync(cli, sample_copy, "--json")
    data = json.loads(result.output)
    assert data["written"] > 0 and data["problems"] == [] and data["notes"] > 20


def test_no_change_sync_reads_no_note_body(sample_copy):
    from vaultkit.clock import resolve_today
    from vaultkit.sync import Session
    run_vaultkit("sync", "--vault", sample_copy, "--today", TODAY)
    s = Session(sample_copy, resolve_today(TODAY))
    report = s.sync()
    s.close()
    assert report.parsed == 0 and report.written == 0
    # Even without the whole-vault shortcut, the cache is used: touch nothing, change today.
    s = Session(sample_copy, resolve_today("2026-11-29"))
    s.load()
    assert s.parsed == 0
    s.close()


def test_corrupt_or_missing_cache_is_rebuilt_silently(cli, sample_copy):
    assert sync(cli, sample_copy).exit_code == 0
    before = snapshot(sample_copy)
    (sample_copy / ".vaultkit" / "cache.sqlite").write_bytes(b"garbage" * 100)
    for extra in ("-wal", "-shm"):
        (sample_copy / ".vaultkit" / f"cache.sqlite{extra}").unlink(missing_ok=True)
    result = sync(cli, sample_copy)
    assert result.exit_code == 0 and "wrote 0 files" in result.output
    shutil.rmtree(sample_copy / ".vaultkit")
    result = sync(cli, sample_copy)
    assert result.exit_code == 0 and "wrote 0 files" in result.output
    assert snapshot(sample_copy) == before


def test_a_new_cache_has_8_kb_pages_and_an_older_one_keeps_its_own(cli, sample_copy):
    """A cache made now has 8 KB pages; one an earlier version made with 4 KB pages is
    used as it is: its records are read (no note is parsed again) and it stays 4 KB."""
    import sqlite3

    def page_size() -> int:
        db = sqlite3.connect(sample_copy / ".vaultkit" / "cache.sqlite")
        try:
            return db.execute("PRAGMA page_size").fetchone()[0]
        finally:
            db.close()

    assert sync(cli, sample_copy).exit_code == 0
    assert page_size() == 8192
    db = sqlite3.connect(sample_copy / ".vaultkit" / "cache.sqlite")
    db.execute("PRAGMA journal_mode=DELETE")  # (the page size changes only outside WAL)
    db.execute("PRAGMA page_size=4096")
    db.execute("VACUUM")
    db.execute("PRAGMA journal_mode=WAL")
    db.close()
    assert page_size() == 4096
    (sample_copy / "People" / "Extra Person.md").write_text("---\ntype: contact\n---\n[[Ann Lee]]\n")
    result = cli("sync", "--vault", sample_copy, "--today", TODAY, "--json")
    assert result.exit_code == 0 and json.loads(result.stdout)["parsed"] == 1
    assert page_size() == 4096


def test_config_errors_exit_2_and_write_nothing(cli, make_vault):
    vault = make_vault({"Ann.md": CONTACT, ".vaultkit/config.toml": "quiet_days = 'x'\nbogus = 1\n"})
    before = snapshot(vault)
    result = sync(cli, vault)
    assert result.exit_code == 2
    assert "quiet_days" in result.output and "bogus" in result.output and "config.toml" in result.output
    assert snapshot(vault) == before
    (vault / ".vaultkit/config.toml").write_text("this is not toml = = =\n")
    result = sync(cli, vault)
    assert result.exit_code == 2 and "config.toml" in result.output


def test_config_folders_are_used(cli, make_vault):
    vault = make_vault({
        ".vaultkit/config.toml": 'follow_ups_folder = "Daily"\nreferral_index = "Meta/Referrals.md"\n',
        "Ann.md": CONTACT, "Bo.md": "---\ntype: contact\nreferred_by: Ann\n---\n"})
    assert sync(cli, vault).exit_code == 0
    assert (vault / "Daily" / f"{TODAY}.md").exists()
    assert "[[Bo]]" in (vault / "Meta/Referrals.md").read_text()


def test_bad_today_and_missing_vault_are_usage_errors(cli, make_vault, tmp_path):
    vault = make_vault({"Ann.md": CONTACT})
    assert cli("sync", "--vault", vault, "--today", "tomorrow").exit_code == 2
    assert cli("sync", "--vault", tmp_path / "nope").exit_code == 2


def test_vault_and_today_from_the_environment(make_vault):
    vault = make_vault({"Ann.md": CONTACT})
    result = run_vaultkit("sync", env={"VAULTKIT_VAULT": str(vault), "VAULTKIT_TODAY": "2026-01-02"})
    assert result.returncode == 0, result.stderr
    assert (vault / "Follow-ups" / "2026-01-02.md").exists()


def test_second_writer_waits_then_exits_2_naming_the_holder(make_vault):
    vault = make_vault({"Ann.md": CONTACT})
    holder = subprocess.Popen([sys.executable, "-c", (
        "import sys, time; sys.path.insert(0, sys.argv[2]);"
        "from pathlib import Path; from vaultkit.lock import VaultLock\n"
        "with VaultLock(Path(sys.argv[1]), owner='vaultkit watch'):\n"
        "    print('locked', flush=True); time.sleep(60)"), str(vault), str(ROOT)],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        before = snapshot(vault)
        result = run_vaultkit("sync", "--vault", vault, "--today", TODAY)
        assert result.returncode == 2
        assert str(holder.pid) in result.stderr and "watch" in result.stderr
        assert snapshot(vault) == before
    finally:
        holder.kill()
        holder.wait()
    # A crashed holder leaves no stale lock behind.
    result = run_vaultkit("sync", "--vault", vault, "--today", TODAY)
    assert result.returncode == 0, result.stderr


def test_leftover_temp_files_are_removed(cli, make_vault):
    vault = make_vault({"Ann.md": CONTACT, "People/.vaultkit-tmp-abc123": "half"})
    assert sync(cli, vault).exit_code == 0
    assert not (vault / "People/.vaultkit-tmp-abc123").exists()


def test_debris_and_dot_folders_are_never_notes(cli, make_vault):
    files = {
        "Ann.md": CONTACT,
        ".obsidian/x.md": CONTACT, ".trash/Old.md": CONTACT, "Templates/vaultkit/contact.md": CONTACT,
        "Ann.sync-conflict-20261128-120000-ABC.md": CONTACT + "[[Bo]]\n",
        ".Bo.md.icloud": "bplist", "Ann.md~": CONTACT, "Ann.md.swp": "x",
    }
    vault = make_vault(files)
    before = snapshot(vault)
    assert sync(cli, vault).exit_code == 0
    after = snapshot(vault)
    for p in files:
        if p != "Ann.md":
            assert after[p] == before[p], p
    assert not (vault / "Bo.md").exists()
    result = cli("doctor", "--vault", vault, "--today", TODAY)
    assert "sync-conflict" in result.output


def test_debris_names_ending_in_md_are_not_notes(tmp_path):
    """The walk asks `is_debris` only of a `.md` name that starts with `.` or `~`: no other
    name ending in `.md` can be debris. Every such name the rule knows is left out, and
    the rule and the shortcut agree on names built from every piece it looks at."""
    from itertools import product

    from vaultkit.scan import _DEBRIS_SUFFIXES, CONFLICT_MARK, is_debris, scan

    debris = [".Ann.md", ".#Ann.md", "~syncthing~Ann.md", "~syncthing~.md"]
    kept = ["~Ann.md", "Ann~.md", "4913.md", "Ann.tmp.md", "Ann.swp.md", "Ann.md.md", "é.md"]
    for name in debris + kept:
        (tmp_path / name).write_text("[[Bo]]\n")
    assert sorted(scan(tmp_path).notes) == sorted(kept)
    pieces = ["", ".", "~", "~syncthing~", ".#", "4913", "Ann", "é", *_DEBRIS_SUFFIXES]
    for a, b in product(pieces, repeat=2):
        name = a + b + ".md"
        if CONFLICT_MARK not in name:
            assert is_debris(name) == (name[0] in ".~" and is_debris(name)), name


def test_symlinks_not_followed_out_of_the_vault(cli, make_vault, tmp_path):
    outside = tmp_path / "outside"
    write_files(outside, {"Evil.md": CONTACT})
    vault = make_vault({"Ann.md": CONTACT})
    (vault / "Linked").symlink_to(outside, target_is_directory=True)
    (vault / "Evil.md").symlink_to(outside / "Evil.md")
    assert sync(cli, vault).exit_code == 0
    assert (outside / "Evil.md").read_text() == CONTACT


def test_ledger_keeps_deleted_generated_notes_deleted(cli, sample_copy):
    assert sync(cli, sample_copy).exit_code == 0
    agendas = sorted((sample_copy / "Interviews" / "Agendas").glob("*.md"))
    assert agendas
    victim = agendas[0]
    key = None
    for line in victim.read_text().splitlines():
        if line.startswith("vaultkit_key:"):
            key = line.split(":", 1)[1].strip().strip("'\"")
    assert key
    victim.unlink()
    assert sync(cli, sample_copy).exit_code == 0
    assert not victim.exists()
    result = sync(cli, sample_copy, "--regenerate", key)
    assert result.exit_code == 0 and victim.exists()


def test_user_edits_to_generated_notes_survive(cli, sample_copy):
    assert sync(cli, sample_copy).exit_code == 0
    agenda = sorted((sample_copy / "Interviews" / "Agendas").glob("*.md"))[0]
    agenda.write_text("my own agenda now\n")
    assert sync(cli, sample_copy, "--rebuild").exit_code == 0
    assert agenda.read_text() == "my own agenda now\n"


def test_first_sync_json_lists_every_write_it_streamed(cli, sample_copy):
    """A full pass writes each rewritten note as soon as it is planned (memory); the report
    still lists every write, and the JSON's `planned` matches what was written."""
    from vaultkit.clock import resolve_today
    from vaultkit.sync import Session
    s = Session(sample_copy, resolve_today(TODAY))
    try:
        report = s.sync()
    finally:
        s.close()
    assert report.written == len(report.writes) == len(report.written_paths) > 20
    assert sorted(w.path for w in report.writes) == sorted(report.written_paths)
    streamed = [w for w in report.writes if w.streamed]
    assert all(w.data == b"" for w in streamed)
    assert any(w.expect is None for w in streamed) and any(w.expect is not None for w in streamed)
    # The new generated notes reach the disk before the blocks that link to them (not the
    # whole-vault notes, planned last: today's daily note, the week's review, the referral index).
    new = {w.path for w in report.writes
           if w.expect is None and w.key and not w.path.startswith(("Follow-ups/", "Reviews/"))}
    assert len(new) >= 10
    first_changed = min(report.written_paths.index(w.path) for w in report.writes if w.expect is not None)
    assert all(report.written_paths.index(p) < first_changed for p in new)
    planned = json.loads(json.dumps(report.as_json(False)))["planned"]
    assert sorted(p["path"] for p in planned) == sorted(report.written_paths)
    assert "wrote 0 files" in sync(cli, sample_copy, "--rebuild").output


def test_catch_up_sync_after_edits_matches_a_full_pass(cli, sample_copy):
    """After a complete sync, a new interview note and an edited contact: the next sync
    catches up from the cache (issue 6), and a full rebuild afterwards has nothing to do."""
    from vaultkit.clock import resolve_today
    from vaultkit.sync import Session
    assert sync(cli, sample_copy).exit_code == 0
    people = sorted((sample_copy / "People").glob("*.md"))
    contact = people[0]
    text = contact.read_text(encoding="utf-8")
    contact.write_text(text.replace("type: contact\n", f'type: contact\nreferred_by: "[[{people[1].stem}]]"\n', 1),
                       encoding="utf-8")
    (sample_copy / "Interviews" / "2026-12-01 New.md").write_text(
        f'---\ntype: interview\ncontact: "[[{people[2].stem}]]"\ndate: 2026-12-01\n---\n', encoding="utf-8")
    s = Session(sample_copy, resolve_today(TODAY))
    try:
        report = s.sync()
        assert s.last_pass == "catch-up"
        assert report.parsed == 2 and report.problems == []
        assert str(people[1].relative_to(sample_copy)) in report.written_paths
        assert any(p.startswith("Interviews/Agendas/") for p in report.written_paths)  # due in 3 days
    finally:
        s.close()
    assert f"[[{contact.stem}]]" in people[1].read_text(encoding="utf-8")
    assert "wrote 0 files" in sync(cli, sample_copy, "--rebuild").output


def _session_sync(vault, **kw):
    from vaultkit.clock import resolve_today
    from vaultkit.sync import Session
    s = Session(vault, resolve_today(TODAY), **kw)
    try:
        return s.sync(), s.last_pass
    finally:
        s.close()


def _settled_write(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    past = time.time_ns() - 10**10
    os.utime(path, ns=(past, past))


def test_catch_up_puts_a_generated_note_from_elsewhere_in_the_ledger(make_vault):
    """A generated note that arrives by hand or from another device joins the ledger on a
    catch-up pass too, so that once deleted it stays deleted."""
    vault = make_vault({"People/Ann.md": CONTACT, "Notes/x.md": "x\n", "Interviews/old.md":
                        "---\ntype: interview\ncontact: \"[[Ann]]\"\ndate: 2026-10-01\nthank_you_sent: 2026-10-02\n---\n"})
    _session_sync(vault)
    _settled_write(vault / "Interviews/I.md", "---\ntype: interview\ncontact: \"[[Ann]]\"\ndate: 2026-12-01\n---\n")
    _settled_write(vault / "Notes/my agenda.md",
                   "---\ngenerated_by: vaultkit\nvaultkit_key: agenda:2026-12-01:Ann\n---\nmine\n")
    report, kind = _session_sync(vault)
    assert kind == "catch-up" and not any(w.expect is None for w in report.writes)
    (vault / "Notes/my agenda.md").unlink()
    report, _ = _session_sync(vault)
    assert [w.path for w in report.writes if w.expect is None] == []


def test_typing_inside_the_obsidian_daily_notes_block_is_undone_by_the_next_sync(make_vault):
    vault = make_vault({
        ".vaultkit/config.toml": 'daily = "obsidian"\n',
        ".obsidian/daily-notes.json": '{"folder": "Daily", "format": "YYYY-MM-DD"}',
        "People/A.md": "---\ntype: contact\nstatus: contacted\nnext_follow_up: 2026-11-20\n---\n",
        "Daily/2026-11-28.md": "my day\n",
    })
    _session_sync(vault)
    daily = vault / "Daily/2026-11-28.md"
    good = daily.read_text(encoding="utf-8")
    assert "follow-up due" in good
    _settled_write(daily, good.replace("follow-up due", "typed over"))
    report, kind = _session_sync(vault)
    assert kind == "catch-up" and report.written_paths == ["Daily/2026-11-28.md"]
    assert daily.read_text(encoding="utf-8") == good


def test_an_upgrade_is_not_taken_for_no_change(make_vault, monkeypatch):
    """The fingerprint carries vaultkit's version: after an upgrade (which may render
    blocks differently) the next sync makes a full pass."""
    import vaultkit.fingerprint as fingerprint
    vault = make_vault({"People/Ann.md": CONTACT})
    _session_sync(vault)
    assert _session_sync(vault)[1] == ""
    monkeypatch.setattr(fingerprint, "__version__", "99.0")
    assert _session_sync(vault)[1] == "full"


def test_sync_removes_temporary_files_a_crash_left_also_when_nothing_changed(cli, sample_copy):
    """A crash between writing a temporary file and renaming it leaves the file; the next
    sync removes it (found by its walk), also a sync that has nothing else to do, and one
    in `.vaultkit/`. Not a --dry-run, and never a file of the user's of another name."""
    from vaultkit.files import TEMP_PREFIX
    assert sync(cli, sample_copy).exit_code in (0, 1)
    left = [sample_copy / "People" / f"{TEMP_PREFIX}0a1b", sample_copy / ".vaultkit" / f"{TEMP_PREFIX}9f"]
    mine = sample_copy / "People" / "vaultkit-tmp-notes.txt"
    for path in [*left, mine]:
        path.write_bytes(b"half a note")
    assert sync(cli, sample_copy, "--dry-run").exit_code in (0, 1)
    assert all(p.exists() for p in left)
    result = sync(cli, sample_copy)
    assert "wrote 0 files" in result.output
    assert not any(p.exists() for p in left) and mine.read_bytes() == b"half a note"


def test_the_command_ends_at_once_with_its_exit_code_and_all_its_output(make_vault, tmp_path):
    """`vaultkit` (here `python -m vaultkit`) leaves with `os._exit` once a command is
    done: its whole output still arrives, the exit code is the command's (0, 1, 2), and the
    cache was closed before (no write-ahead log is left beside it)."""
    people = {f"People/P{i:03}.md": CONTACT + "[[Ann]]\n" for i in range(300)}
    vault = make_vault({"People/Ann.md": CONTACT, "Broken.md": "---\ntype: [unclosed\n---\n", **people})
    done = run_vaultkit("sync", "--vault", vault, "--today", TODAY, "--json")
    assert done.returncode == 1, done.stderr
    report = json.loads(done.stdout)
    assert any(p["path"] == "Broken.md" for p in report["problems"])
    assert (vault / ".vaultkit" / "cache.sqlite").exists()
    assert not (vault / ".vaultkit" / "cache.sqlite-wal").exists()
    connections = (vault / "People/Ann.md").read_text()
    assert all(f"[[P{i:03}]]" in connections for i in range(300))
    doctor = run_vaultkit("doctor", "--vault", vault, "--today", TODAY, "--json", "--all")
    assert doctor.returncode == 1 and json.loads(doctor.stdout)["findings"]
    again = run_vaultkit("sync", "--vault", vault, "--today", TODAY)
    assert again.returncode == 1 and again.stdout.strip().splitlines()[-1]
    missing = run_vaultkit("sync", "--vault", tmp_path / "nowhere", "--today", TODAY)
    assert missing.returncode == 2 and "nowhere" in missing.stderr
    assert run_vaultkit("--version").returncode == 0
    assert run_vaultkit("--help").stdout.startswith("Usage:")


def test_a_stream_closed_from_the_start_does_not_change_the_exit_code(make_vault):
    """Started with stdout or stderr closed (a cron job, `>&-`), Python has no such stream
    (None): the command still does its work and exits with its own code."""
    vault = make_vault({"People/Ann.md": CONTACT, "Notes/N.md": "[[Ann]]\n"})
    base = [sys.executable, "-m", "vaultkit"]
    version = subprocess.run(base + ["--version"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                             cwd=ROOT, close_fds=True, preexec_fn=lambda: os.close(1))
    assert version.returncode == 0, version.stderr
    for closed in (1, 2):
        done = subprocess.run(base + ["sync", "--vault", str(vault), "--today", TODAY], cwd=ROOT,
                              stdout=subprocess.DEVNULL if closed == 1 else subprocess.PIPE,
                              stderr=subprocess.DEVNULL if closed == 2 else subprocess.PIPE,
                              preexec_fn=lambda fd=closed: os.close(fd))
        assert done.returncode == 0, (closed, done.stderr)
    assert "[[N]]" in (vault / "People/Ann.md").read_text()
