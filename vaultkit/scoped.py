"""The index of a pass: every note the exclusion rule (`scope.exclusion_rule`: templates
folders, Obsidian's Excluded files) names is in it as a link target only."""

from __future__ import annotations

from typing import Callable, Iterable

from .index import Index
from .model import NoteRecord
from .resolve import Named


def link_target_only(rec: NoteRecord) -> NoteRecord:
    """An excluded note as the index holds it: its names (so links to it resolve), nothing
    else; `ok` False, so that it is never written."""
    return NoteRecord(path=rec.path, size=rec.size, mtime_ns=rec.mtime_ns, name=rec.name,
                      aliases=rec.aliases, ok=False, sha256=rec.sha256)


class ScopedIndex(Index):
    """An `Index` that takes every note `excluded` names as a link target only."""

    def __init__(self, records: Iterable[NoteRecord], attachments: Iterable[str],
                 excluded: Callable[[str], bool], named: Named | None = None):
        self.excluded = excluded
        super().__init__((self._scoped(r) for r in records), attachments, named)

    def _scoped(self, rec: NoteRecord) -> NoteRecord:
        return link_target_only(rec) if self.excluded(rec.path) else rec

    def update(self, changed: dict[str, NoteRecord | None]) -> set[str]:
        return super().update({p: None if r is None else self._scoped(r) for p, r in changed.items()})
