"""Reading many notes in two processes (parallel.read_notes) gives what one process gives.

From `PARALLEL_MIN_NOTES` notes on, a forked child parses part of them and hands its
records back; the tests lower that threshold to run the forked path on a small vault of
real files, odd notes included, and compare it with the one-process path.
"""

from __future__ import annotations

import os
import shutil
import sys
import time
import unicodedata

import pytest

import datetime as dt

from conftest import ROOT, TODAY, write_files
from vaultkit import parallel as vaultmod
from vaultkit import planning
from vaultkit.cache import record_from_blob
from vaultkit.sync import Session, run_sync
from vaultkit.parallel import read_notes
from vaultkit.scan import scan
from vaultkit.vault import parse_note, read_note_bytes

sys.path.insert(0, str(ROOT / "bench"))
from genvault import generate  # noqa: E402

TODAY_DATE = dt.date.fromisoformat(TODAY)

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="the forked reader exists only where fork does")

ODD = {
    "Odd/latin1.md": "caf\xe9 [[Nowhere]]\n".encode("latin-1"),
    "Odd/bad yaml.md": "---\ntype: contact\nname: [unclosed\n---\nbody [[People]]\n",
    "Odd/bom crlf.md": b"\xef\xbb\xbf---\r\ntype: contact\r\n---\r\nHi [[Odd/latin1]]\r\n",
    "Odd/markers.md": "text\n<!-- vaultkit:begin backlinks -->\nno end\n",
    unicodedata.normalize("NFD", "Odd/Zoë.md"): "---\naliases: [Zoe]\n---\n[[Zoë]] [x](../Odd/markers.md)\n",
    "Odd/empty.md": b"",
    "Odd/bom only.md": b"\xef\xbb\xbf# Hi\n[[Zoe]] ![[img.png]]\n",
}


@pytest.fixture
def vault(tmp_path):
    root = tmp_path / "v"
    generate(root, 300, seed=7)
    write_files(root, ODD)
    return root


def _read_one(root):
    def read_one(path, stat):
        data, size, mtime_ns = read_note_bytes(os.path.join(root, path))
        return parse_note(path, data, size, mtime_ns)
    return read_one


def _taking(order: list | None = None):
    """A `take` that keeps every batch as it is and collects the encodings handed with it
    (and, into `order`, the paths in the order it was given them)."""
    blobs = {}

    def take(got, encoded):
        blobs.update(encoded)
        if order is not None:
            order.extend(r.path for r in got)
        return got
    return take, blobs


def test_forked_read_gives_the_records_and_cache_encoding_of_a_one_process_read(vault, monkeypatch):
    monkeypatch.setattr(vaultmod, "BATCH_MIN", 4)  # many batches: both processes get some
    stats = scan(vault).notes
    paths = sorted(stats)
    take, no_blobs = _taking()
    one = read_notes(_read_one(vault), paths, stats, take=take)
    assert no_blobs == {}
    progress = []
    parent, read_one = os.getpid(), _read_one(vault)

    def read_slowly_here(path, stat):  # (so that the child surely gets batches, however loaded the machine)
        if os.getpid() == parent:
            time.sleep(0.001)
        return read_one(path, stat)

    order = []
    take, blobs = _taking(order)
    forked = vaultmod._read_notes_forked(read_slowly_here, paths, stats,
                                         lambda n, total: progress.append((n, total)), take)
    assert [r.path for r in forked] == paths
    assert order == paths  # (each batch goes to `take` once the batches before it are in)
    assert forked == one
    # The child's records come with their cache encoding, which decodes to the same record.
    assert blobs and set(blobs) < set(paths)
    by_path = {r.path: r for r in one}
    for path, blob in blobs.items():
        rec = by_path[path]
        assert record_from_blob(path, rec.size, rec.mtime_ns, blob) == rec
    # The parent parses part of the notes (with their encoding made by the cache later):
    # how much each takes depends on how fast each runs.
    assert len(blobs) < len(paths)
    assert progress and all(n <= total == len(paths) for n, total in progress)
    assert [n for n, _ in progress] == sorted(n for n, _ in progress)


def test_a_failing_child_leaves_the_parent_to_read_its_notes(vault):
    stats = scan(vault).notes
    paths = sorted(stats)
    parent = os.getpid()
    read_one = _read_one(vault)

    def fails_in_the_child(path, stat):
        if os.getpid() != parent:
            raise RuntimeError("child trouble")
        return read_one(path, stat)

    order = []
    take, blobs = _taking(order)
    got = vaultmod._read_notes_forked(fails_in_the_child, paths, stats, None, take)
    assert blobs == {} and order == paths
    assert got == read_notes(read_one, paths, stats)


def test_sync_with_the_forked_reader_writes_the_same_bytes(vault, tmp_path, monkeypatch):
    other = tmp_path / "w"
    shutil.copytree(vault, other)
    monkeypatch.setattr(vaultmod, "PARALLEL_MIN_NOTES", 10 ** 9)
    serial = run_sync(vault, TODAY_DATE)
    monkeypatch.setattr(vaultmod, "PARALLEL_MIN_NOTES", 1)
    forked = run_sync(other, TODAY_DATE)
    assert serial.written == forked.written > 0
    assert [p.as_json() for p in serial.problems] == [p.as_json() for p in forked.problems]
    assert _tree(vault) == _tree(other)
    # And the cache the forked pass stored serves the next pass as the serial one's does.
    s = Session(other, TODAY_DATE)
    s.load()
    assert s.parsed == 0
    s.close()


def test_a_note_broken_since_keeps_its_last_good_record_when_read_in_two_processes(vault, tmp_path,
                                                                                     monkeypatch):
    """Each batch is stored in the cache as it comes from either process; a note whose
    front-matter broke since is stored as its last good record, as one process does."""
    monkeypatch.setattr(vaultmod, "PARALLEL_MIN_NOTES", 1)
    monkeypatch.setattr(vaultmod, "BATCH_MIN", 4)
    run_sync(vault, TODAY_DATE)
    contact = next(p for p in sorted((vault / "People").rglob("*.md")) if p.read_text().startswith("---"))
    contact.write_text(contact.read_text().replace("---\n", "---\nname: [unclosed\n", 1))
    other = tmp_path / "w"
    shutil.copytree(vault, other)
    rel = contact.relative_to(vault).as_posix()
    forked = run_sync(vault, TODAY_DATE, rebuild=True)
    monkeypatch.setattr(vaultmod, "PARALLEL_MIN_NOTES", 10 ** 9)
    serial = run_sync(other, TODAY_DATE, rebuild=True)
    kept = [p for p in forked.problems if p.path == rel]
    assert kept and "using its last good version" in kept[0].message
    assert [p.as_json() for p in forked.problems] == [p.as_json() for p in serial.problems]
    assert _tree(vault) == _tree(other)
    for root in (vault, other):  # the cache holds the last good record, as the next pass finds it
        s = Session(root, TODAY_DATE)
        try:
            rec = s.cache.load_records(None)[rel]
            assert rec.ok and rec.kind == "contact" and rec.problems and rec.links
        finally:
            s.close()


def test_every_record_read_is_in_the_cache_after_the_pass_and_a_watch_stores_its_first_at_once(
        vault, monkeypatch):
    """The child's batches are stored as they come; those read here at the end of the
    pass (while a second process stores the index). Either way the cache ends up holding
    every note's record, the one a one-process read stores. A long-lived session (watch)
    stores the records of its first index at once."""
    monkeypatch.setattr(vaultmod, "PARALLEL_MIN_NOTES", 1)
    monkeypatch.setattr(vaultmod, "BATCH_MIN", 4)
    s = Session(vault, TODAY_DATE)
    try:
        s.sync()
        forked = {p: (r.kind, r.links, r.fields) for p, r in s.cache.load_records(None).items()}
        assert not s.unsaved
    finally:
        s.close()
    monkeypatch.setattr(vaultmod, "PARALLEL_MIN_NOTES", 10 ** 9)
    shutil.rmtree(vault / ".vaultkit")
    s = Session(vault, TODAY_DATE)
    try:
        s.load()
        assert s.unsaved and not s.cache.load_records({r.path: (r.size, r.mtime_ns) for r in s.unsaved[:1]})
        s.end_pass()
        serial = {p: (r.kind, r.links, r.fields) for p, r in s.cache.load_records(None).items()}
    finally:
        s.close()
    assert forked == serial and len(serial) >= 300
    shutil.rmtree(vault / ".vaultkit")
    watching = Session(vault, TODAY_DATE)
    try:
        watching.long_lived = True
        watching.load()
        assert not watching.unsaved and len(watching.cache.load_records(None)) == len(serial)
    finally:
        watching.close()


# -- rendering in two processes (planning._block_writes) --------------------------------


def _tree(root):
    out = {}
    for dirpath, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if d != ".vaultkit"]
        for name in files:
            path = os.path.join(dirpath, name)
            with open(path, "rb") as fh:
                out[os.path.relpath(path, root)] = fh.read()
    return out


def _two_syncs(root, today):
    """A first sync, then a cold one (no cache, every block current)."""
    first = run_sync(root, today)
    shutil.rmtree(root / ".vaultkit")
    cold = run_sync(root, today)
    return [(r.written, r.changed, r.created, r.as_json()["planned"], [p.as_json() for p in r.problems],
             r.written_paths, r.skipped) for r in (first, cold)]


def _serial_then_forked(vault, tmp_path, monkeypatch):
    """A copy of `vault`, the first and cold syncs of `vault` in one process, and the
    thresholds set so that every later pass renders with a child, in many hand-overs."""
    other = tmp_path / "w"
    shutil.copytree(vault, other)
    monkeypatch.setattr(planning, "PARALLEL_MIN_BLOCKS", 10 ** 9)
    serial = _two_syncs(vault, TODAY_DATE)
    monkeypatch.setattr(planning, "PARALLEL_MIN_BLOCKS", 1)
    monkeypatch.setattr(planning, "RENDER_BATCH", 7)
    return other, serial


@pytest.fixture
def children(monkeypatch):
    """The render children forked, as (pid, complete) once each was done with."""
    seen = []

    class Counted(planning.Forked):
        def cancel(self):
            if self.pid is not None:
                seen.append((self.pid, self.complete))
            super().cancel()

    monkeypatch.setattr(planning, "Forked", Counted)
    return seen


def test_sync_with_blocks_rendered_in_two_processes_writes_the_same_bytes(vault, tmp_path, monkeypatch, children):
    other, serial = _serial_then_forked(vault, tmp_path, monkeypatch)
    assert not children
    assert _two_syncs(other, TODAY_DATE) == serial
    # The first sync's child, started before the generated notes were planned, is dropped
    # (notes were created: its blocks lack them) and another renders; the cold sync creates
    # none and writes what its early child rendered.
    assert [complete for _, complete in children] == [False, True, True]
    assert serial[0][0] > 100 and serial[1][0] == 0  # the first wrote blocks, the cold one none
    assert _tree(vault) == _tree(other)


def test_a_failing_render_child_leaves_the_parent_to_render_its_blocks(vault, tmp_path, monkeypatch, children):
    from vaultkit import blocks
    other, serial = _serial_then_forked(vault, tmp_path, monkeypatch)
    parent = os.getpid()
    for kind, (name, render) in list(blocks.BLOCK_OF_KIND.items()):
        def failing(f, path, render=render):
            if os.getpid() != parent:
                raise RuntimeError("child trouble")
            return render(f, path)
        monkeypatch.setitem(blocks.BLOCK_OF_KIND, kind, (name, failing))
    assert _two_syncs(other, TODAY_DATE) == serial
    assert children and not any(complete for _, complete in children)  # each child failed
    assert _tree(vault) == _tree(other)


def test_blocks_above_links_keep_the_render_child_in_use(vault, tmp_path, monkeypatch, children):
    # A contact whose (empty) block sits above its body: writing the block moves the links
    # below it to other lines. That changes nothing a render reads: the child's blocks,
    # rendered from the index as the pass began, give the bytes and the report of one process.
    moved = 0
    for path in sorted((vault / "People").rglob("*.md")):
        text = path.read_text(encoding="utf-8")
        if text.startswith("---\n") and "[[" in text.split("\n---\n", 1)[-1]:
            head, body = text.split("\n---\n", 1)
            path.write_text(f"{head}\n---\n<!-- vaultkit:begin connections -->\n"
                            f"<!-- vaultkit:end connections -->\n{body}", encoding="utf-8")
            moved += 1
    assert moved > 20
    other, serial = _serial_then_forked(vault, tmp_path, monkeypatch)
    assert _two_syncs(other, TODAY_DATE) == serial
    assert _tree(vault) == _tree(other)
    assert [complete for _, complete in children] == [False, True, True]


def test_planning_that_fails_leaves_no_render_child_behind(vault, monkeypatch, children):
    # The child forked before the generated notes are planned is dropped (and reaped) if
    # planning them fails: the failure goes on to the caller, no process is left.
    run_sync(vault, TODAY_DATE)
    monkeypatch.setattr(planning, "PARALLEL_MIN_BLOCKS", 1)
    from vaultkit import generate

    def failing(*args, **kwargs):
        raise RuntimeError("planning trouble")
    monkeypatch.setattr(generate, "plan_generated", failing)
    with pytest.raises(RuntimeError, match="planning trouble"):
        run_sync(vault, TODAY_DATE, rebuild=True)
    assert [complete for _, complete in children] == [False]
    with pytest.raises(ChildProcessError):  # (reaped: no child of this process is left)
        os.waitpid(children[0][0], os.WNOHANG)


def _with_ticks(root, today):
    """A first sync with a calendar feed, then every open line of today's follow-ups
    ticked, then a sync that records them (and plans the follow-ups again)."""
    reports = [run_sync(root, today)]
    daily = root / f"Follow-ups/{today.isoformat()}.md"
    text = daily.read_text("utf-8")
    assert text.count("- [ ] ") > 3
    daily.write_text(text.replace("- [ ] ", "- [x] "), "utf-8")
    reports.append(run_sync(root, today))
    reports.append(run_sync(root, today))
    return [(r.written_paths, r.skipped, [p.as_json() for p in r.problems]) for r in reports]


def test_the_whole_vault_notes_rendered_while_the_child_renders_write_the_same_bytes(
        vault, tmp_path, monkeypatch, children):
    # The referral index, today's follow-ups and the calendar feed are rendered while the
    # child renders blocks, and written after the blocks as before; ticks in today's note
    # are still recorded first, on notes whose blocks this same pass rewrote.
    write_files(vault, {".vaultkit/config.toml": 'calendar = "interviews.ics"\n'})
    other = tmp_path / "other" / vault.name  # (the feed names the vault)
    shutil.copytree(vault, other)
    monkeypatch.setattr(planning, "PARALLEL_MIN_BLOCKS", 10 ** 9)
    serial = _with_ticks(vault, TODAY_DATE)
    assert not children
    monkeypatch.setattr(planning, "PARALLEL_MIN_BLOCKS", 1)
    monkeypatch.setattr(planning, "RENDER_BATCH", 5)
    assert _with_ticks(other, TODAY_DATE) == serial
    # (the first sync's early child dropped, as it created notes; the passes after it are
    # catch-ups, which render in one process)
    assert [complete for _, complete in children] == [False, True]
    assert (other / "interviews.ics").read_bytes().startswith(b"BEGIN:VCALENDAR")
    assert _tree(vault) == _tree(other)
