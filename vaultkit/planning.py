"""Planning a pass: which generated notes are due and what every managed block should
hold, as `PlannedWrite`s for the writer. A mixin of `sync.Session`, whose index, facts
and renderer it reads.
"""

from __future__ import annotations

import dataclasses
from typing import Iterable

from . import blocks
from .errors import MarkerError, Problem
from .facts import Facts
from .files import sha256_hex
from .folders import NotInVault
from .markers import set_block
from .model import FileState, NoteRecord, PlannedWrite
from .parallel import Forked
from .vault import block_digest

# The `expect` of a block write already made while planning (streamed): only whether it
# is None (a new note) is read afterwards, and a first sync makes tens of thousands.
_WRITTEN = FileState(0, 0, "")


class Planning:
    """The planning methods of a session."""

    def plan(self, only: set[str] | None = None, regenerate: Iterable[str] = (),
             refresh_globals: bool = True, defer_globals: bool = False) -> tuple[list[PlannedWrite], list[Problem]]:
        """Every write this pass wants: new generated notes, then changed managed blocks.

        `only` limits the block work to those notes (the watcher's affected set); the
        referral index and today's daily note are planned when `refresh_globals` says so
        (or notes were created), unless `defer_globals`: `globals_due` then says whether
        the caller should plan them with `plan_globals` (after writing the rest).
        """
        from .generate import plan_generated  # noqa: PLC0415 - keeps Jinja2 off the no-change path

        f = self.facts()
        problems: list[Problem] = []
        writes: list[PlannedWrite] = []
        created = plan_generated(self, f, set(regenerate), only)
        problems.extend(created.problems)
        touched_by_new: set[str] = set()  # notes whose blocks show the new notes (backlinks…)
        if created.records:
            touched_by_new = self.index.update({r.path: r for r in created.records})
            f = self.facts()
        created_writes = list(created.writes)
        if self._streaming is not None:
            # New notes go first (the blocks written next link to them), unless a block
            # will be put into them before they are written: today's daily note, or a note
            # a user template gave a type with a block.
            kinds = {r.path: r.kind for r in created.records}
            filled_later = self._global_paths(f)
            report, stats = self._streaming
            for n, w in enumerate(created_writes):
                if w.path not in filled_later and kinds.get(w.path) not in blocks.BLOCK_OF_KIND:
                    stats.update(self.write([w], report))
                    created_writes[n] = dataclasses.replace(w, data=b"", streamed=True)
        created_data = {w.path: w for w in created_writes if not w.streamed}

        targets = self.records.keys() if only is None else (only | set(created_data) | touched_by_new)
        jobs = []  # (path, block name, render); the record is looked up when it is used,
        # so that the one a streamed write replaces is not kept
        for path in sorted(targets):
            rec = self.index.records.get(path)
            if rec is not None and rec.ok:
                spec = blocks.BLOCK_OF_KIND.get(rec.kind)
                if spec is not None:
                    jobs.append((path, *spec))
        block_writes = self._plan_blocks(f, jobs, created_data, problems, fork=only is None)
        writes.extend(w for _, w in sorted(block_writes.items()))

        self.globals_due = only is None or refresh_globals or bool(created.writes)
        # Planned now when not deferred, or when today's daily note is being created: its
        # block then goes into the new note rather than in a second write.
        if self.globals_due and (not defer_globals or self._is_daily(set(created_data))):
            writes.extend(self.plan_globals(f, created_data, problems))
            self.globals_due = False
        # New notes not rewritten by a block go out as they were rendered.
        planned_paths = {w.path for w in writes}
        writes = [w for w in created_writes if w.path not in planned_paths] + writes
        return writes, problems

    # From this many blocks to render in a full pass, a forked child renders every other
    # one and hands back those that differ from the note's (none when all are current).
    PARALLEL_MIN_BLOCKS = 2000
    _FORKED_CHUNK = 200  # blocks per hand-over: a first sync's rendered blocks are not all held

    def _plan_blocks(self, f: Facts, jobs: list, created: dict[str, PlannedWrite],
                     problems: list[Problem], fork: bool) -> dict[str, PlannedWrite]:
        """The block writes of `jobs`, by path; during a full pass the block writes are
        made as they are planned (`_streaming`).

        A forked child renders from the index as it was when it was forked. That is the
        index this process renders from as long as its own block writes change nothing a
        render reads (they change only blocks, and at most the lines links are on); if one
        ever does, the child's blocks from then on are dropped and rendered here.
        """
        out: dict[str, PlannedWrite] = {}
        report = self._streaming[0] if self._streaming is not None else None
        marks = (len(problems), len(self._conflicts),
                 len(report.written_paths) if report else 0, len(report.skipped) if report else 0)
        theirs = jobs[1::2] if fork and len(jobs) >= self.PARALLEL_MIN_BLOCKS else []
        jobs_of = {job[0]: job for job in theirs}
        left: set[str] = set()

        def render_theirs():
            chunk = []
            records = self.index.records
            for path, name, render in theirs:
                inner = render(f, path)
                if not _is_current(records[path], name, inner, created):
                    chunk.append((path, inner))
                    if len(chunk) == self._FORKED_CHUNK:
                        yield chunk
                        chunk = []
            yield chunk

        child = None
        try:
            if theirs:
                child = Forked(render_theirs)
                if child.pid is None:
                    child = None
            updates = self._index_updates
            for path, name, render in jobs if child is None else jobs[0::2]:
                out[path] = self._plan_block(path, name, render(f, path), created, problems)
            if child is not None:
                left = set(jobs_of)
                stale = False
                for chunk in child.chunks():
                    for path, inner in chunk:
                        stale = self._index_updates != updates
                        if stale:
                            break
                        out[path] = self._plan_block(path, jobs_of[path][1], inner, created, problems)
                        left.discard(path)
                    if stale:
                        break
                if child.complete and self._index_updates == updates:
                    left = set()  # the child found the rest current
        finally:
            if child is not None:
                child.cancel()
        for path in sorted(left):
            _, name, render = jobs_of[path]
            out[path] = self._plan_block(path, name, render(f, path), created, problems)
        # What the pass reports, in path order as one process finds it.
        problems[marks[0]:] = sorted(problems[marks[0]:], key=lambda p: p.path)
        self._conflicts[marks[1]:] = sorted(self._conflicts[marks[1]:])
        if report is not None:
            report.written_paths[marks[2]:] = sorted(report.written_paths[marks[2]:])
            report.skipped[marks[3]:] = sorted(report.skipped[marks[3]:])
        return {p: w for p, w in out.items() if w is not None}

    def _plan_block(self, path: str, name: str, inner: str, created: dict[str, PlannedWrite],
                    problems: list[Problem]) -> PlannedWrite | None:
        write = self.block_write(self.index.records[path], name, inner, created, problems)
        if write is not None and self._streaming is not None and path not in created:
            report, stats = self._streaming
            stats.update(self.write([write], report))
            write = PlannedWrite(path, b"", _WRITTEN, write.reason, streamed=True)
        return write

    def plan_globals(self, f: Facts | None = None, created: dict | None = None,
                     problems: list[Problem] | None = None) -> list[PlannedWrite]:
        """The notes made from the whole vault: the referral index and today's follow-ups."""
        f = f or self.facts()
        created = created or {}
        problems = problems if problems is not None else []
        from . import wholevault  # noqa: PLC0415 - keeps templates and YAML off the no-change path
        return wholevault.plan(self, f, created, problems)

    def block_write(self, rec: NoteRecord, name: str, inner: str, created: dict[str, PlannedWrite],
                     problems: list[Problem], reason: str | None = None) -> PlannedWrite | None:
        if _is_current(rec, name, inner, created):
            return None
        if rec.marker_error:
            return None  # already reported by the parser; the note is left untouched
        if rec.path in created:
            base = created[rec.path]
            old_bytes, expect = None, None
            text = base.data.decode("utf-8")
            bom = False
        else:
            try:
                old_bytes, size, mtime_ns = self.folders().read(rec.path)
            except (FileNotFoundError, NotInVault):
                return None
            except OSError as exc:
                if not self._under_unreadable(rec.path):
                    problems.append(Problem(rec.path, f"cannot read: {exc.strerror or exc}", "read"))
                self._unwritten = True
                return None
            expect = FileState(size, mtime_ns, sha256_hex(old_bytes))
            if expect.sha256 != rec.sha256:
                # Changed since it was parsed: plan from the new text on the next pass.
                self.report_conflict(rec.path)
                return None
            bom = old_bytes.startswith(b"\xef\xbb\xbf")
            text = old_bytes.decode("utf-8-sig")
        cr_only = "\n" not in text and "\r" in text  # old Mac line endings: kept as they are
        try:
            new_text = set_block(text.replace("\r", "\n") if cr_only else text, name, inner)
        except MarkerError as exc:
            problems.append(Problem(rec.path, exc.message, "markers", exc.line))
            return None
        if cr_only:
            new_text = new_text.replace("\n", "\r")
        data = (b"\xef\xbb\xbf" if bom else b"") + new_text.encode("utf-8")
        if old_bytes is not None and data == old_bytes:
            return None
        # The old bytes are kept only for --dry-run's diff: a first sync of a large vault
        # would otherwise hold two copies of every note it writes.
        return PlannedWrite(rec.path, data, expect, reason or f"block {name}",
                            old=old_bytes if self.readonly else None,
                            key=created[rec.path].key if rec.path in created else None)



def _is_current(rec: NoteRecord, name: str, inner: str, created: dict) -> bool:
    """Whether the note already holds block `name` with content `inner` (a note being
    created never does: its block goes into the text being written)."""
    return rec.path not in created and rec.blocks.get(name) == block_digest(inner)


