"""What changed since the last complete pass, cheaply: the fingerprint behind `sync`'s
"nothing to do" and its catch-up pass.

A fingerprint is a digest of everything generated text depends on (every note's size and
time, today, the configuration, the templates, Obsidian's settings), stored at the end of
a complete pass. The next `sync` compares it (`compare`); when only a few notes changed,
it reads just those and either finds that nothing vaultkit writes can change, or hands the
pass the changes to catch up from, starting with the cached records.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Iterable

from . import __version__
from .changes import diff_stats
from .config import blocked_folders
from .model import NoteRecord
from .scan import ScanResult, scan
from .scope import SETTINGS_FILES, count_kept

if TYPE_CHECKING:
    from .sync import Session

_VERSION = 2  # of the text `_text` makes
# Notes that changed since the last complete sync are read before the pass (up to this
# many, in at most `FOLDERS` folders) to see whether they change anything; the pass then
# uses what was read.
READ_AHEAD = 64
FOLDERS = 8


@dataclass
class Check:
    """What `compare` found. `unchanged`: nothing vaultkit writes can change, the last
    complete pass's report stands. `read`: the notes read to find out (the pass that
    follows takes them). `catch_up`: the changed notes (None: gone) a pass can start from,
    on top of the cached records; None when it must start from nothing."""

    fingerprint: str
    scan: ScanResult
    unchanged: bool = False
    read: dict[str, NoteRecord] = field(default_factory=dict)
    catch_up: dict[str, NoteRecord | None] | None = None
    parsed: int = 0
    parts: tuple[str, dict] | None = None  # (see `_parts`: of the notes as `scan` found them)


def compare(s: Session) -> Check:
    """Walk the vault and compare it with the fingerprint of the last complete pass."""
    result = scan(s.vault)
    parts = _parts(s, result.notes)
    check = Check(_text(parts), result, parts=parts)
    stored = s.cache.get_meta("fingerprint")
    if stored == check.fingerprint:
        check.unchanged = True
    elif stored:
        _touched(s, check, parts, stored)
    return check


def fingerprint_of(s: Session, stats: dict[str, tuple[int, int]], since: Check | None = None,
                   changed: Iterable[str] = ()) -> str:
    """A digest of everything generated content depends on: every note's stat, today,
    the configuration, the templates and Obsidian's daily-note settings. `since`: the
    check this pass started from, when `stats` are its walk's but for the `changed` notes
    (those the pass wrote): only their folders' digests are made again."""
    if since is None or since.parts is None:
        return _text(_parts(s, stats))
    folders = dict(since.parts[1])
    for folder, written in _by_folder({p: stats[p] for p in changed}).items():
        folders[folder] = _folder_digest({**folders[folder][1], **written} if folder in folders else written)
    return _text((_others(s), folders))


def _touched(s: Session, check: Check, parts: tuple[str, dict], stored: str) -> None:
    """After a complete sync, notes whose text changed but whose records did not (an
    edit of body text outside links and blocks, a touch) change no output: store their
    new records and the fingerprint of the disk now, and say `unchanged`. Else, when the
    last pass planned without a problem and only these notes changed, say `catch_up`.

    A fingerprint is stored only at the end of a complete sync and dropped by any later
    write to the cache (`Cache.save_records`), so while there is one, the cache holds
    the records and stats that sync's output was made from. Its per-folder digests tell
    which folders' notes changed since; only those are compared with the cache.
    """
    if s.readonly:
        return
    try:
        version, others, folders = json.loads(stored)
    except (ValueError, TypeError):
        return  # another format
    now_others, now_folders = parts
    if version != _VERSION or others != now_others or folders.keys() != now_folders.keys():
        return  # today, the configuration or a template changed, or folders came or went
    changed_folders = [f for f, (digest, _) in now_folders.items() if folders[f] != digest]
    if len(changed_folders) > FOLDERS:
        return
    old_stats: dict[str, tuple[int, int]] = {}
    added: list[str] = []
    removed: list[str] = []
    for folder in changed_folders:
        cached = s.cache.stats_in(folder)
        found = diff_stats(now_folders[folder][1], cached)
        added += found.added
        removed += found.removed
        old_stats.update((p, cached[p]) for p in found.modified)
    if len(old_stats) + len(added) > READ_AHEAD:
        return
    from .model import same_output
    stats = check.scan.notes
    old = s.cache.records_of(old_stats)
    same = not added and not removed
    for path in sorted(old_stats) + sorted(added):
        rec = s.read_note(path, stats[path])
        if rec is None or (rec.size, rec.mtime_ns) != stats[path]:
            return  # changing again: leave it to the full pass
        check.read[path] = rec
        same = same and path in old and same_output(old[path], rec)
    if not same:
        # Outputs change. When the last complete pass planned without a problem, the
        # pass can start from its records and redo only what these notes affect.
        if s.cache.get_meta("plan_problems") == "0" and old.keys() == old_stats.keys():
            check.catch_up = {**check.read, **{p: None for p in removed}}
        return
    s.cache.save_records(list(check.read.values()), [])
    check.parsed = count_kept(s.excluded, check.read)
    check.read = {}
    s.cache.set_meta("fingerprint", check.fingerprint)
    s.cache.retag_index_state(stored, check.fingerprint)  # (its records' outputs are the same)
    s.cache.commit()
    check.unchanged = True


def _parts(s: Session, stats: dict[str, tuple[int, int]]) -> tuple[str, dict]:
    """(digest of the inputs other than notes, {folder: (digest of its notes' stats,
    {path: stat})}) for a folder of every note."""
    return _others(s), {folder: _folder_digest(notes) for folder, notes in _by_folder(stats).items()}


def _by_folder(stats: dict[str, tuple[int, int]]) -> dict[str, dict[str, tuple[int, int]]]:
    """The notes' stats, grouped by folder."""
    by_folder: dict[str, dict[str, tuple[int, int]]] = {}
    for path, stat in stats.items():
        folder = path.rpartition("/")[0]
        found = by_folder.get(folder)
        if found is None:
            by_folder[folder] = {path: stat}
        else:
            found[path] = stat
    return by_folder


def _others(s: Session) -> str:
    """The digest of the inputs other than notes."""
    h = hashlib.sha256()
    # (the version too: an upgrade may render blocks differently)
    h.update(f"{__version__}\0{s.today.isoformat()}\0{s.cfg!r}\0".encode())
    for extra in _extra_inputs(s):
        try:
            st = extra.stat()
            h.update(f"{extra}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
        except OSError:
            h.update(f"{extra}\0-\n".encode())
    return h.hexdigest()[:32]


def _folder_digest(notes: dict[str, tuple[int, int]]) -> tuple[str, dict]:
    text = "".join([f"{path}\0{size}\0{mtime}\n" for path, (size, mtime) in sorted(notes.items())])
    return hashlib.sha256(text.encode()).hexdigest()[:32], notes


def _text(parts: tuple[str, dict]) -> str:
    others, folders = parts
    return json.dumps([_VERSION, others, {f: d for f, (d, _) in sorted(folders.items())}], separators=(",", ":"))


def _extra_inputs(s: Session) -> list[Path]:
    vault, cfg = s.vault, s.cfg
    paths = [vault / rel for rel in SETTINGS_FILES] + [vault / cfg.referral_index]
    if cfg.calendar:
        paths.append(vault / cfg.calendar)
    # A file in the place of a configured folder (`folder_problems`) comes or goes.
    paths += [vault / rel for _, rel in blocked_folders(vault, cfg).values()]
    tdir = vault / cfg.templates_folder
    if cfg.templates_folder and tdir.is_dir():
        try:
            paths += sorted(p for p in tdir.iterdir())
        except OSError:
            paths.append(tdir)  # unreadable: the renderer reports it
    return paths
