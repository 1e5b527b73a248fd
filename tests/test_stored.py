"""The index a complete pass stores, and the catch-up that starts from it (`stored.py`):
the restored index answers as a newly built one, records are decoded only when asked for,
and whatever does not fit (another pass's state, a damaged one, a lost cache row, new
attachments) leaves the catch-up to build its index as before, with the same output."""

from __future__ import annotations

import datetime as dt
import marshal
import shutil
import sqlite3
import zlib
from pathlib import Path

from conftest import TODAY, snapshot

from vaultkit.cache import STATE_FILES, record_from_blob
from vaultkit.model import COMPANY, CONTACT, INTERVIEW, NoteRecord, Records
from vaultkit.resolve import LoadedResolver
from vaultkit.scan import scan
from vaultkit.scoped import ScopedIndex
from vaultkit.stored import Chunked, Decoded, LazyRecords, restore
from vaultkit.sync import Session, run_sync

DAY = dt.date.fromisoformat(TODAY)


def _rec(path: str, kind: str | None = None, ok: bool = True, problems: tuple = ()) -> NoteRecord:
    return NoteRecord(path, 1, 1, kind=kind, ok=ok, problems=problems)


def test_a_decoded_map_decodes_each_value_once_and_everything_when_iterated():
    calls = []

    def decode(key, raw):
        calls.append(key)
        return None if raw == "gone" else raw.upper()

    m = Decoded({"b": "bee", "a": "ay", "c": "sea", "x": "gone"}, decode)
    assert len(m) == 4 and "a" in m and "zz" not in m and calls == []
    assert m["b"] == "BEE" and m.get("b") == "BEE" and calls == ["b"]
    assert m.get("x") is None and "x" not in m  # a value that cannot be made is missing
    m["d"] = "dee"  # set without decoding
    m["c"] = "new"  # replaces the stored value, which is never decoded
    del m["a"]
    assert m.paths() == {"b", "c", "d"} and calls == ["b", "x"]
    assert m.encoded(lambda k, v: v.lower()) == {"b": "bee", "c": "new", "d": "dee"}
    assert m.pop("b") == "BEE" and m.pop("zz", 0) == 0
    m2 = Decoded({"q": "q", "p": "p"}, decode)
    m2["z"] = "Z"
    assert list(m2) == ["p", "q", "z"]  # decoded, then in key order
    assert dict.__len__(m2) == 3


def test_lazy_records_answer_kinds_and_problems_from_their_summaries():
    loaded = []
    stored = {"b.md": _rec("b.md", CONTACT), "a.md": _rec("a.md", CONTACT, ok=False),
              "c.md": _rec("c.md", INTERVIEW, problems=("bad",)), "d.md": _rec("d.md")}

    def load(path):
        loaded.append(path)
        return stored[path]

    m = LazyRecords({p: (r.kind, r.ok, bool(r.problems)) for p, r in stored.items()}, load)
    m["e.md"] = _rec("e.md", CONTACT)
    assert m.of_kind(CONTACT) == ["b.md", "e.md"] and m.of_kind(INTERVIEW) == ["c.md"]
    assert loaded == []
    assert [r.path for r in m.with_problems()] == ["c.md"] and loaded == ["c.md"]
    assert m.summaries()["b.md"] == (CONTACT, True, False)
    assert Records(m.items()).of_kind(CONTACT) == m.of_kind(CONTACT)  # the same answers decoded


def _stored_and_built(vault):
    """(the index restored from the cache, one built from every cached record)."""
    s = Session(vault, DAY)
    try:
        files = s.cache.index_state(s.cache.get_meta("fingerprint"))
        db = sqlite3.connect(vault / ".vaultkit" / "cache.sqlite")
        rows = {p: record_from_blob(p, size, mtime, data)
                for p, size, mtime, data in db.execute("SELECT path, size, mtime_ns, data FROM notes")}
        db.close()
        attachments = scan(vault).attachments
        records, restored, _ = restore(files, attachments, s.excluded, rows.get)
        built = ScopedIndex(sorted(rows.values(), key=lambda r: r.path), attachments, s.excluded)
        return restored, built, records, rows
    finally:
        s.close()


def test_lazy_records_tell_whether_any_summary_changed():
    stored = {"a.md": _rec("a.md", CONTACT), "b.md": _rec("b.md"), "c.md": _rec("c.md", INTERVIEW)}

    def fresh():
        return LazyRecords({p: (r.kind, r.ok, bool(r.problems)) for p, r in stored.items()},
                           lambda path: stored.get(path) if path != "c.md" else None)
    m = fresh()
    assert m.get("a.md") is stored["a.md"] and m.summaries_unchanged()
    m["b.md"] = _rec("b.md", problems=())  # a new record, the same summary
    assert m.summaries_unchanged()
    m["b.md"] = _rec("b.md", problems=("now bad",))
    assert not m.summaries_unchanged()
    m = fresh()
    del m["a.md"]
    assert not m.summaries_unchanged()  # a record gone
    m = fresh()
    m["z.md"] = _rec("z.md")
    assert not m.summaries_unchanged()  # a record came
    m = fresh()
    assert m.get("c.md") is None and not m.summaries_unchanged()  # lost when decoded: gone too


def test_the_restored_index_answers_as_one_built_from_the_records(sample_copy):
    (sample_copy / "Templates" / "vaultkit").mkdir(parents=True, exist_ok=True)  # vaultkit's own
    (sample_copy / "Templates" / "vaultkit" / "Contact.md").write_text("---\ntype: contact\n---\n",
                                                                     encoding="utf-8")
    (sample_copy / "img.png").write_bytes(b"\x89PNG")
    assert run_sync(sample_copy, DAY).written > 0
    restored, built, records, rows = _stored_and_built(sample_copy)
    assert records.paths() == set(rows)
    for kind in (CONTACT, INTERVIEW, COMPANY, None):
        assert restored.paths_of_kind(kind) == built.paths_of_kind(kind), kind
    assert dict.__len__(restored.records) == 0  # (the kinds came from the summaries)
    paths = sorted(rows)
    for p in paths:
        assert sorted(map(repr, restored.out.get(p, ()))) == sorted(map(repr, built.out.get(p, ()))), p
        assert sorted(map(repr, restored.inbound.get(p, ()))) == sorted(map(repr, built.inbound.get(p, ()))), p
        assert restored.link(p) == built.link(p), p
        assert restored.records.get(p) == built.records.get(p), p
    assert restored.unresolved == built.unresolved
    assert restored.edges() == built.edges()
    assert restored.generated == built.generated
    assert restored._base == built._base and restored._base_groups == built._base_groups
    for c in built.paths_of_kind(CONTACT):
        assert restored.interviews_of(c) == built.interviews_of(c)
        assert restored.referrers_of(c) == built.referrers_of(c)
    assert restored.records.get("Templates/vaultkit/Contact.md").ok is False  # a link target only
    # Every attribute of the index and its resolver (a new one must be stored too), but
    # the answers each remembers for the life of a pass.
    remembered = {"_memo", "_kind_memo", "_by_company", "_links", "_sort_keys", "_stale", "_edges_sorted",
                  "_ties"}
    # (the restored resolver's name maps are loaded on first use: asked for here)
    assert all(getattr(restored.resolver, name) is not None for name in LoadedResolver.LAZY)
    for ours, theirs in ((restored, built), (restored.resolver, built.resolver)):
        assert vars(ours).keys() - {"_load", "changed"} == vars(theirs).keys()
        for name, value in vars(theirs).items():
            if name in remembered or name in ("records", "out", "inbound", "resolver"):
                continue
            assert getattr(ours, name) == value, name


def _plain_vault(make_vault, contacts: int = 40, notes: int = 120):
    files = {f"People/P{n}.md": "---\ntype: contact\n---\n" for n in range(contacts)}
    files.update({f"Notes/N{n}.md": f"About [[P{n % contacts}]].\n" for n in range(notes)})
    return make_vault(files)


def _catch_up(vault):
    s = Session(vault, DAY)
    try:
        report = s.sync()
        return report, s.last_pass, type(s.records), dict.__len__(s.records), len(s.records)
    finally:
        s.close()


def test_a_catch_up_starts_from_the_stored_index_and_decodes_few_records(make_vault, tmp_path):
    vault = _plain_vault(make_vault)
    run_sync(vault, DAY)
    twin = tmp_path / "twin"
    for n in range(3):
        with open(vault / "Notes" / f"N{n}.md", "a", encoding="utf-8") as f:
            f.write(f"And [[P{n + 7}]].\n")
        report, kind, records_type, decoded, total = _catch_up(vault)
        assert kind == "catch-up" and records_type is LazyRecords
        assert report.written_paths == [f"People/P{n + 7}.md"]
        assert total > 160 and decoded < 20, decoded
    shutil.copytree(vault, twin)
    assert run_sync(twin, DAY, rebuild=True).written == 0  # nothing a full pass would change
    assert snapshot(vault) == snapshot(twin)


def _damage(vault, sql: str, args=()) -> None:
    db = sqlite3.connect(vault / ".vaultkit" / "cache.sqlite")
    db.execute(sql, args)
    db.commit()
    db.close()


def _state(vault, n: int = 0) -> Path:
    return vault / ".vaultkit" / STATE_FILES[n]


def _flip_byte(vault) -> None:
    data = bytearray(_state(vault).read_bytes())
    data[len(data) // 2] ^= 0xFF
    _state(vault).write_bytes(bytes(data))


def _truncate(vault) -> None:
    data = _state(vault).read_bytes()
    _state(vault).write_bytes(data[: len(data) - 100])


def _garbage_part(vault) -> None:
    """A part that is whole (its length and checksum hold) but not the data expected."""
    data = _state(vault).read_bytes()
    head_len = data.index(b"\n") + 1 + 64
    size = int.from_bytes(data[head_len:head_len + 8], "little")
    junk = marshal.dumps(("not", "the", "head"))
    framed = len(junk).to_bytes(8, "little") + zlib.crc32(junk).to_bytes(4, "little") + junk
    _state(vault).write_bytes(data[:head_len] + framed + data[head_len + 12 + size:])


def test_a_damaged_or_unfitting_stored_index_leaves_the_catch_up_to_build_it(make_vault, tmp_path):
    vault = _plain_vault(make_vault)
    run_sync(vault, DAY)
    older = _state(vault).read_bytes()
    older_names = _state(vault, 1).read_bytes()
    breakages = [_flip_byte, _truncate, _garbage_part,
                 lambda v: _state(v).write_bytes(older),  # stored by another pass
                 lambda v: _state(v).unlink(),
                 lambda v: _state(v, 1).write_bytes(older_names),
                 lambda v: _state(v, 1).write_bytes(_state(v, 1).read_bytes()[:-1])]
    for n, breakage in enumerate(breakages):
        with open(vault / "Notes" / f"N{n}.md", "a", encoding="utf-8") as f:
            f.write(f"Now [[P{n + 20}]].\n")
        run_sync(vault, DAY)  # (a catch-up that stores its index)
        breakage(vault)
        with open(vault / "Notes" / f"N{n + 10}.md", "a", encoding="utf-8") as f:
            f.write(f"Now [[P{n + 30}]].\n")
        report, kind, records_type, _, _ = _catch_up(vault)
        assert kind == "catch-up" and records_type is Records, n
        assert report.written_paths == [f"People/P{n + 30}.md"], n
    # An attachment came: the stored resolver does not know it.
    (vault / "pic.png").write_bytes(b"\x89PNG")
    (vault / "Notes" / "N5.md").write_text("![[pic.png]] and [[P30]].\n", encoding="utf-8")
    report, kind, records_type, _, _ = _catch_up(vault)
    assert records_type is Records
    twin = tmp_path / "twin"
    shutil.copytree(vault, twin)
    assert run_sync(twin, DAY, rebuild=True).written == 0
    assert snapshot(vault) == snapshot(twin)


def test_a_record_the_cache_lost_is_read_from_its_note(make_vault, tmp_path):
    vault = _plain_vault(make_vault)
    run_sync(vault, DAY)
    # The contact whose block the edit changes, and a note linking it, lose their rows.
    _damage(vault, "DELETE FROM notes WHERE path IN ('People/P9.md', 'Notes/N49.md')")
    (vault / "Notes" / "N1.md").write_text("Now [[P9]].\n", encoding="utf-8")
    report, kind, records_type, _, _ = _catch_up(vault)
    assert kind == "catch-up" and records_type is LazyRecords
    assert report.written_paths == ["People/P1.md", "People/P9.md"]  # (N1 linked P1 before)
    block = (vault / "People" / "P9.md").read_text(encoding="utf-8")
    assert "[[N1]]" in block and "[[N49]]" in block and "[[N9]]" in block
    twin = tmp_path / "twin"
    shutil.copytree(vault, twin)
    assert run_sync(twin, DAY, rebuild=True).written == 0
    assert snapshot(vault) == snapshot(twin)


def test_a_long_lived_session_builds_its_index_from_every_record(make_vault):
    """`watch` keeps its index for hours and asks it from another thread: it starts from
    every record, not from the stored index."""
    vault = _plain_vault(make_vault)
    run_sync(vault, DAY)
    (vault / "Notes" / "N3.md").write_text("Now [[P11]].\n", encoding="utf-8")
    s = Session(vault, DAY)
    s.long_lived = True
    try:
        s.sync()
        assert s.last_pass == "catch-up" and type(s.records) is Records
    finally:
        s.close()


def test_an_edit_that_changes_no_output_keeps_the_stored_index_usable(make_vault):
    """A sync that finds only text outside links changed stores the new fingerprint
    without a pass: the stored index holds for it too, and the next catch-up uses it."""
    vault = _plain_vault(make_vault)
    run_sync(vault, DAY)
    with open(vault / "Notes" / "N4.md", "a", encoding="utf-8") as f:
        f.write("Just words.\n")
    report, kind, _, _, _ = _catch_up(vault)
    assert kind == "" and report.written == 0  # nothing to do
    with open(vault / "Notes" / "N4.md", "a", encoding="utf-8") as f:
        f.write("And [[P12]].\n")
    report, kind, records_type, _, _ = _catch_up(vault)
    assert kind == "catch-up" and records_type is LazyRecords
    assert report.written_paths == ["People/P12.md"]


def test_an_index_state_that_is_a_folder_is_gone_without(make_vault, tmp_path):
    """Where the stored index cannot be written (a folder in its place), every catch-up
    builds its index from the records, with the same output, and says nothing of it."""
    vault = _plain_vault(make_vault)
    run_sync(vault, DAY)
    _state(vault).unlink()
    _state(vault).mkdir()
    for n in range(2):
        (vault / "Notes" / f"N{n}.md").write_text(f"Now [[P{n + 20}]].\n", encoding="utf-8")
        report, kind, records_type, _, _ = _catch_up(vault)
        assert kind == "catch-up" and records_type is Records and report.problems == []
        assert report.written_paths == [f"People/P{n}.md", f"People/P{n + 20}.md"]
    assert _state(vault).is_dir()
    twin = tmp_path / "twin"
    shutil.copytree(vault, twin)
    assert run_sync(twin, DAY, rebuild=True).written == 0
    assert snapshot(vault) == snapshot(twin)


def test_the_fingerprint_made_from_the_walk_is_the_one_made_from_scratch(make_vault):
    """A pass makes its closing fingerprint from its starting walk's digests, made again
    only for the folders it wrote in: the same text as one made from every note's stat."""
    from vaultkit.fingerprint import fingerprint_of

    vault = _plain_vault(make_vault)
    run_sync(vault, DAY)
    for n in range(3):
        (vault / "Notes" / f"N{n}.md").write_text(f"Now [[P{n + 20}]].\n", encoding="utf-8")
        (vault / "Notes" / "Sub").mkdir(exist_ok=True)
        (vault / "Notes" / "Sub" / f"New {n}.md").write_text(f"Met [[P{n + 30}]].\n", encoding="utf-8")
        report, kind, _, _, _ = _catch_up(vault)
        # (a folder came: the first pass is a full one, from the same walk all the same)
        assert kind == ("full" if n == 0 else "catch-up") and report.written > 0
        s = Session(vault, DAY)
        try:
            assert s.cache.get_meta("fingerprint") == fingerprint_of(s, scan(vault).notes)
            assert s.sync().written == 0 and s.last_pass == ""  # nothing to do
        finally:
            s.close()


def test_links_are_stored_by_number_and_read_back_whatever_their_props():
    from vaultkit.model import ResolvedLink
    from vaultkit.stored import _decoder, _Ends

    ends = _Ends(["b.md"])
    out = [ResolvedLink("a.md", "b.md", None), ResolvedLink("a.md", "c.md", "company"),
           ResolvedLink("a.md", "b.md", "people")]
    odd = [ResolvedLink("a.md", "c.md", "we\x01ird"), ResolvedLink("a.md", "b.md", None)]
    stored = ends.encode(out, 1)
    assert stored == "0\x001\x01company\x000\x01people" and ends.paths == ["b.md", "c.md"]
    assert _decoder(ends.paths, 1)("a.md", stored) == out
    assert _decoder(ends.paths, 1)("a.md", ends.encode(odd, 1)) == odd
    inbound = [ResolvedLink("x.md", "b.md", None), ResolvedLink("c.md", "b.md", "contact")]
    assert _decoder(ends.paths, 0)("b.md", ends.encode(inbound, 0)) == inbound
    assert ends.paths == ["b.md", "c.md", "x.md"]  # (numbers only grow)
    assert _decoder(ends.paths, 1)("a.md", ends.encode([], 1)) == []


def test_a_catch_up_loads_only_the_name_maps_it_asks_and_stores_the_rest_as_read(make_vault, tmp_path):
    """A new link needs the map of base names to resolve (and to write the links of the
    block it renders), not the others; a new note changes names: every map it touches is
    loaded, and the file is written again, the maps it did not touch as they were read."""
    vault = _plain_vault(make_vault)
    (vault / "Notes" / "Linked.md").write_text("See [[Notes/N1]] and [n](N2.md).\n", encoding="utf-8")
    run_sync(vault, DAY)
    names = _state(vault, 1)
    before = _parts(names)
    with open(vault / "Notes" / "N5.md", "a", encoding="utf-8") as f:
        f.write("And [[P9]].\n")
    s = Session(vault, DAY)
    try:
        assert s.sync().written_paths == ["People/P9.md"] and s.last_pass == "catch-up"
        r = s.index.resolver
        assert type(r) is LoadedResolver and not r.changed
        assert r.loaded("_by_stem") and not any(r.loaded(a) for a in ("_by_name", "_by_alias", "_by_file"))
    finally:
        s.close()
    assert _parts(names) == before  # not written again: only its head retold
    (vault / "Notes" / "Brand new.md").write_text("Met [[P26]].\n", encoding="utf-8")
    s = Session(vault, DAY)
    try:
        s.sync()
        r = s.index.resolver
        assert s.last_pass == "catch-up" and r.changed and r.loaded("_notes") and not r.loaded("_by_file")
    finally:
        s.close()
    after = _parts(names)
    assert after[4] == before[4] and after[0] != before[0]  # `_by_file` as read; `_notes` anew
    twin = tmp_path / "twin"
    shutil.copytree(vault, twin)
    assert run_sync(twin, DAY, rebuild=True).written == 0
    assert snapshot(vault) == snapshot(twin)
    rebuilt = _parts(_state(twin, 1))
    for n in range(len(after)):  # every map, as a full pass makes it
        assert marshal.loads(rebuilt[n]) == marshal.loads(after[n]), n


def test_the_file_of_names_is_written_again_only_when_names_change(make_vault):
    """Most catch-ups leave every note's name as it was: the resolver's maps are not
    written again, only the head of their file says which pass they hold for."""
    vault = _plain_vault(make_vault)
    run_sync(vault, DAY)
    names = _state(vault, 1)
    before = (names.stat().st_ino, names.read_bytes())
    (vault / "Notes" / "N2.md").write_text("Now [[P25]].\n", encoding="utf-8")
    report, kind, records_type, _, _ = _catch_up(vault)
    assert kind == "catch-up" and records_type is LazyRecords
    after = (names.stat().st_ino, names.read_bytes())
    assert after[0] == before[0] and after[1] != before[1]  # the same file, its head retold
    assert after[1][-1000:] == before[1][-1000:]
    (vault / "Notes" / "Brand new.md").write_text("Met [[P26]].\n", encoding="utf-8")
    report, kind, records_type, _, _ = _catch_up(vault)
    assert kind == "catch-up" and names.stat().st_ino != before[0]  # a name came: written anew
    (vault / "Notes" / "N3.md").write_text("Now [[P27]].\n", encoding="utf-8")
    report, kind, records_type, _, _ = _catch_up(vault)
    assert records_type is LazyRecords and report.written_paths == ["People/P27.md", "People/P3.md"]


def test_a_catch_up_that_redoes_the_whole_vault_notes_decodes_everything_at_once(make_vault, tmp_path):
    """An edit that feeds the daily note and the referral index (a contact's front-matter)
    makes the catch-up read across every contact: it starts from the stored index, then
    decodes every record and link in one go, and writes what a full pass writes."""
    vault = _plain_vault(make_vault)
    run_sync(vault, DAY)
    (vault / "People" / "P5.md").write_text('---\ntype: contact\nreferred_by: "[[P6]]"\n---\n', encoding="utf-8")
    s = Session(vault, DAY)
    try:
        report = s.sync()
        assert s.last_pass == "catch-up" and s.stored_from is not None
        assert type(s.records) is Records and type(s.index.inbound) is dict
        assert "People/P6.md" in report.written_paths
    finally:
        s.close()
    twin = tmp_path / "twin"
    shutil.copytree(vault, twin)
    assert run_sync(twin, DAY, rebuild=True).written == 0
    assert snapshot(vault) == snapshot(twin)


def test_the_stored_index_is_never_written_through_a_symlink(make_vault, tmp_path):
    """Symlinks put where the files or their temporary files go lead nowhere: the file
    outside stays as it was; the files in `.vaultkit/` are replaced."""
    vault = _plain_vault(make_vault)
    run_sync(vault, DAY)
    outside = tmp_path / "outside.bin"
    outside.write_bytes(b"precious")
    (vault / ".vaultkit" / f".{STATE_FILES[0]}.tmp").symlink_to(outside)
    _state(vault, 1).unlink()
    _state(vault, 1).symlink_to(outside)
    for n in range(2):
        (vault / "Notes" / f"N{n}.md").write_text(f"Now [[P{n + 20}]].\n", encoding="utf-8")
        report, kind, _, _, _ = _catch_up(vault)
        assert kind == "catch-up" and f"People/P{n + 20}.md" in report.written_paths
    assert outside.read_bytes() == b"precious"
    assert not _state(vault, 1).is_symlink() and _state(vault).is_file()


def test_a_session_that_makes_a_second_pass_stores_that_pass_whole(make_vault):
    """What a pass restored its index from is that pass's alone: a later full pass of the
    same session stores both files for itself, and the next catch-up can use them."""
    vault = _plain_vault(make_vault)
    run_sync(vault, DAY)
    (vault / "Notes" / "N1.md").write_text("Now [[P21]].\n", encoding="utf-8")
    s = Session(vault, DAY)
    try:
        s.sync()
        assert s.last_pass == "catch-up" and s.stored_from is not None
        s.today = DAY + dt.timedelta(days=1)  # another day: a full pass
        s.sync()
        assert s.last_pass == "full" and s.stored_from is None
    finally:
        s.close()
    (vault / "Notes" / "N2.md").write_text("Now [[P22]].\n", encoding="utf-8")
    s = Session(vault, DAY + dt.timedelta(days=1))
    try:
        s.sync()
        assert s.last_pass == "catch-up" and type(s.records) is LazyRecords
    finally:
        s.close()


def _parts(path: Path) -> list[bytes]:
    data = path.read_bytes()
    at = data.index(b"\n") + 1 + 64  # past the magic line and the pass's tag
    parts = []
    while at < len(data):
        size = int.from_bytes(data[at:at + 8], "little")
        parts.append(data[at + 12:at + 12 + size])
        at += 12 + size
    return parts


def test_a_catch_up_loads_only_the_parts_of_the_links_it_touches(make_vault, tmp_path):
    """The links are stored in parts by note: a catch-up that adds one link loads the
    parts of the two notes it joins (and of those whose blocks it renders), not all of
    them, and stores the untouched parts, the head and the table of paths as they were."""
    vault = _plain_vault(make_vault)
    run_sync(vault, DAY)
    before = _parts(_state(vault))
    with open(vault / "Notes" / "N5.md", "a", encoding="utf-8") as f:
        f.write("And [[P9]].\n")
    s = Session(vault, DAY)
    try:
        report = s.sync()
        assert s.last_pass == "catch-up" and report.written_paths == ["People/P9.md"]
        for links in (s.index.out, s.index.inbound):
            assert type(links) is Chunked
            loaded = sum(part is None for part in links._parts)
            assert 1 <= loaded <= 8, loaded  # of 64
    finally:
        s.close()
    after = _parts(_state(vault))
    assert len(after) == len(before)
    assert after[0] == before[0] and after[-1] == before[-1]  # the head and the paths: no note came
    same = sum(a == b for a, b in zip(after[1:-2], before[1:-2]))
    assert 2 * 64 - 8 <= same < 2 * 64  # the parts of N5's links out and P9's links in changed
    twin = tmp_path / "twin"
    shutil.copytree(vault, twin)
    assert run_sync(twin, DAY, rebuild=True).written == 0
    assert snapshot(vault) == snapshot(twin)
    # A catch-up from the parts written again answers as a full pass would.
    with open(vault / "Notes" / "N6.md", "a", encoding="utf-8") as f:
        f.write("And [[P9]] once more.\n")
    report, kind, _, _, _ = _catch_up(vault)
    assert kind == "catch-up" and report.written_paths == ["People/P9.md"]
    shutil.rmtree(twin)
    shutil.copytree(vault, twin)
    assert run_sync(twin, DAY, rebuild=True).written == 0
    assert snapshot(vault) == snapshot(twin)


def test_a_chunked_map_loads_a_part_before_a_key_of_it_is_read_or_changed():
    def part(d):
        return marshal.dumps(d)

    from vaultkit.stored import _chunk_of
    keys = [f"k{n}.md" for n in range(40)]
    parts = [{} for _ in range(64)]
    for k in keys:
        parts[_chunk_of(k)][k] = k.upper()
    m = Chunked([part(p) for p in parts], lambda key, raw: raw.lower())
    assert all(p is not None for p in m._parts)
    assert m["k3.md"] == "k3.md" and sum(p is None for p in m._parts) == 1
    m["k4.md"] = "new"  # its part is loaded first: the stored value cannot come back over it
    del m["k5.md"]
    assert "k5.md" not in m and m["k4.md"] == "new"
    assert m.chunk_keys(_chunk_of("k4.md")) == list(parts[_chunk_of("k4.md")])
    assert len(m) == 39 and m.paths() == set(keys) - {"k5.md"}
    assert all(p is None for p in m._parts)
    assert m.changed(lambda k, v: v.upper()) == {"k4.md", "k5.md"}


def test_a_full_pass_of_a_large_vault_stores_its_index_from_a_second_process(make_vault, tmp_path, monkeypatch):
    """From `PARALLEL_MIN_NOTES` notes (here: any), a forked child stores the index while
    the pass fsyncs and commits: the files are the same bytes as stored in one process,
    and the next catch-up starts from them. A child that fails leaves it to the pass."""
    import os

    from vaultkit import parallel
    from vaultkit.cache import Cache

    vault = _plain_vault(make_vault)
    alone = tmp_path / "alone"
    shutil.copytree(vault, alone)
    monkeypatch.setattr(parallel, "PARALLEL_MIN_NOTES", 10 ** 9)
    run_sync(alone, DAY)
    monkeypatch.setattr(parallel, "PARALLEL_MIN_NOTES", 1)
    stores = []
    save = Cache.save_index_state
    monkeypatch.setattr(Cache, "save_index_state",
                        lambda *a, **k: (stores.append((os.getpid(), a[-1] if len(a) > 4 else k.get("only"))),
                                         save(*a, **k))[1])
    run_sync(vault, DAY)
    assert stores == [(os.getpid(), 1)]  # the names here; the state in the child
    for n in range(2):  # (each pass's tag differs: the notes it wrote have other mtimes)
        assert _parts(_state(vault, n)) == _parts(_state(alone, n)) and len(_parts(_state(vault, n))) > 2
    (vault / "Notes" / "N1.md").write_text("Now [[P21]].\n", encoding="utf-8")
    report, kind, records_type, _, _ = _catch_up(vault)
    assert kind == "catch-up" and records_type is LazyRecords and report.written_paths == ["People/P1.md", "People/P21.md"]
    assert stores[1:] == [(os.getpid(), None)]  # a catch-up's index is stored here, whole

    parent = os.getpid()

    def fails_in_the_child(*a, **k):
        if os.getpid() != parent:
            raise OSError("the child cannot write")
        return save(*a, **k)

    monkeypatch.setattr(Cache, "save_index_state", fails_in_the_child)
    shutil.rmtree(vault / ".vaultkit")
    run_sync(vault, DAY)
    (vault / "Notes" / "N2.md").write_text("Now [[P22]].\n", encoding="utf-8")
    report, kind, records_type, _, _ = _catch_up(vault)
    assert kind == "catch-up" and records_type is LazyRecords and report.written_paths == ["People/P2.md", "People/P22.md"]


def test_links_are_encoded_the_quick_way_exactly_as_by_the_loop():
    """`_Ends.encode` takes one comprehension when every end is numbered and no prop needs
    escaping, else its loop: both give what the loop alone gave (the same text or tuple,
    the same new numbers), on random links with new ends and props holding NUL or SOH."""
    import random

    from vaultkit.model import ResolvedLink
    from vaultkit.stored import _Ends

    def by_the_loop(ends: _Ends, links, end):
        ids = ends._ids if ends._ids is not None else {p: str(n) for n, p in enumerate(ends.paths)}
        ends._ids = ids
        tokens = []
        for link in links:
            n = ids.get(link[end]) or ends._number(link[end])
            if link[2] is not None and ("\x00" in link[2] or "\x01" in link[2]):
                return tuple(x for link in links for x in (link[end], link[2]))
            tokens.append(n if link[2] is None else f"{n}\x01{link[2]}")
        return "\x00".join(tokens)

    rng = random.Random(18)
    paths = [f"N{i}.md" for i in range(40)]
    props = [None, None, None, "company", "referred_by", "a\x00b", "x\x01y", ""]
    quick = 0
    for _ in range(400):
        known = rng.sample(paths, rng.randint(0, 40))
        ours, theirs = _Ends(known), _Ends(known)
        for _ in range(rng.randint(1, 6)):
            links = [ResolvedLink(rng.choice(paths), rng.choice(paths), rng.choice(props))
                     for _ in range(rng.randint(0, 8))]
            end = rng.choice((0, 1))
            before = len(ours.paths)
            got = ours.encode(links, end)
            quick += isinstance(got, str) and len(ours.paths) == before
            assert got == by_the_loop(theirs, links, end)
            assert ours.paths == theirs.paths
    assert quick > 200
