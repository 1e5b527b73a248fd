"""The one change detector: what came, went or changed between two views of the vault's
notes, each a map of path -> (size, mtime_ns).

`sync` compares the disk with the cache (its no-op and catch-up checks, folder by folder),
`watch` the disk with the records it holds (a rescan, and each batch of paths). A changed
stat says only that a note *may* have changed: the callers read it and compare its hash
before they treat it as an edit (a touch changes the time, not the text).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping

Stat = tuple[int, int]


@dataclass
class Changes:
    """Notes on disk and not known (`added`), known and gone (`removed`), in both with
    another stat (`modified`); each sorted."""

    added: list[str] = field(default_factory=list)
    modified: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.added or self.modified or self.removed)

    def paths(self) -> set[str]:
        return {*self.added, *self.modified, *self.removed}


def diff_stats(disk: Mapping[str, Stat], known: Mapping[str, Stat]) -> Changes:
    """What changed from `known` to `disk`."""
    added, modified = [], []
    for path, stat in disk.items():
        was = known.get(path)
        if was is None:
            added.append(path)
        elif was != stat:
            modified.append(path)
    removed = [path for path in known if path not in disk]
    return Changes(sorted(added), sorted(modified), sorted(removed))
