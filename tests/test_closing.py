"""Closing the replaced notes' old files on a second thread (`closing.py`): every
descriptor handed over is closed, no more than `WAITING` wait at once, the thread is gone
before a fork and at the end of a pass, and a sync that replaces many notes leaves no
file open and no thread behind."""

from __future__ import annotations

import datetime as dt
import os
import threading

import pytest

from conftest import TODAY
from vaultkit import closing
from vaultkit.parallel import Forked
from vaultkit.sync import Session

needs_proc_fd = pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="needs /proc/self/fd")


def closer_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "vaultkit-close"]


def is_open(fd: int) -> bool:
    try:
        os.fstat(fd)
    except OSError:
        return False
    return True


def open_files(tmp_path, n: int) -> list[int]:
    fds = []
    for k in range(n):
        path = tmp_path / f"f{k}"
        path.write_bytes(b"x")
        fds.append(os.open(path, os.O_RDONLY))
    return fds


def test_every_descriptor_handed_over_is_closed_once_drained(tmp_path):
    fds = open_files(tmp_path, closing.WAITING * 3 + 1)  # (more than may wait at once)
    for fd in fds:
        closing.close_later(fd)
    assert len(closer_threads()) == 1
    closing.drain()
    assert not any(is_open(fd) for fd in fds)  # (nothing opened meanwhile takes their numbers)
    assert closer_threads() == []
    closing.drain()  # (nothing handed over: nothing to do)


def test_a_removed_file_held_open_is_freed_by_the_closing_thread(tmp_path):
    path = tmp_path / "old.md"
    path.write_bytes(b"the old version")
    fd = os.open(path, os.O_RDONLY)
    path.unlink()
    closing.close_later(fd)
    closing.drain()
    assert not is_open(fd)


def same_file(fd: int, st: os.stat_result) -> bool:
    """Whether `fd` is open on the file `st` is of (its number may be taken again once closed)."""
    try:
        now = os.fstat(fd)
    except OSError:
        return False
    return (now.st_dev, now.st_ino) == (st.st_dev, st.st_ino)


def test_a_fork_waits_for_the_closing_thread_to_end(tmp_path):
    [fd] = open_files(tmp_path, 1)
    st = os.fstat(fd)
    closing.close_later(fd)
    child = Forked(lambda: iter([1, 2]))
    try:
        assert closer_threads() == []  # drained before the fork
        assert not same_file(fd, st)
        if child.pid is not None:  # (a second CPU: it forked, with this one thread)
            assert list(child.chunks()) == [1, 2] and child.complete
    finally:
        child.cancel()


@needs_proc_fd
def test_a_sync_replacing_many_notes_leaves_no_file_open_and_no_thread(make_vault):
    notes = {f"People/P{k:03d}.md": f"---\ntype: contact\n---\nKnows [[P{(k + 1) % 120:03d}]].\n"
             for k in range(120)}
    vault = make_vault(notes)
    before = set(os.listdir("/proc/self/fd"))
    s = Session(vault, dt.date.fromisoformat(TODAY))
    try:
        report = s.sync()
    finally:
        s.close()
    assert report.changed >= 120 and not report.problems  # each got its backlinks block
    assert closer_threads() == []
    assert set(os.listdir("/proc/self/fd")) <= before
    assert not [p for p in vault.rglob("*") if p.name.startswith(".vaultkit-tmp")]


def test_descriptors_handed_over_from_several_threads_while_another_drains_are_all_closed(tmp_path):
    fds = open_files(tmp_path, 4 * 60)
    stats = [os.fstat(fd) for fd in fds]
    start = threading.Barrier(5)

    def hand_over(part: list[int]) -> None:
        start.wait()
        for fd in part:
            closing.close_later(fd)

    def keep_draining() -> None:
        start.wait()
        for _ in range(50):
            closing.drain()

    threads = [threading.Thread(target=hand_over, args=(fds[k::4],)) for k in range(4)]
    threads.append(threading.Thread(target=keep_draining))
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not any(t.is_alive() for t in threads)
    closing.drain()
    assert closer_threads() == []
    assert not any(same_file(fd, st) for fd, st in zip(fds, stats))
