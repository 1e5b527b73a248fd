"""A pass's writer replaces notes in batches that share their syncs (batchwrite.WriteBatch):
the same bytes as one note at a time, and each note's promises kept inside a batch: a
save made while the batch is staged or just after its exchange is kept, folder handles
stay valid while a batch holds names in them, and nothing is left open or behind."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from conftest import TODAY, snapshot
from vaultkit import batchwrite, folders as foldersmod, write
from vaultkit.markers import block_inner
from vaultkit.sync import run_sync

import datetime as dt

TODAY_DATE = dt.date.fromisoformat(TODAY)
CONTACT = "---\ntype: contact\n---\n"


def files(n_folders: int = 12, per_folder: int = 6) -> dict[str, str]:
    """Contacts in many folders, each linked from a note in another folder."""
    out = {}
    for f in range(n_folders):
        for k in range(per_folder):
            other = (f + 1) % n_folders
            out[f"F{f:02d}/P{f:02d}-{k}.md"] = CONTACT + f"# P{f}-{k}\n\nKnows [[P{other:02d}-{k}]].\n"
    return out


def temp_files(vault: Path) -> list[Path]:
    return [p for p in vault.rglob(f"{write.TEMP_PREFIX}*")]


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


@pytest.fixture
def one_at_a_time(monkeypatch):
    """Batches of one note: the writer then syncs and publishes each note on its own."""
    from vaultkit import writer  # (imported first: it copies the size when imported)

    def set_size(n):
        monkeypatch.setattr(batchwrite, "BATCH_SIZE", n)
        monkeypatch.setattr(writer, "BATCH_SIZE", n)
    return set_size


def test_batches_write_the_bytes_of_one_note_at_a_time(make_vault, tmp_path, one_at_a_time):
    vault = make_vault(files())
    other = tmp_path / "other" / vault.name
    shutil.copytree(vault, other)
    one_at_a_time(1)
    single = run_sync(vault, TODAY_DATE)
    one_at_a_time(16)
    batched = run_sync(other, TODAY_DATE)
    assert batched.changed == single.changed > 70
    assert batched.written_paths == single.written_paths
    assert snapshot(vault) == snapshot(other)
    assert temp_files(other) == []


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="counts open files through /proc")
def test_folder_handles_dropped_while_a_batch_holds_names_stay_open_until_it_is_done(
        make_vault, tmp_path, monkeypatch):
    # Only 4 folder handles at once: opening more drops them all, also while a batch of
    # notes in those folders is staged. The batch's names must stay valid until it is
    # done, and every handle is closed by the end of the pass.
    vault = make_vault(files())
    other = tmp_path / "other" / vault.name
    shutil.copytree(vault, other)
    plain = run_sync(vault, TODAY_DATE)
    monkeypatch.setattr(foldersmod, "_MAX_OPEN", 4)
    before = open_fds()
    dropped = run_sync(other, TODAY_DATE)
    assert open_fds() == before
    assert dropped.written_paths == plain.written_paths and not dropped.problems
    assert snapshot(vault) == snapshot(other)
    assert temp_files(other) == []


def test_without_syncfs_each_file_and_folder_is_fsynced(make_vault, tmp_path, monkeypatch):
    # Where there is no syncfs (macOS, BSD), the batch fsyncs each temporary file, then
    # each folder it renamed in: the same bytes.
    vault = make_vault(files(4, 4))
    other = tmp_path / "other" / vault.name
    shutil.copytree(vault, other)
    run_sync(vault, TODAY_DATE)
    calls = []
    real_fsync = os.fsync
    monkeypatch.setattr(batchwrite, "_syncfs", lambda: None)
    monkeypatch.setattr(batchwrite.os, "fsync", lambda fd: (calls.append(fd), real_fsync(fd))[1])
    report = run_sync(other, TODAY_DATE)
    assert len(calls) >= report.changed > 10  # (one per temporary file, plus the folders)
    assert snapshot(vault) == snapshot(other)


def test_a_small_batch_fsyncs_its_files_and_a_large_one_syncs_the_file_system_once(
        make_vault, tmp_path, monkeypatch):
    # A catch-up that writes one note fsyncs that note and its folder: a `syncfs` would
    # also wait for everything else waiting on the file system. A batch of many notes
    # makes them durable with one `syncfs` where there is one (Linux).
    from vaultkit.libc import libc_function
    real_syncfs = libc_function("syncfs", lambda c: (c.c_int,))
    syncfs_calls, fsync_calls = [], []
    real_fsync = os.fsync
    if real_syncfs is not None:
        counted = lambda fd: (syncfs_calls.append(fd), real_syncfs(fd))[1]  # noqa: E731
        monkeypatch.setattr(batchwrite, "_syncfs", lambda: counted)
    monkeypatch.setattr(batchwrite.os, "fsync", lambda fd: (fsync_calls.append(fd), real_fsync(fd))[1])
    vault = make_vault(files(4, 4))
    first = run_sync(vault, TODAY_DATE)
    assert first.changed >= batchwrite.SYNCFS_MIN
    if real_syncfs is not None:  # the 16 temporary files at once; the renames, in 4 folders, by folder
        assert len(syncfs_calls) == 1 and len(fsync_calls) >= 4
    else:
        assert len(fsync_calls) >= first.changed + 4
    note = vault / "F00" / "P00-0.md"
    note.write_text(note.read_text() + "Also [[P02-1]].\n")
    syncfs_calls.clear()
    fsync_calls.clear()
    again = run_sync(vault, TODAY_DATE)
    assert again.written_paths == ["F02/P02-1.md"]
    assert syncfs_calls == []
    assert len(fsync_calls) >= 2  # the temporary file, then its folder once renamed
    assert temp_files(vault) == []


def test_a_save_while_the_batch_is_staged_is_kept_and_the_rest_is_written(make_vault, monkeypatch):
    # The user saves a note after its new text was staged, before the batch puts it in
    # place: that note is left as saved (and retried by the next sync); the others are written.
    vault = make_vault(files(3, 3))
    target = vault / "F01/P01-1.md"
    saved = CONTACT + "# P1-1\n\nTyped while vaultkit ran. [[P02-1]]\n"
    real_sync_all = batchwrite._sync_all

    def save_then_sync(folders, fds):
        if fds and target.read_text("utf-8") != saved:
            target.write_text(saved, "utf-8")
        return real_sync_all(folders, fds)

    monkeypatch.setattr(batchwrite, "_sync_all", save_then_sync)
    report = run_sync(vault, TODAY_DATE)
    assert "F01/P01-1.md" in report.skipped
    assert target.read_text("utf-8") == saved
    assert report.changed == 8 and temp_files(vault) == []
    monkeypatch.setattr(batchwrite, "_sync_all", real_sync_all)
    again = run_sync(vault, TODAY_DATE)
    assert again.written_paths == ["F01/P01-1.md"]
    text = target.read_text("utf-8")
    assert text.startswith(saved) and "[[P00-1]]" in block_inner(text, "connections")


@pytest.mark.skipif(not write._exchanger(), reason="the second look exists where names are exchanged")
def test_a_save_in_place_after_the_exchange_is_given_back_by_the_batch(make_vault, monkeypatch):
    # An editor that opened the note before the batch exchanged names writes into that
    # file (now at the temporary name) while the batch syncs its renames: the batch's
    # second look sees it and gives the save back, as one write's does.
    vault = make_vault(files(3, 3))
    target = vault / "F01/P01-1.md"
    saved = CONTACT + "# P1-1\n\nWritten in place. [[P02-1]]\n"
    real_sync_all = batchwrite._sync_all
    held = {}

    def fd_opened_before(folders, fds):
        if fds:  # (the temporary files' sync: the exchange has not happened yet)
            if "fd" not in held and "done" not in held:
                held["fd"], held["done"] = os.open(target, os.O_WRONLY), True
        elif "fd" in held:  # (the renames' sync: the old file is now at a temporary name)
            fd = held.pop("fd")
            os.ftruncate(fd, 0)
            os.write(fd, saved.encode())
            os.close(fd)
        return real_sync_all(folders, fds)

    monkeypatch.setattr(batchwrite, "_sync_all", fd_opened_before)
    report = run_sync(vault, TODAY_DATE)
    assert "F01/P01-1.md" in report.skipped
    assert target.read_text("utf-8") == saved
    assert temp_files(vault) == []
    assert report.changed == 8
