"""The read stage of a pass: notes read and parsed (or taken from the cache), and the
index built from their records. Functions of a `sync.Session`, whose records, cache and
index they fill.

The parser, the two-process reader and the index are imported where they are first
needed: a sync with nothing to do loads none of them.
"""

from __future__ import annotations

import gc
from contextlib import contextmanager
from functools import partial
from typing import TYPE_CHECKING, Callable

from .errors import Problem
from .folders import NotInVault
from .model import NoteRecord, Records
from .outcome import SyncReport
from .scan import ScanResult, scan
from .resolve import Named
from .scope import count_kept

if TYPE_CHECKING:
    from .fingerprint import Check
    from .sync import Session

# Problems after which a note keeps its last good record; the marker that says it is kept
# (as a broken marker does, it keeps vaultkit from writing the note).
_KEPT_KINDS = ("frontmatter", "encoding")
LAST_GOOD = "kept its last good version"


def read_note(s: Session, path: str, stat: tuple[int, int] | None = None) -> NoteRecord | None:
    """Read and parse one note (its last good state if it stopped parsing); None if it vanished."""
    return keep_last_good(s, read_raw(s, path, stat))


def keep_last_good(s: Session, rec: NoteRecord | None) -> NoteRecord | None:
    """A note whose front-matter stopped parsing keeps its last good record, so that one
    typo rewrites no other note (and fixing it none either): the record it had (this
    session's, else the cache's) with the note's new stat and hash, never written to,
    reported with its problem. Without an earlier good record it stays broken."""
    if rec is None or rec.ok or not rec.problems or rec.problems[0].kind not in _KEPT_KINDS:
        return rec
    prev = s.records.get(rec.path)
    if prev is None or not prev.ok:
        prev = s.cache.last_record(rec.path)
    if prev is None or not prev.ok:
        return rec
    problem = rec.problems[0]
    kept = Problem(problem.path, f"{problem.message} — using its last good version until it parses "
                                 "again", problem.kind, problem.line)
    return NoteRecord(rec.path, rec.size, rec.mtime_ns, prev.kind, prev.name, prev.aliases, prev.fields,
                      prev.links, prev.blocks, marker_error=LAST_GOOD, ok=True, problems=(kept,),
                      bom=rec.bom, crlf=rec.crlf, sha256=rec.sha256)


def read_raw(s: Session, path: str, stat: tuple[int, int] | None = None) -> NoteRecord | None:
    """Read and parse one note as it is; None if it vanished or leads out of the vault."""
    try:
        data, size, mtime_ns = s.folders().read(path)
    except (FileNotFoundError, NotInVault):
        return None
    except OSError as exc:
        rec = NoteRecord(path=path, size=0, mtime_ns=0, ok=False)
        rec.problems = (Problem(path, f"cannot read: {exc.strerror}", "read"),)
        if stat:
            rec.size, rec.mtime_ns = stat
        return rec
    from .vault import parse_note  # noqa: PLC0415 - see the module's imports
    return parse_note(path, data, size, mtime_ns, s.cfg.kind_folders)


def load(s: Session, progress: Callable[[int, int], None] | None = None, check: Check | None = None) -> ScanResult:
    """Scan the vault and bring every record up to date (cache first, then disk); with
    `check`, the walk and the notes the fingerprint's check made for this pass."""
    result = check.scan if check is not None else scan(s.vault)
    read_ahead = check.read if check is not None else {}
    s.scan_result = result
    stats = result.notes
    with collector_paused():
        if result.unreadable:
            # Notes below a folder that cannot be listed are not gone: they keep the
            # records the cache holds (even for --rebuild), so that nothing is
            # rewritten without them.
            kept = {p: st for p, st in s.cache.load_stats().items()
                    if p not in stats and s.under_unreadable(p)}
            stats.update(kept)
        cached = {} if s.rebuild else s.cache.load_records(stats)
        if s.rebuild and result.unreadable:
            cached = s.cache.load_records({p: st for p, st in stats.items() if s.under_unreadable(p)})
        records: dict[str, NoteRecord] = {}
        todo = sorted(p for p in stats if p not in cached and p not in read_ahead)
        removed = [] if s.readonly else [p for p in s.cache.load_stats() if p not in stats]

        named = Named()  # (the index's names, added as the records come in)

        def take(got: list[NoteRecord], blobs: dict[str, bytes]) -> list[NoteRecord]:
            """A batch of records as it is read: a broken note keeps its last good record
            (here, not in `read_notes`: its second process has no cache). A batch the
            second process encoded is stored in the cache at once (and its encodings let
            go); one read here is encoded and stored at the end of the pass
            (`Session.end_pass`), while a second process stores the index: this process
            then reads more notes, and later waits less."""
            for n, rec in enumerate(got):
                if not rec.ok:
                    kept = got[n] = keep_last_good(s, rec)
                    if kept is not rec:
                        blobs.pop(rec.path, None)
                named.add(got[n])
            if not s.readonly:
                if blobs:
                    s.cache.save_records(got, [], blobs)
                else:
                    s.unsaved.extend(got)
            return got

        from .parallel import read_notes  # noqa: PLC0415 - see the module's imports
        fresh = read_notes(partial(read_raw, s), todo, stats, progress, before_fork=_import_parser, take=take)
        if read_ahead:
            ahead = [r for p, r in read_ahead.items() if p in stats and p not in cached]
            fresh = sorted([*fresh, *ahead], key=lambda r: r.path)
            if not s.readonly:
                s.cache.save_records(ahead, [])
        if removed:
            s.cache.save_records([], removed)
        if s.long_lived:
            s.end_pass()  # (a watch's first index: its records are in the cache from the start)
        for rec in fresh:
            records[rec.path] = rec
        records.update(cached)
        s.parsed = count_kept(s.excluded, (r.path for r in fresh))
        adopt(s, records, result.attachments, named)
    s.ledger = s.cache.ledger()
    return result


def _import_parser() -> None:
    """The parser imported before the reader forks, not in each process (PyYAML is not:
    see `vault.preload`)."""
    from .vault import preload  # noqa: PLC0415 - see the module's imports
    preload()


@contextmanager
def collector_paused():
    """The garbage collector paused: it adds ~30% to decoding records and building a large
    index, and finds nothing to free there."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def adopt(s: Session, records: dict[str, NoteRecord], attachments, named: Named | None = None) -> None:
    """Take `records` as the session's and build the index from them (call it with the
    collector paused); `named`: those whose names were added as they were read."""
    s.records = Records(sorted(records.items()))
    from .scoped import ScopedIndex  # noqa: PLC0415 - see the module's imports
    s.index = ScopedIndex(s.records.values(), attachments, s.excluded, named)
    s.index.markdown_links = s.markdown_links
    _freeze(s)


def _freeze(s: Session) -> None:
    """Records and index live as long as the session and hold no cycles: keep the
    collector from walking them again and again for the rest of the pass (only for a
    large vault: frozen objects are never collected, cycles included)."""
    if len(s.records) >= 2000:
        gc.freeze()


def covers(paths, check: Check, removed: set[str]) -> bool:
    """Whether `paths` (of the last complete pass's records) are every unchanged note
    on disk, and no note gone from it but the removed ones."""
    notes = check.scan.notes
    return notes.keys() - check.catch_up.keys() <= paths and paths - notes.keys() <= removed


def restore_index(s: Session, check: Check, removed: set[str]) -> bool:
    """Take the index the last complete pass stored (see `stored.py`) as the session's,
    with its records decoded from the cache on first use; False (nothing taken) when
    there is none for that pass or it does not fit the disk."""
    if s.long_lived or s.rebuild:
        return False
    fingerprint = s.cache.get_meta("fingerprint") or ""
    files = s.cache.index_state(fingerprint)
    if files is None:
        return False
    from .stored import restore  # noqa: PLC0415 - see the module's imports
    restored = restore(files, check.scan.attachments, s.excluded, partial(_cached_record, s),
                       partial(s.cache.load_records, None))
    if restored is None or not covers(restored[0].paths(), check, removed):
        return False
    s.records, s.index, stored = restored
    s.stored_from = stored._replace(fingerprint=fingerprint)
    _freeze(s)
    s.index.markdown_links = s.markdown_links
    return True


def _cached_record(s: Session, path: str) -> NoteRecord | None:
    """The record the cache holds for an unchanged note; read again from the note if the
    cache lost it."""
    rec = s.cache.last_record(path)
    return rec if rec is not None else read_note(s, path)


def load_catching_up(s: Session, check: Check, report: SyncReport) -> tuple[set[str], bool] | None:
    """Read and index for a pass that starts from the last complete pass instead of
    from nothing: (the notes whose output may change, whether the whole-vault notes
    must be planned again).

    The fingerprint's `check` found the few notes that came, went or changed since a
    complete pass that planned without a problem; the cache holds the records that
    pass made its output from. Build the index from those, update it with the changed
    notes and plan only what they affect, exactly as a `watch` batch does (the property
    tests hold both to what a full pass writes). None (and the full pass runs) if the
    cache does not hold what the fingerprint promised.
    """
    changes = check.catch_up
    result = check.scan
    removed = {p for p, r in changes.items() if r is None}
    with collector_paused():
        if not restore_index(s, check, removed):
            cached = s.cache.load_records(None)
            if not covers(cached.keys(), check, removed):
                return None
            adopt(s, cached, result.attachments)
    check.read = {}  # (taken: the full pass must not)
    s.ledger = s.cache.ledger()
    whole_vault = s.touches_whole_vault_notes(set(changes))
    if s.stored_from is not None and (whole_vault or any(s.feeds_globals(s.records.get(p), r)
                                                         for p, r in changes.items())):
        # The whole-vault notes are planned again: they read every contact and interview.
        from .stored import settle  # noqa: PLC0415 - see the module's imports
        with collector_paused():
            s.records = settle(s.records, s.index, s.cache.load_records(None))
            _freeze(s)
    affected, refresh = s.take_changes(changes)
    s.remember_keys()  # a generated note that came from elsewhere joins the ledger
    report.notes = count_kept(s.excluded, result.notes)
    report.parsed = s.parsed = count_kept(s.excluded, (p for p, r in changes.items() if r is not None))
    report.problems.extend(s.problems())
    report.problems.extend(s.folder_problems())
    report.problems.extend(result.problems)
    return affected, refresh or whole_vault
