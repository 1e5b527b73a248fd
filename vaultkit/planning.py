"""The plan stage: which generated notes are due and what every managed block should hold.

`plan` is a generator of `PlannedWrite`s: it reads the session's index, facts, ledger and
renderer and writes nothing. The caller hands each write to the writer as it comes, so a
first sync of a large vault never holds every rewritten note at once, and the blocks an
edit affects reach the disk before the notes made from the whole vault are planned. The
index the plan reads does not change while it runs: the writer's records of what it wrote
join the index once the plan is done.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable, Iterable, Iterator

from . import blocks
from .edits import block_edit, is_current
from .errors import Problem
from .facts import Facts
from .model import PlannedWrite
from .parallel import END, Forked, TaskQueue, batches_of

if TYPE_CHECKING:
    from .sync import Session

# From this many blocks to render in a full pass, a forked child renders blocks beside
# this process: both take batches of `RENDER_BATCH` blocks from one queue, and the child
# hands back those that differ from the note's (none when all are current).
PARALLEL_MIN_BLOCKS = 2000
RENDER_BATCH = 64


def plan(s: Session, problems: list[Problem], only: set[str] | None = None, regenerate: Iterable[str] = (),
         refresh_globals: bool = True) -> Iterator[PlannedWrite]:
    """Every write this pass wants: new generated notes, then changed managed blocks, then
    the notes made from the whole vault (referral index, today's follow-ups, the week's
    review, the calendar) when `refresh_globals` says so, when notes are created, or in a
    full pass (`only` None). `only` limits the block work to those notes (a watch batch's
    or a catch-up's affected notes). Problems found go to `problems`.
    """
    from . import wholevault  # noqa: PLC0415 - keeps Jinja2 off the no-change path
    from .generate import plan_generated  # noqa: PLC0415

    f = s.facts()
    # A full pass starts the child that renders blocks before it plans the generated notes:
    # if that creates none, the child's blocks are those to write; else they are dropped.
    every_block = _block_jobs(s, s.records.keys()) if only is None else None  # (kept if none is created)
    early = _Rendering.start(s, f, every_block, {}) if every_block is not None else None
    try:
        created = plan_generated(s, f, set(regenerate), only)
    except BaseException:
        if early is not None:
            early.cancel()
        raise
    problems.extend(created.problems)
    touched_by_new: set[str] = set()  # notes whose blocks show the new notes (backlinks…)
    if created.records or created.writes:
        every_block = None
        if early is not None:
            early.cancel()
            early = None
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
    jobs = every_block if every_block is not None else _block_jobs(s, targets)
    rendered: dict = {}  # the whole-vault notes' texts, when made while a child renders blocks
    for w in _block_writes(s, f, jobs, pending, problems, fork=only is None,
                           meanwhile=lambda: rendered.update(wholevault.render(s, f)), started=early):
        done.add(w.path)
        yield w
    if only is None or refresh_globals or created.writes:
        # The block writes made so far reach the disk before these are planned: they are
        # an edit's visible effect, and the whole-vault notes grow with the vault.
        s.flush_writes()
        for w in s.plan_globals(f, pending, problems, rendered):
            done.add(w.path)
            yield w
    # New notes that no block was put into go out as they were rendered.
    yield from (w for path, w in pending.items() if path not in done)


def _block_jobs(s: Session, targets: Iterable[str]) -> list[tuple]:
    """(path, block name, render) of each note among `targets` that has a managed block,
    in path order."""
    jobs = []
    records = s.index.records
    for path in sorted(targets):
        rec = records.get(path)
        if rec is not None and rec.ok:
            spec = blocks.BLOCK_OF_KIND.get(rec.kind)
            if spec is not None:
                jobs.append((path, *spec))
    return jobs


class _Rendering:
    """A forked child rendering `jobs` in batches of `RENDER_BATCH` taken from one queue,
    beside this process, which takes batches from the same queue; the child hands back
    the blocks that differ from the note's (none when all are current)."""

    def __init__(self, batches: list[list], queue: TaskQueue, child: Forked):
        self.batches, self.queue, self.child = batches, queue, child

    @classmethod
    def start(cls, s: Session, f: Facts, jobs: list, created: dict[str, PlannedWrite]) -> _Rendering | None:
        """The child started, from `PARALLEL_MIN_BLOCKS` jobs; None if there are fewer or
        it could not be forked (then this process renders them all)."""
        if len(jobs) < PARALLEL_MIN_BLOCKS:
            return None
        records = s.index.records
        batches = batches_of(jobs, RENDER_BATCH)
        queue = TaskQueue(len(batches))

        def render_theirs():
            while (n := queue.take()) is not None:
                yield n, [(k, inner) for k, (path, name, render) in enumerate(batches[n])
                          if not is_current(records[path], name, inner := render(f, path), created)]

        child = Forked(render_theirs)
        if child.pid is None:
            queue.close()
            return None
        return cls(batches, queue, child)

    def cancel(self) -> None:
        """Done with the child (killed if it is still rendering)."""
        self.queue.close()
        self.child.cancel()


def _block_writes(s: Session, f: Facts, jobs: list, created: dict[str, PlannedWrite],
                  problems: list[Problem], fork: bool,
                  meanwhile: Callable[[], None] | None = None,
                  started: _Rendering | None = None) -> Iterator[PlannedWrite]:
    """The block writes of `jobs`, in path order. From `PARALLEL_MIN_BLOCKS` blocks, a
    forked child renders beside this process (`started`, if one was started for these
    very jobs and facts), which first runs `meanwhile` (the renders of the whole-vault
    notes) and then renders what the child has not taken yet, or writes what the child
    handed back, whichever comes next in path order. Every block goes through
    `block_edit` here, in path order, so that problems come in that order."""
    records = s.index.records
    rendering = started if started is not None else _Rendering.start(s, f, jobs, created) if fork else None
    if rendering is None:
        for path, name, render in jobs:
            w = block_edit(records[path], name, render(f, path), created, problems)
            if w is not None:
                yield w
        return
    batches, queue, child = rendering.batches, rendering.queue, rendering.child
    try:
        if meanwhile is not None:
            meanwhile()
        ready: dict[int, list[tuple[str, str, str]]] = {}  # batch -> (path, name, block) to write

        def render_here(n: int) -> None:
            ready[n] = [(path, name, render(f, path)) for path, name, render in batches[n]]

        def take_from_child(chunk) -> None:
            n, rendered = chunk
            ready[n] = [(batches[n][k][0], batches[n][k][1], inner) for k, inner in rendered]

        nxt = 0
        while nxt < len(batches):
            if nxt in ready:
                for path, name, inner in ready.pop(nxt):
                    w = block_edit(records[path], name, inner, created, problems)
                    if w is not None:
                        yield w
                nxt += 1
            elif not child.ready() and (n := queue.take()) is not None:
                render_here(n)
            elif child.pid is not None:  # the child's next is waiting, or all are handed out
                chunk = child.next_chunk()
                if chunk is not END:
                    take_from_child(chunk)
            else:  # the child stopped before handing this one back: render it here
                render_here(nxt)
        if child.pid is not None:
            child.next_chunk()  # its end (every batch is in): the child exits on its own
    finally:
        rendering.cancel()
