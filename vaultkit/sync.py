"""The pipeline: vault -> parsed notes -> index -> planned writes -> the safe writer.

`Session` holds the state of one vault (configuration, cache, records, index) so that
`watch` can apply changes one batch at a time (`batch.py`); `run_sync` is one pass of the
`sync` command: read, index, plan, write.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterable

from . import reading
from .cache import Cache
from .closing import drain
from .config import Config, blocked_folders, check_day_counts, load_config, parse_variant
from .errors import Problem, VaultkitError
from .files import sha256_hex
from .fingerprint import Check, compare, fingerprint_of
from .folders import Folders, NotInVault
from .lock import VaultLock
from .model import COMPANY, CONTACT, INTERVIEW, FileState, NoteRecord, PlannedWrite, Records
from .obsidian import markdown_link_format
from .outcome import SyncReport
from .scan import ScanResult
from .scope import count_kept, exclusion_rule
from .folders import remove_temp_files

if TYPE_CHECKING:
    from .facts import Facts
    from .index import Index
    from .writer import Writer

# The reading, indexing, planning and writing modules (and through them Jinja2 and PyYAML)
# are imported where a pass first needs them: a sync with nothing to do loads none of them.

log = logging.getLogger(__name__)

STATE_DIR = ".vaultkit"


class Session:
    """One vault's state across passes: configuration, cache, records and the index."""

    def __init__(self, vault: Path, today: dt.date, *, readonly: bool = False, rebuild: bool = False,
                 cfg: Config | None = None):
        self.vault = Path(vault)
        self.root = self.vault.resolve()
        self.today = today
        self.readonly = readonly
        self.rebuild = rebuild
        self.cfg = cfg or load_config(self.vault)
        check_day_counts(self.cfg, today)
        self.excluded = exclusion_rule(self.vault, self.cfg.templates_folder)
        self.markdown_links = markdown_link_format(self.vault, self.cfg.link_style)
        self.cache = Cache(self.vault / STATE_DIR, readonly=readonly, variant=parse_variant(self.cfg))
        self.records: Records = Records()
        self.index: Index | None = None
        self.ledger: dict[str, str] = {}
        self._renderer = None
        self.replan_globals = False  # ticks were recorded: plan the whole-vault notes again
        self.held: set[str] = set()  # notes whose own writes apply() held back (still being saved)
        # A session that lives on after its first pass (`watch`) builds its index from all
        # the records; a one-pass sync may start from the stored index (`stored.py`).
        self.long_lived = False
        self.stored_from = None  # what the index was restored from (`stored.Stored`), if it was
        self.last_pass = ""  # what `sync` did: "" (nothing to do), "catch-up" or "full"
        self.scan_result: ScanResult | None = None
        self._folders: Folders | None = None  # this pass's open folders (see `folders`)
        self._writer: Writer | None = None  # this pass's
        self._conflicts: list[str] = []  # notes the plan found changed on disk (ticks)
        self._written_records: list[NoteRecord] = []  # for the cache, at the end of the pass
        self.unsaved: list[NoteRecord] = []  # read this pass, for the cache at its end (`end_pass`)

    # -- reading -----------------------------------------------------------------------

    def renderer(self):
        """The Jinja2 renderer, imported only when a note has to be rendered."""
        if self._renderer is None:
            from .render import Renderer
            user = self.vault / self.cfg.templates_folder if self.cfg.templates_folder else None
            self._renderer = Renderer(user, vault=self.vault, markdown_links=self.markdown_links)
        return self._renderer

    def folders(self) -> Folders:
        """The vault's folders, opened for this pass: every read and write of a note goes
        through them, so that none follows a symlink out of the vault."""
        if self._folders is None:
            self._folders = Folders(self.vault)
        return self._folders

    def read_state(self, path: str) -> tuple[bytes, FileState]:
        """A file's bytes and the state they were read in, through the pass's folders
        (FileNotFoundError also for a path that leads out of the vault). Writes the pass
        has waiting are made first: the plan reads what they wrote."""
        self.flush_writes()
        try:
            data, size, mtime_ns = self.folders().read(path)
        except NotInVault:
            raise FileNotFoundError(path) from None
        return data, FileState(size, mtime_ns, sha256_hex(data))

    def flush_writes(self) -> None:
        """Put the writes waiting in the writer's batch on disk now."""
        if self._writer is not None:
            self._writer.flush()

    def end_pass(self) -> None:
        """fsync the folders this pass wrote in (once each), and let go of them; store the
        records of the notes it read and has not stored yet, then of those it wrote."""
        if self.unsaved:
            self.cache.save_records(self.unsaved, [])
            self.unsaved = []
        if self._written_records:
            self.cache.save_records(self._written_records, [])
            self._written_records = []
        if self._folders is not None:
            self._folders.close()
            self._folders = None
        drain()  # (the old versions of the notes replaced: closed, so freed)

    def read_note(self, path: str, stat: tuple[int, int] | None = None) -> NoteRecord | None:
        """Read and parse one note (its last good state if it stopped parsing); None if it vanished."""
        return reading.read_note(self, path, stat)

    def load(self, progress: Callable[[int, int], None] | None = None, check: Check | None = None) -> ScanResult:
        """Scan the vault and bring every record up to date (cache first, then disk)."""
        return reading.load(self, progress, check)

    def facts(self) -> Facts:
        from .facts import Facts  # noqa: PLC0415 - see the imports
        return Facts(self.index, self.cfg, self.today)

    def problems(self) -> list[Problem]:
        out: list[Problem] = []
        for rec in self.records.with_problems():
            out.extend(() if self.excluded(rec.path) else rec.problems)
        return out

    # -- writing -----------------------------------------------------------------------

    def report_conflict(self, path: str) -> None:
        """A note the plan read changed on disk since it was parsed (a tick to record)."""
        self._conflicts.append(path)

    def write_plan(self, writes: Iterable[PlannedWrite], report: SyncReport, problems: list[Problem], *,
                   dry_run: bool = False, hold: set[str] = frozenset(),
                   show: Callable[[PlannedWrite], None] | None = None) -> list[PlannedWrite]:
        """Hand each planned write to the writer as the plan yields it, then let the index
        and records take the notes written. Returns the writes held back (to `hold` paths)."""
        from .writer import Writer  # noqa: PLC0415 - see the imports
        writer = self._writer
        if writer is None or writer.report is not report:
            writer = self._writer = Writer(self.vault, self.cfg, self.folders(), report, dry_run=dry_run, show=show,
                                           under_unreadable=self.under_unreadable,
                                           on_created=self._remember_key, planned_from=self.index.records.get)
        held: list[PlannedWrite] = []
        try:
            for w in writes:
                if w.path in hold:
                    held.append(w)
                else:
                    writer.write(w, problems)
        finally:
            writer.flush()
        reindex = {id(r) for r in writer.reindex}
        for rec in writer.records:
            self.records[rec.path] = rec
            if id(rec) not in reindex:
                self.index.records[rec.path] = rec
        if writer.reindex:
            self.index.update({r.path: r for r in writer.reindex})
        # Stored in one batch at the end of the pass (`end_pass`), not a row at a time.
        self._written_records.extend(writer.records)
        writer.records, writer.reindex = [], []
        return held

    def _remember_key(self, key: str, path: str) -> None:
        self.cache.remember(key, path)
        self.ledger[key] = path

    def folder_problems(self) -> list[Problem]:
        """A file standing where a configured folder should be: one problem per key."""
        return [Problem(rel, f"is a file, but {key} in .vaultkit/config.toml names {folder!r} as a "
                        "folder — rename the file or change the key; nothing was written there", "config")
                for folder, (key, rel) in sorted(blocked_folders(self.vault, self.cfg).items())]

    def under_unreadable(self, path: str) -> bool:
        """Whether `path` lies below a folder this pass's walk could not list."""
        result = self.scan_result
        if result is None or not result.unreadable:
            return False
        return any(not d or path.startswith(d + "/") for d in result.unreadable)

    def remember_keys(self) -> None:
        """Rebuild the ledger from the keys found in the vault (after `.vaultkit/` was lost)."""
        for key, path in self.index.generated.items():
            if key not in self.ledger:
                self.ledger[key] = path
                self.cache.remember(key, path)

    # -- one full pass -----------------------------------------------------------------

    def sync(self, *, dry_run: bool = False, regenerate: Iterable[str] = (),
             progress: Callable[[int, int], None] | None = None,
             show: Callable[[PlannedWrite], None] | None = None) -> SyncReport:
        """One pass of `vaultkit sync`: nothing to do when the fingerprint says so; else
        read -> index -> plan -> write, from the last complete pass (a catch-up) or from
        nothing (a full pass)."""
        self.start_pass()
        report = SyncReport()
        regenerate = list(regenerate)
        self.last_pass = ""
        check = None
        self.stored_from = None  # (set again if this pass restores the stored index)
        if not dry_run and not self.rebuild and not regenerate:
            check = compare(self)
            self.scan_result = check.scan
            remove_temp_files(self.vault, check.scan.temp_files)  # before anything is written
            if check.unchanged:
                return self._last_report(check)
        from .planning import plan  # noqa: PLC0415 - see the imports
        problems: list[Problem] = []  # the plan's (and its edits')
        result, only, refresh = self._read_and_index(check, report, progress, regenerate, dry_run)
        writes = plan(self, problems, only, regenerate, refresh_globals=refresh)
        self.write_plan(writes, report, problems, dry_run=dry_run, show=show)
        if self.replan_globals and not dry_run:  # ticks were recorded: today's block is planned again
            self.replan_globals = False
            self.write_plan(self.plan_globals(problems=problems), report, problems)
        return self._finish(report, problems, result, dry_run, check)

    def _last_report(self, check: Check) -> SyncReport:
        """Nothing changed that vaultkit writes from: the last complete pass's report."""
        report = SyncReport()
        report.notes = int(self.cache.get_meta("fingerprint_notes") or count_kept(self.excluded, check.scan.notes))
        report.parsed = check.parsed
        report.problems = [Problem(*p) for p in json.loads(self.cache.get_meta("fingerprint_problems") or "[]")]
        report.nothing_to_generate = self.cache.get_meta("nothing_to_generate") == "1"
        return report

    def _read_and_index(self, check: Check | None, report: SyncReport, progress, regenerate: list[str],
                        dry_run: bool) -> tuple[ScanResult, set[str] | None, bool]:
        """Read the notes and build the index: (the walk, the notes to plan blocks for
        (None: all), whether to plan the whole-vault notes)."""
        caught_up = check is not None and check.catch_up is not None and reading.load_catching_up(self, check, report)
        self.last_pass = "catch-up" if caught_up else "full"
        if caught_up:  # the changed notes read; the cached index updated
            return check.scan, *caught_up
        result = self.load(progress, check)  # every note (the cache's records where current)
        if check is None and not dry_run:
            remove_temp_files(self.vault, result.temp_files)  # before anything is written
        report.notes = count_kept(self.excluded, result.notes)
        report.parsed = self.parsed
        report.problems.extend(self.problems())
        report.problems.extend(self.folder_problems())
        report.problems.extend(result.problems)
        if self.cache.problem is not None and not dry_run:
            report.problems.append(self.cache.problem)
        self._check_regenerate(regenerate)
        if not dry_run:
            self.remember_keys()
        return result, None, True

    def _finish(self, report: SyncReport, problems: list[Problem], result: ScanResult, dry_run: bool,
                check: Check | None = None) -> SyncReport:
        """The pass's report; after a real pass, the folders written in are fsynced and the
        cache stores the fingerprint of a complete pass (or none), made from `check`'s walk
        where the pass started from it."""
        report.problems.extend(problems)
        report.nothing_to_generate = not (self.index.paths_of_kind(CONTACT) or self.index.paths_of_kind(INTERVIEW))
        writer = self._writer
        report.conflicts = self.conflicts()
        report.skipped.extend(report.conflicts)
        if dry_run:
            report.changed = sum(1 for w in report.writes if w.expect is not None)
            report.created = sum(1 for w in report.writes if w.expect is None)
            return report
        stats = dict(result.notes)
        stats.update(writer.stats)
        report.problems.sort(key=lambda p: (p.path, p.line or 0, p.message))
        # A skipped or failed write must be retried by the next pass: no shortcut then.
        complete = not report.skipped and not any(p.kind == "write" for p in report.problems) \
            and not writer.unwritten and not result.unreadable
        fingerprint = ""
        stored = None
        if complete:
            same_walk = check is not None and check.scan is result
            fingerprint = fingerprint_of(self, stats, check if same_walk else None, writer.stats)
            stored = self._store_index(fingerprint)  # (beside the fsyncs and the commit)
        done = False
        try:
            self.end_pass()  # the folders written in are fsynced before the cache says so
            self.cache.set_meta("fingerprint", fingerprint)
            if complete:
                self.cache.set_meta("fingerprint_problems", json.dumps(
                    [[p.path, p.message, p.kind, p.line] for p in report.problems]))
                self.cache.set_meta("plan_problems", str(len(problems)))
                self.cache.set_meta("fingerprint_notes", str(count_kept(self.excluded, stats)))
                self.cache.set_meta("nothing_to_generate", "1" if report.nothing_to_generate else "")
            self.cache.commit()
            done = True
        finally:
            if stored is not None:
                stored(done)
        return report

    def _store_index(self, fingerprint: str) -> Callable[[bool], None]:
        """Store the index this pass ends with (`stored.py`), as the pass `fingerprint`
        stands for. After a full pass of a large vault, a forked child stores its state
        (~0.5 s at 50,000 notes) while this process stores the cache's rows, commits them
        and then stores the resolver's names: call what this returns, with whether the
        commit went through, to do that and wait for the child. Without a child, or if it
        failed, the index is stored here (a catch-up's always: it reuses parts of the last
        pass's files)."""
        from .parallel import PARALLEL_MIN_NOTES, Forked  # noqa: PLC0415 - see the imports
        from .stored import dump  # noqa: PLC0415

        since = self.stored_from

        def store(only: int | None = None) -> tuple:
            self.cache.save_index_state(fingerprint, dump(self.index, self.records, since, only),
                                        since.fingerprint if since is not None else "", only)
            return ()

        # (the child stores the first file, the state; this process the resolver's names)
        child = Forked(lambda: store(0)) if since is None and len(self.records) >= PARALLEL_MIN_NOTES else None

        def finish(ok: bool) -> None:
            if child is None:
                if ok:
                    store()
                return
            if ok:
                store(1)
                if child.pid is not None:
                    child.next_chunk()  # the end of its (empty) stream, once it has stored the state
            child.cancel()
            if ok and not child.complete:
                store(0)
        return finish

    def start_pass(self) -> None:
        """A new pass: no writer yet, no conflict found."""
        self._conflicts = []
        self._writer = None

    def conflicts(self) -> list[str]:
        """The notes this pass found changed on disk since it read them (the writer's,
        then the plan's), in the order found."""
        return (self._writer.conflicts if self._writer is not None else []) + self._conflicts

    def plan_globals(self, f: Facts | None = None, created: dict | None = None,
                     problems: list[Problem] | None = None, rendered: dict | None = None) -> list[PlannedWrite]:
        """The writes of the notes made from the whole vault: the referral index, today's
        follow-ups, the week's review and the calendar feed (`rendered`: their texts, made
        beforehand by `wholevault.render` from the same facts)."""
        from . import wholevault  # noqa: PLC0415 - keeps templates and YAML off the no-change path
        return wholevault.plan(self, f or self.facts(), created or {}, problems if problems is not None else [],
                               rendered)

    def _check_regenerate(self, keys: list[str]) -> None:
        """`--regenerate KEY` for a key no generated note ever had (in the ledger or in the
        vault) is a usage error: nothing is written."""
        unknown = sorted({k for k in keys if k not in self.ledger and k not in self.index.generated})
        if unknown:
            raise VaultkitError(f"--regenerate: no generated note ever had the key {', '.join(map(repr, unknown))}"
                                " — a key is the vaultkit_key in a generated note's front-matter")

    # -- what a change touches (a catch-up pass, a watch batch) -------------------------

    def take_changes(self, changes: dict[str, NoteRecord | None]) -> tuple[set[str], bool]:
        """Apply changed notes (None: gone) to the records, the index and the cache:
        (the notes whose output may change, whether a change feeds the whole-vault notes)."""
        refresh = False
        for path, rec in changes.items():
            refresh = refresh or self.feeds_globals(self.records.get(path), rec)
            if rec is None:
                self.records.pop(path, None)
            else:
                self.records[path] = rec
        affected = self.index.update(changes) if changes else set()
        self.cache.save_records([r for r in changes.values() if r is not None],
                                [p for p, r in changes.items() if r is None])
        return affected, refresh

    def feeds_globals(self, old: NoteRecord | None, new: NoteRecord | None) -> bool:
        """Whether a change can alter the referral index or the daily note: a typed or
        generated note changed, or a note came, went or was renamed (links may resolve
        differently), or a dated note's links or date changed (it is a touch of the contacts
        it links: quiet contacts, cadence). A plain note's body edit cannot."""
        for rec in (old, new):
            if rec is not None and (rec.kind in (CONTACT, INTERVIEW, COMPANY)
                                    or rec.fields.get("generated_by") == "vaultkit"
                                    or rec.path == self.cfg.referral_index):
                return True
        if old is None or new is None or (old.name, old.aliases) != (new.name, new.aliases):
            return True
        from .facts import note_day  # noqa: PLC0415 - see the imports
        return (note_day(old) or note_day(new)) is not None and \
            (note_day(old) != note_day(new) or [l[:2] for l in old.links] != [l[:2] for l in new.links])

    def touches_whole_vault_notes(self, paths: set[str]) -> bool:
        """Whether `paths` hold a note made from the whole vault: today's daily note or
        this week's review."""
        return bool(paths) and bool(paths & self.global_paths())

    def global_paths(self, f: Facts | None = None) -> set[str]:
        from .generate import review_note_path
        f = f or self.facts()
        return {p for p in (self._daily_path(f), review_note_path(self, f)) if p}

    def _daily_path(self, f: Facts | None = None) -> str | None:
        from .daily import daily_note_path
        return daily_note_path(self, f or self.facts())

    def close(self) -> None:
        self.end_pass()
        self.cache.close()


def run_sync(vault: Path, today: dt.date, *, dry_run: bool = False, rebuild: bool = False,
             regenerate: Iterable[str] = (), progress=None, lock_timeout: float = 3.0,
             show: Callable[[PlannedWrite], None] | None = None) -> SyncReport:
    """One full pass (`vaultkit sync`): lock, scan, index, plan, write. With `dry_run`,
    `show` gets each write as it would be made (for its diff), and the report keeps only
    what each write is, not its bytes: a dry run of a large vault holds no note's text."""
    cfg = load_config(vault)
    check_day_counts(cfg, today)
    if dry_run:
        session = Session(vault, today, readonly=True, rebuild=rebuild, cfg=cfg)
        try:
            return session.sync(dry_run=True, regenerate=regenerate, progress=progress, show=show)
        finally:
            session.close()
    with VaultLock(Path(vault), timeout=lock_timeout, owner="vaultkit sync"):
        session = Session(vault, today, rebuild=rebuild, cfg=cfg)
        try:
            return session.sync(regenerate=regenerate, progress=progress)
        finally:
            session.close()
