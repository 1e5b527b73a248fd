"""Walking the vault: which files are notes, which are sync debris, and each note's size
and modification time. Every folder is opened from its parent without following a
symlink (`folders.py`), so the walk never leaves the vault. Nothing here writes.
"""

from __future__ import annotations

import errno
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path

from .errors import Problem
from .files import TEMP_PREFIX
from .folders import HANDLES

log = logging.getLogger(__name__)


_O_DIRECTORY = getattr(os, "O_DIRECTORY", 0)
_O_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)

CONFLICT_MARK = ".sync-conflict-"
_DEBRIS_SUFFIXES = ("~", ".swp", ".swo", ".swx", ".tmp", ".bak", ".crswap", "___jb_tmp___", "___jb_old___")


@dataclass
class ScanResult:
    """What a walk of the vault found: notes with their stat, and things to report."""

    notes: dict[str, tuple[int, int]] = field(default_factory=dict)  # path -> (size, mtime_ns)
    attachments: list[str] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)
    icloud: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)  # names not in UTF-8, folders not listed
    unreadable: list[str] = field(default_factory=list)  # folders that could not be listed
    aliases: dict[str, str] = field(default_factory=dict)  # a symlink -> the note it names
    temp_files: list[str] = field(default_factory=list)  # vaultkit's own, left by a crash


def is_debris(name: str) -> bool:
    """Editor swap/backup files, sync tools' temporary files and placeholders, our temp files."""
    if name.startswith(".") or name.startswith("~syncthing~") or name == "4913":
        return True
    if CONFLICT_MARK in name:
        return True
    return name.endswith(_DEBRIS_SUFFIXES) or name.startswith(".#")


def is_note_name(name: str) -> bool:
    return name.endswith(".md") and not is_debris(name)


def excluded_dir(name: str) -> bool:
    """Dot-folders anywhere. (Templates folders are scanned: their notes are link targets;
    the index keeps them out of everything else.)"""
    return name.startswith(".")


def is_note_path(rel: str) -> bool:
    """Whether the walk would take the file at vault-relative `rel` for a note (its name,
    and no folder on the way excluded)."""
    parts = rel.split("/")
    if any(excluded_dir(part) for part in parts[:-1]):
        return False
    return is_note_name(parts[-1])


def utf8_name(rel: str) -> bool:
    """Whether a name read from the disk is valid UTF-8 (Python keeps the bytes that are
    not as lone surrogates)."""
    try:
        rel.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def shown_name(rel: str) -> str:
    """A name that is not valid UTF-8, printable: the bad bytes as `\\xNN`."""
    return os.fsencode(rel).decode("utf-8", "backslashreplace")


def bad_name_problem(rel: str) -> Problem:
    return Problem(shown_name(rel), "file name is not valid UTF-8: rename it", "name")


def scan(vault: Path, start: str = "") -> ScanResult:
    """Walk the vault: every note's (size, mtime_ns), attachments, and sync debris.

    Symlinked folders are not entered: each folder is opened from its parent's handle
    without following a symlink, so that one swapped in mid-walk is not listed either. A
    symlinked note counts only when it points inside the vault, and not when it points at
    another note (then it is an alias of that note: `aliases`). A name that is not UTF-8
    and a folder that cannot be listed are problems (`problems`; the folder is in
    `unreadable`). `start` limits the walk to one folder (vault-relative).
    """
    result = ScanResult()
    root = str(vault)
    walk = _Walk(result, root, os.path.realpath(root))
    start = start.strip("/")
    if not HANDLES:
        walk.by_path(start)
        return result
    fd = walk.open_start(start)
    if fd is not None:
        try:
            walk.by_handle(start, fd)
        finally:
            os.close(fd)
    return result


class _Walk:
    """The walk behind `scan`: by folder handles, or by path where there are none."""

    def __init__(self, result: ScanResult, root: str, real_root: str):
        self.result = result
        self.root = root
        self.real_root = real_root

    def open_start(self, start: str) -> int | None:
        fd = None
        try:
            fd = os.open(self.root, os.O_RDONLY | _O_DIRECTORY)
            for name in start.split("/") if start else ():
                child = os.open(name, os.O_RDONLY | _O_DIRECTORY | _O_NOFOLLOW, dir_fd=fd)
                os.close(fd)
                fd = child
            return fd
        except OSError as exc:
            if fd is not None:
                os.close(fd)
            self.unlisted(start, exc)
            return None

    def unlisted(self, rel_dir: str, exc: OSError) -> None:
        if isinstance(exc, FileNotFoundError) and rel_dir:
            return  # gone meanwhile
        if exc.errno in (errno.ELOOP, errno.ENOTDIR) and rel_dir:
            return  # became a symlink or a file: not a folder of the vault
        self.result.unreadable.append(rel_dir)
        self.result.problems.append(Problem(shown_name(rel_dir or "."), f"cannot list this folder "
                                            f"({exc.strerror}): its notes keep their last known "
                                            "state until it can be read", "read"))

    def by_handle(self, rel_dir: str, fd: int) -> None:
        try:
            entries = list(os.scandir(fd))
        except OSError as exc:
            self.unlisted(rel_dir, exc)
            return
        folders = self.entries(rel_dir, entries)
        for name in reversed(folders):  # the order the path walk has always had
            rel = f"{rel_dir}/{name}" if rel_dir else name
            try:
                child = os.open(name, os.O_RDONLY | _O_DIRECTORY | _O_NOFOLLOW, dir_fd=fd)
            except OSError as exc:
                self.unlisted(rel, exc)
                continue
            try:
                self.by_handle(rel, child)
            finally:
                os.close(child)

    def by_path(self, start: str) -> None:
        stack = [start]
        while stack:
            rel_dir = stack.pop()
            try:
                entries = list(os.scandir(os.path.join(self.root, rel_dir) if rel_dir else self.root))
            except OSError as exc:
                self.unlisted(rel_dir, exc)
                continue
            stack.extend(f"{rel_dir}/{name}" if rel_dir else name for name in self.entries(rel_dir, entries))

    def entries(self, rel_dir: str, entries: list) -> list[str]:
        """Take the files of one folder into the result; return the folders to walk."""
        result = self.result
        folders = []
        for entry in entries:
            name = entry.name
            rel = f"{rel_dir}/{name}" if rel_dir else name
            try:
                if entry.is_dir(follow_symlinks=False):
                    if not excluded_dir(name):
                        if utf8_name(name):
                            folders.append(name)
                        else:
                            result.problems.append(bad_name_problem(rel))
                    continue
                is_link = entry.is_symlink()
            except OSError:
                continue
            if not name.endswith(".md"):
                if name.startswith(TEMP_PREFIX) and not is_link:
                    result.temp_files.append(rel)
                elif name.endswith(".icloud") and name.startswith("."):
                    result.icloud.append(rel)
                elif not is_debris(name) and utf8_name(name):
                    result.attachments.append(rel)
                continue
            if CONFLICT_MARK in name:
                result.conflicts.append(rel)
                continue
            # (a note's name is debris only if it starts with one of these: see is_debris)
            if name[0] in ".~" and is_debris(name):
                continue
            if not name.isascii() and not utf8_name(name):
                result.problems.append(bad_name_problem(rel))
                continue
            try:
                if is_link:
                    target = os.path.realpath(os.path.join(self.root, rel))
                    if not _inside(target, self.real_root) or not os.path.isfile(target):
                        continue
                    real = os.path.relpath(target, self.real_root).replace(os.sep, "/")
                    if real != rel and is_note_path(real):
                        result.aliases[rel] = real
                        continue
                    st = os.stat(target)
                else:
                    st = entry.stat(follow_symlinks=False)
            except OSError:
                continue
            result.notes[rel] = (st.st_size, st.st_mtime_ns)
        return folders


def _inside(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)
