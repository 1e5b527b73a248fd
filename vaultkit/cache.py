"""The index cache and the ledger of generated notes, in `<vault>/.vaultkit/cache.sqlite`.

The cache only saves work: a missing, corrupt or old-format cache is rebuilt silently from
the vault. The ledger remembers which generated notes were created, so that a note the
user deleted is not created again; if it is lost, keys found in the vault rebuild it.
"""

from __future__ import annotations

import hashlib
import logging
import marshal
import os
import sqlite3
import sys
import zlib
from typing import Iterable
from pathlib import Path

from .errors import Problem
from .model import Link, NoteRecord

log = logging.getLogger(__name__)

FORMAT = "8"  # 8: a list value of `type:` is kept; 7: links keep the property name as written; `relationship`; bad values as warnings
CACHE_NAME = "cache.sqlite"
# The stored index, beside the database: its state, and its resolver's name maps (which
# change only when a note comes, goes or is renamed: most passes leave that file as it is).
STATE_FILES = ("index.state", "index.names")
_STATE_MAGIC = b"vaultkit stored index\n"
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)

# Records are stored as marshal data: a record holds only str, int, bool, None, lists, tuples
# and dicts of those (model.py keeps them JSON-friendly), and marshal writes and reads those
# 5x and 2x faster than json. Its format may change between Python versions, which is why
# the cache's format tag carries the version (an old cache is simply rebuilt).
_MARSHAL_VERSION = 4


def record_to_tuple(rec: NoteRecord) -> tuple:
    """A record as plain data (everything but its path, size and mtime)."""
    return (
        rec.kind, rec.name, tuple(rec.aliases), rec.fields,
        tuple((l.target, l.style, l.line, l.prop, l.embed) for l in rec.links),
        rec.blocks, rec.marker_error, rec.ok,
        tuple((p.path, p.message, p.kind, p.line) for p in rec.problems),
        rec.bom, rec.crlf, rec.sha256,
    )


def record_from_tuple(path: str, size: int, mtime_ns: int, data: tuple) -> NoteRecord:
    (kind, name, aliases, fields, links, blocks, marker_error, ok, problems, bom, crlf, sha) = data
    return NoteRecord(path, size, mtime_ns, kind, name, tuple(aliases), fields,
                      tuple(map(Link._make, links)) if links else (), blocks, marker_error, ok,
                      tuple([Problem(*p) for p in problems]) if problems else (), bom, crlf, sha)


def record_to_blob(rec: NoteRecord) -> bytes:
    """A record as stored in the cache."""
    return marshal.dumps(record_to_tuple(rec), _MARSHAL_VERSION)


def record_from_blob(path: str, size: int, mtime_ns: int, blob: bytes) -> NoteRecord:
    return record_from_tuple(path, size, mtime_ns, marshal.loads(blob))


def _connect_read_only(path: Path) -> sqlite3.Connection:
    """Open the cache for reading without creating anything next to it.

    Opening a WAL database even read-only makes sqlite create `-wal` and `-shm` files,
    which a read-only connection cannot remove again. With neither there, the database
    is whole in its one file (the last writer checkpointed it when it closed) and is
    opened as immutable: no lock, no side file. While another vaultkit holds it open,
    both exist already and a plain read-only connection sees its latest commits.
    """
    from urllib.parse import quote
    uri = "file:" + quote(str(path.absolute()))
    side = [Path(f"{path}{suffix}").exists() for suffix in ("-wal", "-shm")]
    if all(side):
        return sqlite3.connect(f"{uri}?mode=ro", uri=True)
    return sqlite3.connect(f"{uri}?mode=ro&immutable=1", uri=True)


class Cache:
    """sqlite-backed store of parsed notes (keyed by path, size, mtime_ns) and the ledger."""

    def __init__(self, state_dir: Path, readonly: bool = False, variant: str = ""):
        """`variant` names the parse settings the records depend on (`[kind_folders]`):
        records cached under other settings are dropped, as for an old format."""
        self.path = state_dir / CACHE_NAME
        self.variant = variant
        self.readonly = readonly
        self._stats: dict[str, tuple[int, int]] | None = None
        self.db: sqlite3.Connection | None = None
        self.problem: Problem | None = None  # the cache cannot be used: this pass runs without it
        try:
            try:
                self._open()
            except sqlite3.DatabaseError as exc:
                log.debug("cache unusable (%s); rebuilding", exc)
                self._reset()
        except (OSError, sqlite3.Error) as exc:
            # `.vaultkit/` read-only, or `cache.sqlite` a folder: go on without a cache.
            reason = getattr(exc, "strerror", None) or str(exc)
            self.problem = Problem(f"{state_dir.name}/{CACHE_NAME}", f"cannot open or write the "
                                   f"index cache ({reason}): this pass runs without it — make "
                                   f"{state_dir.name}/ writable", "cache")
            if self.db is not None:
                try:
                    self.db.close()
                except sqlite3.Error:
                    pass
            self.path = Path(":memory:")
            was, self.readonly = self.readonly, False
            self.db = sqlite3.connect(":memory:")
            self._open_tables()
            self.readonly = was

    def _format_tag(self) -> str:
        """What the stored records were made by: this format, this Python's marshal, and
        the parse settings (`variant`); records under another tag are dropped."""
        return f"{FORMAT}:{sys.version_info[0]}.{sys.version_info[1]}" + (f":{self.variant}" if self.variant else "")

    def _open(self) -> None:
        self._stats = None
        expected = self._format_tag()
        if self.readonly:
            # status, doctor and --dry-run write nothing, not even the cache.
            if self.path.exists():
                self.db = _connect_read_only(self.path)
                self._usable_notes = self.get_meta("format") == expected
                return
            self.db = sqlite3.connect(":memory:")
        else:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.db = sqlite3.connect(self.path)
            # A new cache gets 8 KB pages (a cache that exists keeps its own): a record is
            # ~600 bytes, and a full pass of 50,000 notes stores them ~10% faster and
            # commits them ~20% faster than with the default 4 KB. (Set before WAL mode,
            # which fixes the page size.)
            self.db.execute("PRAGMA page_size=8192")
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=NORMAL")
        self._open_tables()

    def _open_tables(self) -> None:
        expected = self._format_tag()
        self.db.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT)")
        if self.get_meta("format") != expected:
            # An old format: drop the notes (the ledger's shape has not changed).
            self.db.execute("DROP TABLE IF EXISTS notes")
        self.db.execute("CREATE TABLE IF NOT EXISTS notes (path TEXT PRIMARY KEY, size INTEGER, "
                        "mtime_ns INTEGER, data BLOB)")
        self.db.execute("CREATE TABLE IF NOT EXISTS ledger (key TEXT PRIMARY KEY, path TEXT)")
        self.db.execute("INSERT OR REPLACE INTO meta VALUES ('format', ?)", (expected,))
        self.db.commit()
        self._usable_notes = True

    def _reset(self) -> None:
        if self.db is not None:
            try:
                self.db.close()
            except sqlite3.Error:
                pass
        self.db = None
        if self.readonly:
            self.db = sqlite3.connect(":memory:")
            self._usable_notes = False
            return
        for suffix in ("", "-wal", "-shm"):
            Path(str(self.path) + suffix).unlink(missing_ok=True)
        self._open()

    def _query(self, sql: str, args: tuple = ()) -> list:
        try:
            return self.db.execute(sql, args).fetchall()
        except sqlite3.DatabaseError as exc:
            log.debug("cache query failed (%s)", exc)
            return []

    def get_meta(self, key: str) -> str | None:
        rows = self._query("SELECT value FROM meta WHERE key=?", (key,))
        return rows[0][0] if rows else None

    def set_meta(self, key: str, value: str) -> None:
        if not self.readonly:
            self.db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))

    def load_stats(self) -> dict[str, tuple[int, int]]:
        """path -> (size, mtime_ns) for every cached note, without decoding records."""
        if not self._usable_notes:
            return {}
        if self._stats is None:  # (read once until the notes table next changes)
            self._stats = {p: (s, m) for p, s, m in self._query("SELECT path, size, mtime_ns FROM notes")}
        return dict(self._stats)

    def load_records(self, wanted: dict[str, tuple[int, int]] | None) -> dict[str, NoteRecord]:
        """Cached records whose (size, mtime_ns) still match the disk (`wanted`; None:
        every cached record, in one query)."""
        if not self._usable_notes:
            return {}
        out: dict[str, NoteRecord] = {}
        stats: dict[str, tuple[int, int]] = {}
        try:
            for path, size, mtime_ns, data in self.db.execute("SELECT path, size, mtime_ns, data FROM notes"):
                stats[path] = (size, mtime_ns)
                if wanted is None or wanted.get(path) == stats[path]:
                    try:
                        out[path] = record_from_blob(path, size, mtime_ns, data)
                    except Exception as exc:  # noqa: BLE001 - any damaged entry is just read again
                        log.debug("cache entry for %s unusable (%s)", path, exc)
        except sqlite3.DatabaseError as exc:
            log.debug("cache unreadable (%s); reading notes from disk", exc)
            return {}
        self._stats = stats
        return out

    def stats_in(self, folder: str) -> dict[str, tuple[int, int]]:
        """path -> (size, mtime_ns) for the cached notes directly in `folder` ("": the top)."""
        if not self._usable_notes:
            return {}
        if folder:  # the paths that start with "folder/" sort between "folder/" and "folder0"
            rows = self._query("SELECT path, size, mtime_ns FROM notes WHERE path >= ? AND path < ?",
                               (folder + "/", folder + "0"))
        else:
            rows = self._query("SELECT path, size, mtime_ns FROM notes WHERE instr(path, '/') = 0")
        return {p: (s, m) for p, s, m in rows if p.rpartition("/")[0] == folder}

    def records_of(self, wanted: dict[str, tuple[int, int]]) -> dict[str, NoteRecord]:
        """`load_records` for a few paths: cached records whose (size, mtime_ns) match."""
        if not self._usable_notes:
            return {}
        out: dict[str, NoteRecord] = {}
        for path, stat in wanted.items():
            for size, mtime_ns, data in self._query("SELECT size, mtime_ns, data FROM notes WHERE path=?", (path,)):
                if (size, mtime_ns) == stat:
                    try:
                        out[path] = record_from_blob(path, size, mtime_ns, data)
                    except Exception as exc:  # noqa: BLE001 - a damaged entry is just not used
                        log.debug("cache entry for %s unusable (%s)", path, exc)
        return out

    def last_record(self, path: str) -> NoteRecord | None:
        """The record stored for `path`, whatever the note's stat now (its last good state
        when the note has since stopped parsing)."""
        if not self._usable_notes:
            return None
        for size, mtime_ns, data in self._query("SELECT size, mtime_ns, data FROM notes WHERE path=?", (path,)):
            try:
                return record_from_blob(path, size, mtime_ns, data)
            except Exception as exc:  # noqa: BLE001 - a damaged entry is just not used
                log.debug("cache entry for %s unusable (%s)", path, exc)
        return None

    def save_records(self, records: list[NoteRecord], removed: list[str],
                     blobs: dict[str, bytes] | None = None) -> None:
        """Store `records` (`blobs` may hold some of them already encoded) and drop `removed`."""
        if self.readonly:
            return
        self._stats = None
        # The stored fingerprint vouches for the cache being what the last complete sync
        # left (see fingerprint._touched): any other write withdraws it.
        self.set_meta("fingerprint", "")
        blobs = blobs or {}
        try:
            self.db.executemany("INSERT OR REPLACE INTO notes VALUES (?, ?, ?, ?)",
                                ((r.path, r.size, r.mtime_ns, blobs.get(r.path) or record_to_blob(r))
                                 for r in records))
            self.db.executemany("DELETE FROM notes WHERE path=?", [(p,) for p in removed])
        except sqlite3.DatabaseError as exc:
            log.warning("could not update the index cache (%s); the next sync reads more notes", exc)

    # -- the stored index (`stored.py`) -----------------------------------------------
    # In a file beside the database, not in it: read and written whole, it goes at the
    # speed of the disk (as rows, SQLite's page chains and journal made it ~5x slower).
    # Its head names the pass it is from; a file from any other pass, or damaged, is
    # refused as a whole and the catch-up builds its index without it.

    def _state_paths(self) -> list[Path] | None:
        if self.readonly or str(self.path) == ":memory:":
            return None
        return [self.path.with_name(name) for name in STATE_FILES]

    def _state_tag(self, fingerprint: str) -> bytes:
        """Which pass a stored index is from: its fingerprint, under this cache's format."""
        return hashlib.sha256(f"{self._format_tag()}\n{fingerprint}".encode()).hexdigest().encode()

    def _state_head(self, fingerprint: str) -> bytes:
        """How a stored index's file from that pass starts."""
        return _STATE_MAGIC + self._state_tag(fingerprint)

    def save_index_state(self, fingerprint: str, files: list[Iterable[bytes] | None],
                         previous: str = "", only: int | None = None) -> None:
        """Store the index a complete pass ended with (`stored.dump`: per file, its parts,
        each written as it is made; None for a file that stays as the pass fingerprinted
        `previous` stored it), as from the pass fingerprinted `fingerprint`; with `only`,
        that file alone."""
        paths = self._state_paths()
        if paths is None:
            return
        for n, (path, parts) in enumerate(zip(paths, files)):
            if only is not None and n != only:
                continue
            if parts is None:
                self._retag(path, previous, fingerprint)
                continue
            temp = path.with_name(f".{path.name}.tmp")
            try:
                # (never through a symlink put in its place: a new file, or nothing)
                temp.unlink(missing_ok=True)
                fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW, 0o644)
                with open(fd, "wb") as f:
                    f.write(self._state_head(fingerprint))
                    for data in parts:
                        f.write(len(data).to_bytes(8, "little") + zlib.crc32(data).to_bytes(4, "little"))
                        f.write(data)
                os.replace(temp, path)
            except OSError as exc:
                log.debug("could not store the index (%s)", exc)
                temp.unlink(missing_ok=True)

    def index_state(self, fingerprint: str) -> list[list[bytes]] | None:
        """Per file, the parts of the index stored by the pass fingerprinted `fingerprint`;
        None if a file is missing, from another pass or damaged."""
        paths = self._state_paths()
        if paths is None or not fingerprint:
            return None
        head = self._state_head(fingerprint)
        files = []
        for path in paths:
            try:
                data = path.read_bytes()
            except OSError:
                return None
            if not data.startswith(head):
                return None
            parts, at = [], len(head)
            view = memoryview(data)
            while at < len(data):
                size = int.from_bytes(data[at:at + 8], "little")
                crc = int.from_bytes(data[at + 8:at + 12], "little")
                part = view[at + 12:at + 12 + size]
                if len(part) != size or zlib.crc32(part) != crc:
                    return None
                parts.append(part)
                at += 12 + size
            files.append(parts)
        return files

    def retag_index_state(self, old: str, new: str) -> None:
        """The index stored by the pass fingerprinted `old` holds for the pass `new` too
        (its notes' outputs are the same): say so in its files' heads, in place."""
        for path in self._state_paths() or ():
            self._retag(path, old, new)

    def _retag(self, path: Path, old: str, new: str) -> None:
        if not old:
            return
        head = self._state_head(old)
        try:
            with open(os.open(path, os.O_RDWR | _NOFOLLOW), "r+b") as f:
                if f.read(len(head)) == head:
                    f.seek(len(_STATE_MAGIC))
                    f.write(self._state_tag(new))
        except OSError as exc:
            log.debug("could not update the stored index (%s)", exc)

    def changed_elsewhere(self) -> bool:
        """Whether another connection (another vaultkit process) committed to the cache
        since this was last asked."""
        rows = self._query("PRAGMA data_version")
        version = rows[0][0] if rows else None
        seen, self._data_version = getattr(self, "_data_version", version), version
        return version != seen

    def ledger(self) -> dict[str, str]:
        return dict(self._query("SELECT key, path FROM ledger"))

    def remember(self, key: str, path: str) -> None:
        if not self.readonly:
            self.db.execute("INSERT OR REPLACE INTO ledger VALUES (?, ?)", (key, path))

    def forget(self, key: str) -> None:
        if not self.readonly:
            self.db.execute("DELETE FROM ledger WHERE key=?", (key,))

    def commit(self) -> None:
        if not self.readonly and self.db is not None:
            try:
                self.db.commit()
            except sqlite3.DatabaseError as exc:
                log.warning("could not save the index cache (%s)", exc)

    def close(self) -> None:
        if self.db is not None:
            self.commit()
            self.db.close()
            self.db = None
