"""What changed since the last complete pass, cheaply: the fingerprint behind `sync`'s
"nothing to do" and its catch-up pass.

A fingerprint is a digest of everything generated text depends on (every note's size and
time, today, the configuration, the templates, Obsidian's settings), stored at the end of
a complete pass. The next `sync` compares it; when only a few notes changed, it reads just
those and either finds that nothing vaultkit writes can change, or starts a catch-up pass
from the cached records. A mixin of `sync.Session`, whose state it reads.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from . import __version__
from .changes import diff_stats
from .config import blocked_folders
from .index import same_output
from .scan import scan
from .scope import SETTINGS_FILES, count_kept


class ChangeDetection:
    """The fingerprint methods of a session."""

    def _fingerprint(self) -> tuple[str | None, dict]:
        self.parsed = 0  # notes read to make the fingerprint (see `_fingerprint_touched`)
        result = scan(self.vault)
        self.scan_result = result
        parts = self._fingerprint_parts(result.notes)
        fingerprint = self._fingerprint_text(parts)
        stored = self.cache.get_meta("fingerprint")
        if stored != fingerprint:
            if stored:
                fingerprint = self._fingerprint_touched(result.notes, parts, fingerprint, stored) or fingerprint
            if fingerprint != stored:
                self._fingerprint_scan = result  # the full pass that follows need not walk again
        return fingerprint, result.notes

    # Notes that changed since the last complete sync are read before the full pass (up to
    # this many, in at most `_FINGERPRINT_FOLDERS` folders) to see if they change anything;
    # the full pass then uses what was read.
    _FINGERPRINT_READ_AHEAD = 64
    _FINGERPRINT_FOLDERS = 8
    _FINGERPRINT_VERSION = 2  # of the text `_fingerprint_text` makes

    def _fingerprint_touched(self, stats: dict[str, tuple[int, int]], parts: tuple[str, dict],
                             current: str, stored: str) -> str | None:
        """After a complete sync, notes whose text changed but whose records did not (an
        edit of body text outside links and blocks, a touch) change no output: store their
        new records and return the fingerprint of `stats` (`current`), so that `sync` has
        nothing to do; None if anything else changed.

        A fingerprint is stored only at the end of a complete sync and dropped by any later
        write to the cache (`Cache.save_records`), so while there is one, the cache holds
        the records and stats that sync's output was made from. Its per-folder digests tell
        which folders' notes changed since; only those are compared with the cache.
        """
        self._fingerprint_read = {}
        if self.readonly:
            return None
        try:
            version, others, folders = json.loads(stored)
        except (ValueError, TypeError):
            return None  # another format
        now_others, now_folders = parts
        if version != self._FINGERPRINT_VERSION or others != now_others or folders.keys() != now_folders.keys():
            return None  # today, the configuration or a template changed, or folders came or went
        changed_folders = [f for f, (digest, _) in now_folders.items() if folders[f] != digest]
        if len(changed_folders) > self._FINGERPRINT_FOLDERS:
            return None
        old_stats: dict[str, tuple[int, int]] = {}
        added: list[str] = []
        removed: list[str] = []
        for folder in changed_folders:
            cached = self.cache.stats_in(folder)
            found = diff_stats(now_folders[folder][1], cached)
            added += found.added
            removed += found.removed
            old_stats.update((p, cached[p]) for p in found.modified)
        if len(old_stats) + len(added) > self._FINGERPRINT_READ_AHEAD:
            return None
        old = self.cache.records_of(old_stats)
        same = not added and not removed
        for path in sorted(old_stats) + sorted(added):
            rec = self.read_note(path, stats[path])
            if rec is None or (rec.size, rec.mtime_ns) != stats[path]:
                return None  # changing again: leave it to the full pass
            self._fingerprint_read[path] = rec
            same = same and path in old and same_output(old[path], rec)
        if not same:
            # Outputs change. When the last complete pass planned without a problem, the
            # pass can start from its records and redo only what these notes affect.
            if self.cache.get_meta("plan_problems") == "0" and old.keys() == old_stats.keys():
                self._catch_up = {**self._fingerprint_read, **{p: None for p in removed}}
            return None
        self.cache.save_records(list(self._fingerprint_read.values()), [])
        self.parsed = count_kept(self.excluded, self._fingerprint_read)
        self._fingerprint_read = {}
        self.cache.set_meta("fingerprint", current)
        self.cache.commit()
        return current

    def _fingerprint_of(self, stats: dict[str, tuple[int, int]]) -> str:
        """A digest of everything generated content depends on: every note's stat, today,
        the configuration, the templates and Obsidian's daily-note settings."""
        return self._fingerprint_text(self._fingerprint_parts(stats))

    def _fingerprint_parts(self, stats: dict[str, tuple[int, int]]) -> tuple[str, dict]:
        """(digest of the inputs other than notes, {folder: (digest of its notes' stats,
        {path: stat})}) for a folder of every note."""
        h = hashlib.sha256()
        # (the version too: an upgrade may render blocks differently)
        h.update(f"{__version__}\0{self.today.isoformat()}\0{self.cfg!r}\0".encode())
        for extra in self._extra_inputs():
            try:
                st = extra.stat()
                h.update(f"{extra}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
            except OSError:
                h.update(f"{extra}\0-\n".encode())
        by_folder: dict[str, dict[str, tuple[int, int]]] = {}
        for path, stat in stats.items():
            folder = path.rpartition("/")[0]
            found = by_folder.get(folder)
            if found is None:
                by_folder[folder] = {path: stat}
            else:
                found[path] = stat
        folders = {}
        for folder, notes in by_folder.items():
            text = "".join([f"{path}\0{size}\0{mtime}\n" for path, (size, mtime) in sorted(notes.items())])
            folders[folder] = (hashlib.sha256(text.encode()).hexdigest()[:32], notes)
        return h.hexdigest()[:32], folders

    def _fingerprint_text(self, parts: tuple[str, dict]) -> str:
        others, folders = parts
        return json.dumps([self._FINGERPRINT_VERSION, others, {f: d for f, (d, _) in sorted(folders.items())}],
                          separators=(",", ":"))

    def _extra_inputs(self) -> list[Path]:
        paths = [self.vault / rel for rel in SETTINGS_FILES] + [self.vault / self.cfg.referral_index]
        if self.cfg.calendar:
            paths.append(self.vault / self.cfg.calendar)
        # A file in the place of a configured folder (`folder_problems`) comes or goes.
        paths += [self.vault / rel for _, rel in blocked_folders(self.vault, self.cfg).values()]
        tdir = self.vault / self.cfg.templates_folder
        if self.cfg.templates_folder and tdir.is_dir():
            try:
                paths += sorted(p for p in tdir.iterdir())
            except OSError:
                paths.append(tdir)  # unreadable: the renderer reports it
        return paths
