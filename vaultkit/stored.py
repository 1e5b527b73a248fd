"""The index of the last complete pass, stored, so that a catch-up starts from it instead
of building it again.

A catch-up (see `reading.load_catching_up`) used to decode every cached record and build
the whole index before it applied the few notes that changed: work in proportion to the
vault, for an edit of one note. The index's own state is plain data (paths, names, the
resolved links, the referral edges, the interviews' key bases), which `marshal` stores and
loads at the speed of C; the records are the bulk, and a catch-up needs only the few its
plan reads. So at the end of every complete pass the index's state is stored beside the
cache, in two files whose heads name that pass (`dump`; the files are
`Cache.save_index_state`'s); a catch-up from that same pass restores it (`restore`),
with records decoded from the cache, and links and name maps loaded from the state, on
first use (`LazyRecords`, `Chunked`, `resolve.LoadedResolver`).

The stored state is the index the pass ended with, made from the records the cache holds
under the same fingerprint; restored, it answers every query exactly as a newly built
index would (the property tests hold the two to the same output). Anything that asks for
every record (a note came whose name other notes' links may now mean) still gets them:
the map then decodes the rest.

`dump` and `restore` read and set the index's and its resolver's own attributes: whatever
they come to hold must be stored here too (a test compares every attribute of a restored
index with a built one's).
"""

from __future__ import annotations

import marshal
import zlib
from typing import Callable, Iterable, Iterator, NamedTuple

from .model import Link, NoteRecord, Records, Referral, ResolvedLink
from .resolve import LoadedResolver
from .scoped import ScopedIndex

_VERSION = 7  # of the stored state's layout
_MARSHAL_VERSION = 4
_new = tuple.__new__

# What the stored state keeps of each record that it does not decode: (kind, ok, has problems).
Summary = tuple[str | None, bool, bool]


class Decoded(dict):
    """A map whose values are made from stored data (`raw`) by `decode(key, raw value)`
    the first time each is asked for. Iterating over the map decodes every value first."""

    def __init__(self, raw: dict, decode: Callable[[str, object], object]):
        super().__init__()
        self._raw = raw
        self._decode = decode
        self._was: dict = {}  # key -> its stored value, once decoded
        self._set: set[str] = set()  # keys set, deleted or popped since

    def __missing__(self, key: str):
        raw = self._raw.pop(key, _NONE)
        if raw is _NONE:
            raise KeyError(key)
        self._was[key] = raw
        value = self._decode(key, raw)
        if value is None:
            raise KeyError(key)
        dict.__setitem__(self, key, value)
        return value

    def get(self, key: str, default=None):
        try:
            return self[key]
        except KeyError:
            return default

    def __contains__(self, key: object) -> bool:
        return dict.__contains__(self, key) or key in self._raw

    def __len__(self) -> int:
        return dict.__len__(self) + len(self._every())

    def __setitem__(self, key: str, value) -> None:
        self._set.add(key)
        raw = self._raw.pop(key, _NONE)
        if raw is not _NONE:
            self._was.setdefault(key, raw)
        dict.__setitem__(self, key, value)

    def __delitem__(self, key: str) -> None:
        self._set.add(key)
        raw = self._raw.pop(key, _NONE)
        if raw is _NONE:
            dict.__delitem__(self, key)
        else:
            self._was.setdefault(key, raw)

    def pop(self, key: str, *default):
        self._set.add(key)
        self.get(key)
        return dict.pop(self, key, *default)

    def setdefault(self, key: str, default=None):
        if key not in self:
            self[key] = default
        return self[key]

    def update(self, *args, **kwargs) -> None:
        for key, value in dict(*args, **kwargs).items():
            self[key] = value

    def decode_all(self) -> None:
        """Decode every value still stored; the map is then in key order."""
        if self._every():
            self._decode_rest()
            items = sorted(dict.items(self))
            dict.clear(self)
            dict.update(self, items)

    def _decode_rest(self) -> None:
        for key in list(self._every()):
            self.get(key)

    def _every(self) -> dict:
        """The values still stored, every one of them."""
        return self._raw

    def __iter__(self):
        self.decode_all()
        return dict.__iter__(self)

    def keys(self):
        self.decode_all()
        return dict.keys(self)

    def values(self):
        self.decode_all()
        return dict.values(self)

    def items(self):
        self.decode_all()
        return dict.items(self)

    def copy(self) -> dict:
        self.decode_all()
        return dict(dict.items(self))

    def paths(self) -> set[str]:
        """Every key (decoding none)."""
        return self._every().keys() | dict.keys(self)

    def changed(self, encode: Callable[[str, object], object]) -> set[str]:
        """The keys whose stored value would differ now (`encode(key, value)` makes one):
        those set or deleted, and those decoded whose value changed in place."""
        return self._set | {k for k, v in dict.items(self) if k in self._was and encode(k, v) != self._was[k]}

    def encoded(self, encode: Callable[[str, object], object]) -> dict:
        """The map as stored data: the values still stored as they are, the decoded ones
        encoded again (`encode(key, value)`)."""
        out = dict(self._every())
        for key, value in dict.items(self):
            out[key] = encode(key, value)
        return out


_NONE = object()


class Chunked(Decoded):
    """A `Decoded` map stored in parts by key (`_chunk_of`), each part loaded the first
    time one of its keys is asked for or changed: a catch-up loads the few parts that
    its notes' links are in, not every note's."""

    def __init__(self, parts: list, decode: Callable[[str, object], object]):
        super().__init__({}, decode)
        self._parts = list(parts)  # per part: its stored bytes, None once loaded
        self._keys: dict[int, list[str]] = {}  # per loaded part: its keys as stored

    def _load(self, n: int) -> None:
        part = self._parts[n]
        if part is not None:
            self._parts[n] = None
            stored = marshal.loads(part)
            self._keys[n] = list(stored)
            self._raw.update(stored)  # (a key is never set before its part is loaded)

    def _load_key(self, key) -> None:
        if type(key) is str:
            self._load(_chunk_of(key))

    def _every(self) -> dict:
        for n in range(len(self._parts)):
            self._load(n)
        return self._raw

    def chunk_keys(self, n: int) -> list[str]:
        """The keys part `n` was stored with."""
        self._load(n)
        return self._keys[n]

    def __missing__(self, key: str):
        self._load_key(key)
        return super().__missing__(key)

    def __contains__(self, key: object) -> bool:
        if dict.__contains__(self, key):
            return True
        self._load_key(key)
        return key in self._raw

    def __setitem__(self, key: str, value) -> None:
        self._load_key(key)
        super().__setitem__(key, value)

    def __delitem__(self, key: str) -> None:
        self._load_key(key)
        super().__delitem__(key)

    def pop(self, key: str, *default):
        self._load_key(key)
        return super().pop(key, *default)


class LazyRecords(Decoded, Records):
    """Records by path, each decoded (`load(path)`) the first time it is asked for; until
    then the map holds its summary, which answers `of_kind` and `with_problems`."""

    def __init__(self, pending: dict[str, Summary], load: Callable[[str], NoteRecord | None],
                 load_all: Callable[[], dict[str, NoteRecord]] | None = None):
        super().__init__(pending, lambda path, _summary: load(path))
        self._load_all = load_all

    def _decode_rest(self) -> None:
        """Every pending record at once (`load_all`: one pass over the cache, not one
        query a note), else one by one."""
        if self._load_all is not None and len(self._raw) > 100:
            self.fill(self._load_all())
        super()._decode_rest()

    def fill(self, found: dict[str, NoteRecord]) -> None:
        """Take the pending records from `found` (every stored record, read at once)."""
        for path in list(self._raw):
            rec = found.get(path)
            if rec is not None:
                self[path] = rec

    def of_kind(self, kind: str) -> list[str]:
        found = [p for p, r in dict.items(self) if r.kind == kind and r.ok]
        found += [p for p, (k, ok, _) in self._raw.items() if k == kind and ok]
        return sorted(found)

    def with_problems(self) -> list[NoteRecord]:
        found = [r for r in dict.values(self) if r.problems]
        for path in sorted(p for p, (_, _, flagged) in self._raw.items() if flagged):
            rec = self.get(path)
            if rec is not None:
                found.append(rec)
        return found

    def summaries(self) -> dict[str, Summary]:
        """Every record's summary (decoding none)."""
        return self.encoded(lambda _path, r: _summary(r))

    def summaries_unchanged(self) -> bool:
        """Whether every record's summary is still the one it was stored with (no record
        came or went, none changed kind, parsing or problems)."""
        was = self._was  # (every record decoded, set or deleted that was stored: its summary)
        if any(k not in was for k in self._set):
            return False  # a record came
        get = dict.get
        return all(_summary(rec) == summary if (rec := get(self, k)) is not None else False
                   for k, summary in was.items())  # (a record gone: deleted, or lost when decoded)


def summaries(records: Records) -> dict[str, Summary]:
    if isinstance(records, LazyRecords):
        return records.summaries()
    return {p: _summary(r) for p, r in records.items()}


def _summary(rec: NoteRecord, _known: dict = {}) -> Summary:  # noqa: B006 - one tuple per value
    summary = (rec.kind, rec.ok, bool(rec.problems))
    return _known.setdefault(summary, summary)


class Stored(NamedTuple):
    """What a restored index was loaded from: the stored parts of both files (those of
    what a pass did not change are stored again as they were loaded)."""

    parts: list
    name_parts: list  # one per `_NAMES`
    ends: list  # the paths links lead to or come from, by number (see `_Ends`)
    fingerprint: str = ""  # of the pass that stored them


# The resolver's maps, one part each in the second file.
_NAMES = ("_notes", "_attachments", "_by_path", "_by_stem", "_by_file", "_by_name", "_by_alias")
_CHUNKS = 64  # parts each of the links out and in are stored in (by key: see `_chunk_of`)
_STATE_PARTS = 3 + 2 * _CHUNKS  # in the first file: head, links out, links in, the rest, ends


def dump(ix: ScopedIndex, records: Records, since: Stored | None = None,
         only: int | None = None) -> list[Iterator[bytes] | None]:
    """The index's state and the records' summaries, as stored: per file, its parts, each
    made and encoded after the one before is let go (at 50,000 notes the whole would be
    ~50 MB of objects at the end of a pass that already holds the vault's records); for
    the file of the resolver's name maps, None while they are as `since` (what the index
    was restored from) had them. With `only`, that file alone (the other: None, and
    nothing of it is made)."""
    r = ix.resolver
    # A name map the pass never loaded is as it was stored; while no name changed, none did.
    lazy = since is not None and isinstance(r, LoadedResolver)
    names = tuple(n if lazy and not r.loaded(a) else (lambda a=a: getattr(r, a)) for n, a in enumerate(_NAMES))
    names_file = None if lazy and not r.changed else _made(names, since and since.name_parts)
    if only == 1:
        return [None, names_file]
    ix.edges()  # built: the restored index must not need a pass over the notes for them
    ix._forget(None)  # the answers remembered for the pass: not stored, and their memory is reused
    # (a full pass numbers every note first: `_Ends.encode` then takes its quick way)
    ends = _Ends(since.ends if since is not None else list(ix.records))
    same_head = since is not None and all(isinstance(m, LazyRecords) and m.summaries_unchanged()
                                          for m in (records, ix.records))
    state = (
        # (the index's summaries too: excluded notes are link targets only there)
        0 if same_head else (lambda: _head(records, ix.records)),
        *_flat(ix.out, lambda source, links: ends.encode(links, 1), since, 0),
        *_flat(ix.inbound, lambda target, links: ends.encode(links, 0), since, _CHUNKS),
        lambda: ({p: [tuple(link) for link in links] for p, links in ix.unresolved.items()},
                 ix._edge_parts, ix._pair_sources, {pair: e.via for pair, e in ix._edge_map.items()},
                 ix._referrers, ix._referred, ix.generated, ix._base, ix._base_groups),
        # (last: the links' parts add to it; as stored while they added none)
        lambda: since.parts[-1] if since is not None and len(ends.paths) == len(since.ends) else ends.paths,
    )
    return [_made(state, since and since.parts), None if only == 0 else names_file]


def _made(parts: tuple, stored: list | None) -> Iterator[bytes]:
    for part in parts:
        if isinstance(part, int):  # a part as it was stored (the head, one of the links or names)
            yield stored[part]
        else:
            made = part()
            yield made if isinstance(made, (bytes, memoryview)) else marshal.dumps(made, _MARSHAL_VERSION)


def _chunk_of(key: str) -> int:
    """Which part of the links a note's are stored in (the same in every process)."""
    return zlib.crc32(key.encode("utf-8", "surrogatepass")) % _CHUNKS


def _flat(links: dict[str, list[ResolvedLink]], encode, since: Stored | None,
          first: int) -> list[Callable[[], dict] | int]:
    """A map of resolved links as stored, in `_CHUNKS` parts made one after another: per
    key, the other ends and props of its links (`encode`). From a `Chunked` map restored
    from `since`, a part none of whose keys changed is the part as it was stored (its
    number among the state's parts, 1 + `first` + n)."""
    get = dict.__getitem__
    if isinstance(links, Chunked) and since is not None:
        raw = links._raw
        changed = links.changed(encode)
        dirty = {_chunk_of(k) for k in changed}

        def chunk(n: int) -> dict:
            keys = [*links.chunk_keys(n), *(k for k in changed if _chunk_of(k) == n)]
            return {k: raw[k] if k in raw else encode(k, get(links, k)) for k in keys if k in links}
        return [(lambda n=n: chunk(n)) if n in dirty else 1 + first + n for n in range(_CHUNKS)]
    groups: list[list[str]] = [[] for _ in range(_CHUNKS)]
    for key in links:
        groups[_chunk_of(key)].append(key)
    return [lambda keys=keys: {k: encode(k, get(links, k)) for k in keys} for keys in groups]


def _with_prop(n: str, prop: str) -> str:
    if "\x00" in prop or "\x01" in prop:
        raise KeyError(prop)  # (`_Ends.encode`'s loop stores these links as a tuple)
    return f"{n}\x01{prop}"


class _Ends:
    """The paths links lead to or come from, by number: a link is stored as its other
    end's number (and its prop), not as the path again. Numbers only ever grow (a
    catch-up adds the new paths at the end), so that the parts it writes again as they
    were read still mean the same paths; a full pass numbers them afresh."""

    def __init__(self, paths: list[str]):
        self.paths = list(paths)
        self._ids: dict[str, str] | None = None  # path -> its number, as text

    def _number(self, path: str) -> str:
        n = self._ids[path] = str(len(self.paths))
        self.paths.append(path)
        return n

    def encode(self, links: list[ResolvedLink], end: int) -> str | tuple:
        """The other ends (`end` 1: the targets; 0: the sources) and props of `links`, as
        one string: "n" or "n SOH prop" per link, NUL between links (`marshal` loads one
        string much faster than a tuple of many). A prop holding NUL or SOH: a tuple of
        (path, prop) pairs instead."""
        ids = self._ids
        if ids is None:
            ids = self._ids = {p: str(n) for n, p in enumerate(self.paths)}
        try:  # (the quick way: every end numbered already, no prop to escape)
            return "\x00".join([ids[link[end]] if link[2] is None else _with_prop(ids[link[end]], link[2])
                                for link in links])
        except KeyError:
            pass  # a new end, or a prop holding NUL or SOH: the loop, as if this had not run
        tokens = []
        for link in links:
            n = ids.get(link[end]) or self._number(link[end])
            prop = link[2]
            if prop is not None and ("\x00" in prop or "\x01" in prop):
                return tuple(x for link in links for x in (link[end], link[2]))
            tokens.append(n if prop is None else f"{n}\x01{prop}")
        return "\x00".join(tokens)


def _decoder(paths: list[str], end: int) -> Callable[[str, str | tuple], list[ResolvedLink]]:
    """Links as `_Ends.encode` stored them, made again for the note `key` at the other end."""
    def decode(key: str, stored: str | tuple) -> list[ResolvedLink]:
        if type(stored) is tuple:
            pairs = [(stored[i], stored[i + 1]) for i in range(0, len(stored), 2)]
        else:
            pairs = []
            for token in stored.split("\x00") if stored else ():
                n, _, prop = token.partition("\x01")
                pairs.append((paths[int(n)], prop or None))
        if end:
            return [_new(ResolvedLink, (key, other, prop)) for other, prop in pairs]
        return [_new(ResolvedLink, (other, key, prop)) for other, prop in pairs]
    return decode


def restore(files: list[list], attachments: Iterable[str], excluded: Callable[[str], bool],
            load: Callable[[str], NoteRecord | None], load_all: Callable[[], dict[str, NoteRecord]] | None = None,
            ) -> tuple[LazyRecords, ScopedIndex, Stored] | None:
    """(the records, the index, what they came from) as `dump` stored them (`files`: per
    file, its parts), the records decoded by `load` on first use (`load_all`: every
    stored record at once, for when every one is asked for); None if the state is of
    another layout, or the vault's attachments are not those it was made with."""
    try:
        parts, name_parts = files
        if len(parts) != _STATE_PARTS or len(name_parts) != len(_NAMES):
            return None
        # (the links and the name maps but the attachments: on first use)
        head, rest, ends, files_ = (marshal.loads(part) for part in (parts[0], parts[-2], parts[-1], name_parts[1]))
        version, notes, whole, scoped = head
        (unresolved, edge_parts, pair_sources, vias, referrers, referred, generated, base,
         base_groups) = rest
    except (ValueError, EOFError, TypeError):
        return None
    if version != _VERSION or type(ends) is not list or set(attachments) != files_:
        return None
    records = LazyRecords(notes, load, load_all)
    ix = ScopedIndex((), (), excluded)
    # (Decoded from the cache, not from `records`: a pass changes the session's records
    # before it updates the index, which must still find the old ones.)
    ix.records = LazyRecords(scoped if whole else {**notes, **scoped}, lambda path: _scoped(ix, load(path)),
                             load_all and (lambda: _all_scoped(ix, load_all())))
    stored_names = dict(zip(_NAMES, name_parts))
    ix.resolver = LoadedResolver(lambda name: marshal.loads(stored_names[name]), files_)
    ix.out = Chunked(parts[1:1 + _CHUNKS], _decoder(ends, 1))
    ix.inbound = Chunked(parts[1 + _CHUNKS:1 + 2 * _CHUNKS], _decoder(ends, 0))
    ix.unresolved = {p: [Link._make(t) for t in links] for p, links in unresolved.items()}
    ix._edges_built = True
    ix._edge_parts = edge_parts
    ix._pair_sources = pair_sources
    ix._edge_map = {pair: Referral(pair[0], pair[1], via) for pair, via in vias.items()}
    ix._referrers = referrers
    ix._referred = referred
    ix.generated = generated
    ix._base = base
    ix._base_groups = base_groups
    return records, ix, Stored(parts, name_parts, ends)


def settle(records: LazyRecords, ix: ScopedIndex, found: dict[str, NoteRecord]) -> Records:
    """Every record and link decoded at once (`found`: every stored record, read in one
    pass over the cache), and plain maps in place of the lazy ones: for a pass that reads
    across every contact and interview (the whole-vault notes), where decoding them one at
    a time would cost more. Returns the records (the index's are in `ix`)."""
    records.fill(found)
    ix.records.fill(_all_scoped(ix, found))
    plain = Records(records.items())  # (each decodes what is left, in path order)
    ix.records = Records(ix.records.items())
    ix.out = dict(ix.out.items())
    ix.inbound = dict(ix.inbound.items())
    return plain


def _head(records: Records, indexed: Records) -> tuple:
    """The version, the records' summaries, and the index's: where they are the same
    notes, only those that differ (excluded notes, link targets only there)."""
    ours = summaries(records)
    theirs = summaries(indexed)
    if theirs.keys() != ours.keys():
        return _VERSION, ours, True, theirs
    return _VERSION, ours, False, {p: summary for p, summary in theirs.items() if ours[p] != summary}


def _all_scoped(ix: ScopedIndex, found: dict[str, NoteRecord]) -> dict[str, NoteRecord]:
    return {p: ix._scoped(r) for p, r in found.items()}


def _scoped(ix: ScopedIndex, rec: NoteRecord | None) -> NoteRecord | None:
    return None if rec is None else ix._scoped(rec)
