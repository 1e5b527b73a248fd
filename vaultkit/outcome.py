"""What a pass did: the report behind the summary line, `--json` and `--dry-run`'s diff."""

from __future__ import annotations

from dataclasses import dataclass, field

from .errors import Problem
from .model import PlannedWrite


@dataclass
class SyncReport:
    """What a pass did, for the summary line and `--json`."""

    notes: int = 0
    parsed: int = 0
    changed: int = 0
    created: int = 0
    written: int = 0
    skipped: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    writes: list[PlannedWrite] = field(default_factory=list)
    written_paths: list[str] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)
    nothing_to_generate: bool = False  # the vault has no contact and no interview

    def summary(self, dry_run: bool = False) -> str:
        verb = "would write" if dry_run else "wrote"
        parts = [f"{plural(self.notes, 'note')} read ({self.parsed} parsed)",
                 f"{self.changed} changed", f"{self.created} created",
                 f"{verb} {plural(len(self.writes) if dry_run else self.written, 'file')}"]
        if self.skipped:
            parts.append(f"{len(self.skipped)} skipped (changed on disk; the next sync retries)")
        parts.append(plural(len(self.problems), "problem"))
        line = ", ".join(parts)
        if self.nothing_to_generate:
            line += "\nno contacts or interviews yet: nothing to generate"
        return line

    def as_json(self, dry_run: bool = False) -> dict:
        return {
            "notes": self.notes, "parsed": self.parsed, "changed": self.changed, "created": self.created,
            "written": 0 if dry_run else self.written, "dry_run": dry_run,
            "planned": [{"path": w.path, "reason": w.reason, "new": w.expect is None} for w in self.writes],
            "skipped": self.skipped, "conflicts": self.conflicts,
            "problems": [p.as_json() for p in self.problems],
            "nothing_to_generate": self.nothing_to_generate,
        }


def diff_of(write: PlannedWrite) -> str:
    """A unified diff of one planned write, for `--dry-run`."""
    import difflib  # noqa: PLC0415 - only --dry-run needs it
    old = (write.old or b"").decode("utf-8-sig", "replace").splitlines(keepends=True)
    new = write.data.decode("utf-8-sig", "replace").splitlines(keepends=True)
    a = "/dev/null" if write.expect is None else f"a/{write.path}"
    return "".join(difflib.unified_diff(old, new, a, f"b/{write.path}"))


def plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"
