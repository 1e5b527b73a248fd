"""The plan stage: which generated notes are due and what every managed block should hold.

`plan` is a generator of `PlannedWrite`s: it reads the session's index, facts, ledger and
renderer and writes nothing. The caller hands each write to the writer as it comes, so a
first sync of a large vault never holds every rewritten note at once, and the blocks an
edit affects reach the disk before the notes made from the whole vault are planned. The
index the plan reads does not change while it runs: the writer's records of what it wrote
join the index once the plan is done.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Iterable, Iterator

from . import blocks
from .edits import block_edit, is_current
from .errors import Problem
from .facts import Facts
from .model import PlannedWrite
from .parallel import Forked

if TYPE_CHECKING:
    from .sync import Session

# From this many blocks to render in a full pass, a forked child renders the second half
# and hands back those that differ from the note's (none when all are current).
PARALLEL_MIN_BLOCKS = 2000
FORKED_CHUNK = 200  # blocks per hand-over: a first sync's rendered blocks are not all held


def plan(s: Session, problems: list[Problem], only: set[str] | None = None, regenerate: Iterable[str] = (),
         refresh_globals: bool = True) -> Iterator[PlannedWrite]:
    """Every write this pass wants: new generated notes, then changed managed blocks, then
    the notes made from the whole vault (referral index, today's follow-ups, the week's
    review, the calendar) when `refresh_globals` says so, when notes are created, or in a
    full pass (`only` None). `only` limits the block work to those notes (a watch batch's
    or a catch-up's affected notes). Problems found go to `problems`.
    """
    from .generate import plan_generated  # noqa: PLC0415 - keeps Jinja2 off the no-change path

    f = s.facts()
    created = plan_generated(s, f, set(regenerate), only)
    problems.extend(created.problems)
    touched_by_new: set[str] = set()  # notes whose blocks show the new notes (backlinks…)
    if created.records:
        touched_by_new = s.index.update({r.path: r for r in created.records})
        f = s.facts()
    # New notes go first (the blocks written next link to them), unless a block will be
    # put into them before they are written: today's daily note, this week's review, or a
    # note a user template gave a type with a block.
    kinds = {r.path: r.kind for r in created.records}
    filled_later = s.global_paths(f)
    pending: dict[str, PlannedWrite] = {}
    for w in created.writes:
        if w.path in filled_later or kinds.get(w.path) in blocks.BLOCK_OF_KIND:
            pending[w.path] = w
        else:
            yield w
    done: set[str] = set()
    targets = s.records.keys() if only is None else (only | {w.path for w in created.writes} | touched_by_new)
    jobs = []  # (path, block name, render)
    for path in sorted(targets):
        rec = s.index.records.get(path)
        if rec is not None and rec.ok:
            spec = blocks.BLOCK_OF_KIND.get(rec.kind)
            if spec is not None:
                jobs.append((path, *spec))
    for w in _block_writes(s, f, jobs, pending, problems, fork=only is None):
        done.add(w.path)
        yield w
    if only is None or refresh_globals or created.writes:
        for w in s.plan_globals(f, pending, problems):
            done.add(w.path)
            yield w
    # New notes that no block was put into go out as they were rendered.
    yield from (w for path, w in pending.items() if path not in done)


def _block_writes(s: Session, f: Facts, jobs: list, created: dict[str, PlannedWrite],
                  problems: list[Problem], fork: bool) -> Iterator[PlannedWrite]:
    """The block writes of `jobs`, in path order. From `PARALLEL_MIN_BLOCKS` blocks, a
    forked child renders the second half while this process renders (and the caller
    writes) the first; it hands back only the blocks that are not current."""
    records = s.index.records
    theirs = jobs[len(jobs) // 2:] if fork and len(jobs) >= PARALLEL_MIN_BLOCKS else []

    def render_theirs():
        chunk = []
        for path, name, render in theirs:
            inner = render(f, path)
            if not is_current(records[path], name, inner, created):
                chunk.append((path, inner))
                if len(chunk) == FORKED_CHUNK:
                    yield chunk
                    chunk = []
        yield chunk

    child = Forked(render_theirs) if theirs else None
    if child is not None and child.pid is None:
        child = None
    mine = jobs if child is None else jobs[:len(jobs) - len(theirs)]
    try:
        for path, name, render in mine:
            w = block_edit(records[path], name, render(f, path), created, problems)
            if w is not None:
                yield w
        if child is None:
            return
        names = {path: name for path, name, _ in theirs}
        last = -1  # the position in `theirs` of the last block the child handed back
        positions = {path: n for n, (path, _, _) in enumerate(theirs)}
        for chunk in child.chunks():
            for path, inner in chunk:
                last = positions[path]
                w = block_edit(records[path], names[path], inner, created, problems)
                if w is not None:
                    yield w
        rest = [] if child.complete else theirs[last + 1:]  # the child stopped: the rest here
    finally:
        if child is not None:
            child.cancel()
    for path, name, render in rest:
        w = block_edit(records[path], name, render(f, path), created, problems)
        if w is not None:
            yield w
