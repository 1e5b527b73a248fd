"""Errors and problems. No click here: the CLI turns these into messages and exit codes."""

from __future__ import annotations

from dataclasses import dataclass


class _Located(Exception):
    """An error with a message and, where known, the file and line it is about."""

    def __init__(self, message: str, path: str | None = None, line: int | None = None):
        super().__init__(message)
        self.message = message
        self.path = path
        self.line = line

    def __str__(self) -> str:
        return format_location(self.path, self.line, self.message)


class VaultkitError(_Located):
    """An error that stops a command (usage, configuration, lock): exit code 2."""


class ConfigError(VaultkitError):
    """config.toml is not TOML, has an unknown key or a value of the wrong type."""


class LockError(VaultkitError):
    """Another vaultkit process holds the vault's lock (`busy`), or it cannot be taken."""

    busy = False


class NoteError(_Located):
    """Something wrong with one note, template or write: reported (a `Problem`) and
    skipped while the rest of the work goes on. Only a command that exists to make that
    one note (`vaultkit new`) stops on it."""


class TemplateProblem(NoteError):
    """A template failed to load or render (path and line of the template)."""


class MarkerError(NoteError):
    """A note's managed-block markers are broken (missing end, duplicate, nested)."""


class WriteConflict(NoteError):
    """The file changed on disk since it was read; the write was skipped."""


class UnsafePath(NoteError):
    """A path to write resolves outside the vault."""


class NotAVault(VaultkitError):
    """No vault was named and none was found at or above the current folder."""


def format_location(path: str | None, line: int | None, message: str) -> str:
    """`path:line: message`, leaving out what is unknown."""
    if path is None:
        return message
    if line is None:
        return f"{path}: {message}"
    return f"{path}:{line}: {message}"


@dataclass(frozen=True, slots=True)
class Problem:
    """Something wrong with one note or template, reported and skipped; the rest goes on.

    `kind` is a short stable tag (`frontmatter`, `encoding`, `markers`, `template`,
    `write`, ...). Problems count towards exit code 1 of `sync`; `doctor` also reports
    `Finding`s (warnings such as unresolved links) which are not problems for `sync`.
    """

    path: str
    message: str
    kind: str
    line: int | None = None

    def __str__(self) -> str:
        return format_location(self.path, self.line, self.message)

    def as_json(self) -> dict:
        return {"path": self.path, "line": self.line, "kind": self.kind, "message": self.message}
