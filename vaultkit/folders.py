"""Folder handles: every read and write of a note goes through its open folder.

A path like `People/Ann.md` is never handed to the OS whole. Each folder on the way is
opened from its parent's handle without following symlinks (`O_NOFOLLOW|O_DIRECTORY`), and
the file is then opened, stat'ed, linked, renamed and removed relative to that handle. A
folder swapped for a symlink after vaultkit looked at it cannot redirect a read or a write
out of the vault: opening through it fails, and a write re-checks (device, inode) of the
folder and of every folder above it just before it publishes (`Folders.check`).

Where the OS has no `dir_fd` support (Windows), `_PathFolder` does the same operations on
whole paths, checking that the resolved folder is inside the vault; that fallback is kept
apart here so the writer's logic is one.

Standard library only.
"""

from __future__ import annotations

import errno
import logging
import os
import stat
from pathlib import Path

from .errors import WriteConflict
from .files import TEMP_PREFIX, read_settled

log = logging.getLogger(__name__)

_O_DIRECTORY = getattr(os, "O_DIRECTORY", 0)
_O_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_O_BINARY = getattr(os, "O_BINARY", 0)
_O_NONBLOCK = getattr(os, "O_NONBLOCK", 0)
# What opening a symlink with O_NOFOLLOW fails with: ELOOP (Linux, macOS), EMLINK (FreeBSD),
# EFTYPE (NetBSD).
_SYMLINK_ERRORS = tuple(e for e in (errno.ELOOP, errno.EMLINK, getattr(errno, "EFTYPE", None)) if e is not None)

# Handles are used where the OS can do every operation of a write relative to a folder.
HANDLES = bool(_O_DIRECTORY and _O_NOFOLLOW) and {
    os.open, os.stat, os.mkdir, os.unlink, os.rename, os.link, os.access,
} <= os.supports_dir_fd and os.stat in os.supports_follow_symlinks


def _open_files_limit() -> int:
    """How many files this process may hold open (its soft limit; 4096 when unlimited or
    unknown). macOS starts programs with 256, most Linux systems with 1,024."""
    try:
        import resource  # noqa: PLC0415 - not on Windows
        soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    except (ImportError, OSError, ValueError):
        return 4096
    return 4096 if soft == resource.RLIM_INFINITY or soft <= 0 else soft


# What a pass may hold open, shared out under that limit: a reserve for the cache, the
# lock, the pipes to a second process and Python's own files; a batch of replacements
# (`batchwrite.WriteBatch`, up to three files a note) of at most 64 notes; and the folder
# handles, at most 512, past which the cache of handles starts again. Under a limit of
# 1,024 that is 64 notes and 512 folders; under macOS's 256, 24 notes and 120 folders: a
# vault of many folders is then walked with fewer handles open, never out of them.
OPEN_FILES = _open_files_limit()
_RESERVE = min(64, OPEN_FILES // 4)
BATCH_NOTES = max(4, min(64, (OPEN_FILES - _RESERVE) // 8))
_MAX_OPEN = max(8, min(512, OPEN_FILES - _RESERVE - 3 * BATCH_NOTES))


class MovedAway(WriteConflict):
    """A folder of the path was moved, removed or swapped for a symlink while vaultkit ran."""

    def __init__(self, rel: str):
        super().__init__("its folder changed while vaultkit ran; not written", path=rel)


class FolderRefused(PermissionError):
    """A folder vaultkit may not open or write in: every note in it fails alike."""


class NotInVault(OSError):
    """A path that leads out of the vault through a symlink (or nowhere)."""


class At:
    """A name in an open folder. `os.fspath` gives its path (for messages and tests)."""

    __slots__ = ("folder", "name")

    def __init__(self, folder: "_FdFolder | _PathFolder", name: str):
        self.folder = folder
        self.name = name

    def __fspath__(self) -> str:
        return os.path.join(self.folder.path, self.name)

    def __repr__(self) -> str:
        return f"At({os.fspath(self)!r})"


class _FdFolder:
    """An open folder: operations take a name inside it and never follow a symlink."""

    __slots__ = ("rel", "path", "fd", "chain")

    def __init__(self, rel: str, path: str, fd: int, chain: tuple):
        self.rel = rel
        self.path = path
        self.fd = fd
        self.chain = chain  # ((parent fd, name, dev, ino), ...) from the vault root down

    def open(self, name: str, flags: int, mode: int = 0o666) -> int:
        return os.open(name, flags | _O_NOFOLLOW | _O_BINARY, mode, dir_fd=self.fd)

    def __fspath__(self) -> str:
        return self.path

    def lstat(self, name: str) -> os.stat_result:
        return os.stat(name, dir_fd=self.fd, follow_symlinks=False)

    def writable(self, name: str) -> bool:
        return os.access(name, os.W_OK, dir_fd=self.fd)

    def link(self, src: str, dst: str) -> None:
        os.link(src, dst, src_dir_fd=self.fd, dst_dir_fd=self.fd, follow_symlinks=False)

    def replace(self, src: str, dst: str) -> None:
        os.replace(src, dst, src_dir_fd=self.fd, dst_dir_fd=self.fd)

    def rename(self, src: str, dst: str) -> None:
        os.rename(src, dst, src_dir_fd=self.fd, dst_dir_fd=self.fd)

    def unlink(self, name: str) -> None:
        os.unlink(name, dir_fd=self.fd)

    def fsync(self) -> None:
        try:
            os.fsync(self.fd)
        except OSError:
            pass

    def close(self) -> None:
        if self.rel:  # the root's fd belongs to `Folders`
            os.close(self.fd)


class _PathFolder:
    """The fallback where folders cannot be opened (Windows): the same operations on paths."""

    __slots__ = ("rel", "path", "fd", "chain")

    def __init__(self, rel: str, path: str):
        self.rel = rel
        self.path = path
        self.fd = None
        self.chain = ()

    def _p(self, name: str) -> str:
        return os.path.join(self.path, name)

    def open(self, name: str, flags: int, mode: int = 0o666) -> int:
        if os.path.islink(self._p(name)):
            raise OSError(errno.ELOOP, "is a symlink", self._p(name))
        return os.open(self._p(name), flags | _O_NOFOLLOW | _O_BINARY, mode)

    def __fspath__(self) -> str:
        return self.path

    def lstat(self, name: str) -> os.stat_result:
        return os.lstat(self._p(name))

    def writable(self, name: str) -> bool:
        return os.access(self._p(name), os.W_OK)

    def link(self, src: str, dst: str) -> None:
        os.link(self._p(src), self._p(dst))

    def replace(self, src: str, dst: str) -> None:
        os.replace(self._p(src), self._p(dst))

    def rename(self, src: str, dst: str) -> None:
        os.rename(self._p(src), self._p(dst))

    def unlink(self, name: str) -> None:
        os.unlink(self._p(name))

    def fsync(self) -> None:
        try:
            fd = os.open(self.path, os.O_RDONLY | _O_DIRECTORY)
        except OSError:
            return  # folders cannot be opened here
        try:
            os.fsync(fd)
        except OSError:
            pass
        finally:
            os.close(fd)

    def close(self) -> None:
        pass


class Folders:
    """The open folders of one vault for one pass, and the folders whose entries the pass
    changed (fsynced once each by `flush`)."""

    def __init__(self, vault: Path):
        self.root_path = str(Path(vault).resolve(strict=True))
        self.handles = HANDLES
        if self.handles:
            self.root_fd = os.open(self.root_path, os.O_RDONLY | _O_DIRECTORY)
            root = _FdFolder("", self.root_path, self.root_fd, ())
        else:
            self.root_fd = None
            root = _PathFolder("", self.root_path)
        self._open: dict[str, _FdFolder | _PathFolder] = {"": root}
        self.touched: dict[str, _FdFolder | _PathFolder] = {}
        self._retired: list[_FdFolder | _PathFolder] = []  # moved away mid-pass
        self._pins = 0
        self._held: list[_FdFolder | _PathFolder] = []  # dropped while pinned

    # -- folders ---------------------------------------------------------------------

    def folder(self, rel_dir: str, create: bool = False):
        """The open folder `rel_dir` (vault-relative, "" for the root), made if `create`.
        NotInVault if a component is a symlink or not a folder; OSError otherwise."""
        found = self._open.get(rel_dir)
        if found is not None:
            return found
        parent_rel, _, name = rel_dir.rpartition("/")
        parent = self.folder(parent_rel, create)
        if not self.handles:
            return self._path_folder(rel_dir, parent, name, create)
        for attempt in (1, 2):
            try:
                fd = os.open(name, os.O_RDONLY | _O_DIRECTORY | _O_NOFOLLOW, dir_fd=parent.fd)
                break
            except FileNotFoundError:
                if not create or attempt == 2:
                    raise
                try:
                    os.mkdir(name, 0o777, dir_fd=parent.fd)
                except FileExistsError:
                    pass
                self.touched[parent.rel] = parent
            except OSError as exc:
                if exc.errno in (errno.ELOOP, errno.ENOTDIR, errno.EMLINK):
                    raise NotInVault(errno.ELOOP, "a symlink or a file, not a folder", rel_dir) from None
                raise
        st = os.fstat(fd)
        if len(self._open) >= _MAX_OPEN:
            self._drop_all()
            parent = self.folder(parent_rel)
        folder = _FdFolder(rel_dir, os.path.join(parent.path, name), fd,
                           parent.chain + ((parent.fd, name, st.st_dev, st.st_ino),))
        self._open[rel_dir] = folder
        return folder

    def _path_folder(self, rel_dir: str, parent, name: str, create: bool):
        path = os.path.join(parent.path, name)
        if os.path.islink(path) or (os.path.exists(path) and not os.path.isdir(path)):
            raise NotInVault(errno.ELOOP, "a symlink or a file, not a folder", rel_dir)
        if create and not os.path.exists(path):
            os.makedirs(path, exist_ok=True)
            self.touched[parent.rel] = parent
        if not os.path.isdir(path):
            raise FileNotFoundError(errno.ENOENT, "no such folder", path)
        if not _inside(os.path.realpath(path), self.root_path):
            raise NotInVault(errno.ELOOP, "outside the vault", rel_dir)
        folder = _PathFolder(rel_dir, path)
        self._open[rel_dir] = folder
        return folder

    def check(self, folder, rel: str) -> None:
        """MovedAway unless `folder` and every folder above it are still where they were
        opened (same device and inode under the same name): called just before a write is
        published."""
        if not self.handles:
            if os.path.islink(folder.path) or not _inside(os.path.realpath(folder.path), self.root_path):
                self.forget(folder.rel)
                raise MovedAway(rel)
            return
        for parent_fd, name, dev, ino in folder.chain:
            try:
                st = os.stat(name, dir_fd=parent_fd, follow_symlinks=False)
            except OSError:
                st = None
            if st is None or (st.st_dev, st.st_ino) != (dev, ino) or not stat.S_ISDIR(st.st_mode):
                self.forget(folder.rel)
                raise MovedAway(rel)

    def forget(self, rel_dir: str) -> None:
        """Close `rel_dir` and the folders below it (it moved: open it afresh next time)."""
        if not rel_dir:
            return
        prefix = rel_dir + "/"
        for key in [k for k in self._open if k == rel_dir or k.startswith(prefix)]:
            # Kept open until the pass ends: a write in progress still cleans up through it.
            self._retired.append(self._open.pop(key))
            self.touched.pop(key, None)

    def _drop_all(self) -> None:
        self.flush()
        for key in [k for k in self._open if k]:
            folder = self._open.pop(key)
            if self._pins:
                self._held.append(folder)  # a write batch still names files in it
            else:
                folder.close()

    def pin(self) -> None:
        """Keep every folder handle open until `unpin` (a write batch holds names in them)."""
        self._pins += 1

    def unpin(self) -> None:
        self._pins -= 1
        if not self._pins:
            for folder in self._held:
                folder.close()
            self._held.clear()

    # -- names -----------------------------------------------------------------------

    def locate(self, rel: str, create: bool = False) -> At:
        """The note `rel` as a name in its open folder, symlinks resolved inside the vault:
        NotInVault if it leads out of the vault (or into a loop). With `create`, missing
        folders are made and the name itself is taken as it is (never resolved)."""
        folder_rel, _, name = rel.rpartition("/")
        try:
            folder = self.folder(folder_rel, create)
            if create or not stat.S_ISLNK(folder.lstat(name).st_mode):
                return At(folder, name)
        except NotInVault:
            pass
        except FileNotFoundError:
            if not create:
                raise
        # A symlink on the way: where it leads, if that is inside the vault.
        target = os.path.realpath(os.path.join(self.root_path, folder_rel if create else rel))
        real = self.relative(target)
        if real is None or (not create and not real):
            raise NotInVault(errno.ELOOP, f"leads to {target}, outside the vault", rel)
        if create:
            real_folder, real_name = real, name
        else:
            real_folder, _, real_name = real.rpartition("/")
        try:
            folder = self.folder(real_folder, create)
            if not create and stat.S_ISLNK(folder.lstat(real_name).st_mode):
                raise NotInVault(errno.ELOOP, "a symlink loop", rel)
        except NotInVault:
            raise NotInVault(errno.ELOOP, "changed into a symlink while vaultkit ran", rel) from None
        return At(folder, real_name)

    def relative(self, real: str) -> str | None:
        """The vault-relative form of a resolved path, "" for the root, None if outside."""
        if real == self.root_path:
            return ""
        if not _inside(real, self.root_path):
            return None
        return os.path.relpath(real, self.root_path).replace(os.sep, "/")

    def read(self, rel: str) -> tuple[bytes, int, int]:
        """(bytes, size, mtime_ns) of the note `rel`, read through its folder once it holds
        still (see `files.read_settled`); NotInVault if it leads out of the vault."""
        folder_rel, _, name = rel.rpartition("/")
        try:
            folder = self.folder(folder_rel)
        except NotInVault:
            folder = None  # a symlinked folder on the way: `locate` follows it
        if folder is not None:
            try:  # (opened without following a symlink: no lstat first, for the common case)
                return read_settled(lambda: folder.open(name, os.O_RDONLY | _O_NONBLOCK), rel)
            except OSError as exc:
                if exc.errno not in _SYMLINK_ERRORS:
                    raise
        at = self.locate(rel)  # the note is a symlink: where it leads, if inside the vault
        return read_settled(lambda: at.folder.open(at.name, os.O_RDONLY | _O_NONBLOCK), rel)

    def flush(self) -> None:
        """fsync every folder whose entries this pass changed, once: the renames and links
        made in it survive a power cut from here on."""
        touched, self.touched = self.touched, {}
        for folder in touched.values():
            folder.fsync()

    def close(self) -> None:
        self.flush()
        for key in [k for k in self._open if k]:
            self._open.pop(key).close()
        for folder in self._retired + self._held:
            folder.close()
        self._retired.clear()
        self._held.clear()
        if self.root_fd is not None:
            os.close(self.root_fd)
            self.root_fd = None
        self._open.clear()

    def __enter__(self) -> Folders:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _inside(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


def remove_temp_files(vault: Path, found: list[str]) -> list[str]:
    """Remove the temporary files a crashed write left, as the walk found them (`found`,
    vault-relative; plus any in `.vaultkit/`, which the walk does not enter), through
    the folders' handles; return those removed. Call it holding the VaultLock, so that
    no write in progress loses its temporary file."""
    state_dir = Path(vault) / ".vaultkit"
    try:
        found = found + [f".vaultkit/{name}" for name in os.listdir(state_dir) if name.startswith(TEMP_PREFIX)]
    except OSError:
        pass
    if not found:
        return []
    removed = []
    with Folders(vault) as folders:
        for rel in found:
            try:
                at = folders.locate(rel)
                if stat.S_ISREG(at.folder.lstat(at.name).st_mode):
                    at.folder.unlink(at.name)
                    removed.append(rel)
            except OSError:  # (gone, or the folder moved: not ours to chase)
                continue
    if removed:
        log.info("removed %d leftover temporary file(s): %s", len(removed), ", ".join(removed))
    return sorted(removed)
