"""The one safe-write path.

Everything vaultkit writes into a vault goes through `safe_write`: a temporary file in the
same folder, fsync, then an atomic link (new note) or replace (existing note) that happens
only if the file is still exactly what was read — on Linux checked once more, on the file
replaced, after an atomic exchange of names. Standard library only (`renameat2` through libc.py).
A pass's writer replaces notes in batches (`batchwrite.WriteBatch`) made of the same steps
(`write_temp`, `put_in_place`), with their syncs shared.
"""

from __future__ import annotations

import errno
import logging
import os
import stat
import time
from pathlib import Path, PurePosixPath

from .closing import close_later
from .errors import UnsafePath, WriteConflict
from .files import TEMP_PREFIX, read_whole, sha256_hex, write_all
from .folders import At, FolderRefused, Folders, NotInVault
from .libc import libc_error, libc_function
from .model import FileState

_AT_FDCWD = -100
_RENAME_EXCHANGE = 2


def _exchanger():
    """Linux `renameat2`, or None where there is none."""
    return libc_function("renameat2", lambda c: (c.c_int, c.c_char_p, c.c_int, c.c_char_p, c.c_uint))


log = logging.getLogger(__name__)


_O_NONBLOCK = getattr(os, "O_NONBLOCK", 0)


def _name(x) -> tuple[int, bytes]:
    """(folder fd, name) for renameat2: a name in an open folder, or a plain path."""
    if isinstance(x, At) and x.folder.fd is not None:
        return x.folder.fd, os.fsencode(x.name)
    return _AT_FDCWD, os.fsencode(x)


def _exchange(src, dst) -> bool:
    """Swap the names `src` and `dst` (names in one open folder, or paths) atomically
    (Linux `renameat2(RENAME_EXCHANGE)`); False, with nothing done, where the OS or the
    file system cannot."""
    exchange = _exchanger()
    if exchange is None:
        return False
    if exchange(*_name(src), *_name(dst), _RENAME_EXCHANGE) == 0:
        return True
    exc = libc_error(dst)
    if exc.errno in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP, errno.EPERM):
        return False  # not on this file system (FAT, NFS, some FUSE), or not in this kernel
    raise exc


def _swap_in(src: At, dst: At) -> bool:
    """Put `src` in place of `dst` (names in one folder) in one atomic step. Returns True
    if the names were exchanged, so that `src` now names the file that was at `dst` (and
    the caller can see what it replaced); False after a plain rename."""
    if _exchange(src, dst):
        return True
    src.folder.replace(src.name, dst.name)
    return False


def _link_in(src: At, dst: At) -> None:
    """Publish a new file: a hard link, which fails if the name exists."""
    src.folder.link(src.name, dst.name)


# Seams for tests: the link that publishes a new file, the rename that publishes a change
# (a stand-in returning None is taken as a plain rename). They get `At` names, which
# `os.fspath` turns into paths.
_link = _link_in
_replace = _swap_in
_REPLACE_TRIES = 5
_REPLACE_DELAY = 0.05


# --- reading and writing files ---------------------------------------------------------

def safe_write(vault: Path, rel: str, data: bytes, expect: FileState | None, *,
               folders: Folders | None = None) -> FileState:
    """Write `data` to the vault-relative path `rel` atomically; return the new state.

    `expect=None` creates a new file and never replaces one: WriteConflict if the name is
    taken (also by a dangling symlink or an iCloud placeholder `.name.icloud`). Otherwise
    the file is replaced only if it is still `expect` (size, mtime_ns, sha256), checked
    just before the rename: WriteConflict if not, and the user's bytes stay as they are.
    A symlinked note is written at its target if that is inside the vault.

    Every operation goes through the note's open folder (`folders.Folders`): a folder
    swapped for a symlink or moved away during the write makes it a WriteConflict,
    never a write elsewhere. With `folders` (one pass's), the folder's fsync is left to
    `folders.flush()` at the end of the pass; without, it is made here.

    Raises UnsafePath for a path that is absolute, holds NUL or `..`, or resolves outside
    the vault, for a file that is not a regular file, and for a file with more than one
    hard link (the other link may be outside the vault and would silently keep the old
    text). Raises PermissionError for a read-only note, OSError for other I/O failures;
    no temporary file is left behind either way.
    """
    check_rel(rel)
    if folders is None:
        with Folders(vault) as own:
            return safe_write(vault, rel, data, expect, folders=own)
    at = locate(folders, rel, create=expect is None)
    if expect is None:
        return _create(folders, at, rel, data)
    return _replace_existing(folders, at, rel, data, expect)


def locate(folders: Folders, rel: str, create: bool) -> At:
    """The note `rel` in its open folder, for a write: what cannot be reached becomes the
    error `safe_write` raises for it."""
    try:
        return folders.locate(rel, create=create)
    except PermissionError as exc:
        raise FolderRefused(exc.errno, exc.strerror, rel) from None
    except NotInVault as exc:
        raise UnsafePath(f"{exc.strerror}: not written", path=rel) from None
    except FileNotFoundError:
        raise WriteConflict("was deleted since it was read; not written", path=rel) from None


def check_rel(rel: str) -> None:
    """UnsafePath unless `rel` is a plain vault-relative path to a file."""
    if not rel or "\x00" in rel:
        raise UnsafePath(f"empty path or NUL byte in path {rel!r} — not written")
    pure = PurePosixPath(rel)
    if pure.is_absolute() or Path(rel).is_absolute() or Path(rel).drive:
        raise UnsafePath("absolute path — vaultkit writes only vault-relative paths", path=rel)
    if any(part in ("", ".", "..") for part in rel.split("/")):
        raise UnsafePath("not a plain path to a file inside the vault — not written", path=rel)


def _lexists(folder, name: str) -> bool:
    try:
        folder.lstat(name)
    except FileNotFoundError:
        return False
    return True


def _create(folders: Folders, at: At, rel: str, data: bytes) -> FileState:
    folder = at.folder
    if _lexists(folder, at.name):
        raise _exists(rel)
    if _lexists(folder, f".{at.name}.icloud"):
        raise WriteConflict("an iCloud placeholder for this note exists (not downloaded "
                            "yet) — not created beside it", path=rel)
    fd, tmp = _open_temp(folder, 0o666)  # the umask applies, as for any new file
    try:
        try:
            write_all(fd, data)
            os.fsync(fd)
            st = os.fstat(fd)
        finally:
            os.close(fd)
        folders.check(folder, rel)
        try:
            _link(tmp, at)  # atomic, and fails if the name exists
        except FileExistsError:
            raise _exists(rel) from None
        except OSError as exc:  # no hard links here (FAT, some network drives)
            log.debug("hard link failed for %s (%s); creating with O_EXCL", rel, exc)
            st = _create_excl(folders, at, rel, data)
    finally:
        unlink_quietly(tmp)
    folders.touched[folder.rel] = folder
    return FileState(st.st_size, st.st_mtime_ns, sha256_hex(data))


def _exists(rel: str) -> WriteConflict:
    return WriteConflict("already exists — vaultkit never overwrites a note it creates", path=rel)


def _create_excl(folders: Folders, at: At, rel: str, data: bytes) -> os.stat_result:
    folders.check(at.folder, rel)
    try:
        fd = at.folder.open(at.name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    except FileExistsError:
        raise _exists(rel) from None
    try:
        write_all(fd, data)
        os.fsync(fd)
        st = os.fstat(fd)
    except BaseException:
        os.close(fd)
        unlink_quietly(at)  # ours, and partial
        raise
    os.close(fd)
    return st


def _replace_existing(folders: Folders, at: At, rel: str, data: bytes, expect: FileState) -> FileState:
    fd, tmp, written = write_temp(at, rel, data, expect)
    try:
        os.fsync(fd)
    except BaseException:
        unlink_quietly(tmp)
        raise
    finally:
        os.close(fd)
    put_in_place(folders, at, rel, expect, tmp, written)
    return written


def write_temp(at: At, rel: str, data: bytes, expect: FileState) -> tuple[int, At, FileState]:
    """Check that the note at `at` may be replaced and is still `expect` by its stat, and
    write `data` to a temporary file beside it, with the note's mode: (the temporary
    file's fd, still open and not yet synced; its name; the state it holds)."""
    folder = at.folder
    try:
        st = folder.lstat(at.name)
    except FileNotFoundError:
        raise WriteConflict("was deleted since it was read; not written", path=rel) from None
    if stat.S_ISLNK(st.st_mode):  # became a symlink since `locate` looked
        raise WriteConflict("changed on disk since it was read; not written", path=rel)
    if not stat.S_ISREG(st.st_mode):
        raise UnsafePath("not a regular file — not written", path=rel)
    if st.st_nlink > 1:
        raise UnsafePath(f"has {st.st_nlink} hard links; replacing it would split them and "
                         "leave the other names with the old text — make it a plain file "
                         "or a symlink", path=rel)
    # By mode, not os.access: a note the user made read-only stays so even for root.
    if not st.st_mode & 0o222 or not folder.writable(at.name):
        raise PermissionError(errno.EACCES, "read-only; vaultkit leaves it alone", rel)
    if (st.st_size, st.st_mtime_ns) != (expect.size, expect.mtime_ns):
        raise WriteConflict("changed on disk since it was read; not written", path=rel)
    fd, tmp = _open_temp(folder, 0o600)  # the user's mode is set before anyone can read
    try:
        write_all(fd, data)
        os.fchmod(fd, stat.S_IMODE(st.st_mode)) if hasattr(os, "fchmod") else os.chmod(tmp, stat.S_IMODE(st.st_mode))
        new = os.fstat(fd)
    except BaseException:
        os.close(fd)
        unlink_quietly(tmp)
        raise
    return fd, tmp, FileState(new.st_size, new.st_mtime_ns, sha256_hex(data))


def put_in_place(folders: Folders, at: At, rel: str, expect: FileState, tmp: At, written: FileState,
                 later: list[Swapped] | None = None) -> None:
    """Publish the (synced) temporary file `tmp` in place of the note at `at` if it is still
    `expect` (see `_publish`); the temporary file is gone either way, unless `later` takes
    the second look after an exchange (see `_verify_swap`)."""
    ours: _Pinned | None = None
    waiting = len(later) if later is not None else 0
    try:
        folders.check(at.folder, rel)
        if _exchanger() is not None:  # where names are exchanged, know our file by its inode
            ours = _Pinned.open(tmp, written)
        _publish(folders, tmp, at, rel, expect, ours, later)
    except BaseException:
        # After an exchange tmp may name a file of the user's: remove only our own.
        if ours is None or ours.is_at(tmp) or not _lexists(at.folder, tmp.name):
            unlink_quietly(tmp)
        raise
    finally:
        if ours is not None and (later is None or len(later) == waiting):
            ours.close()  # (else `later` holds it)
    folders.touched[at.folder.rel] = at.folder


class _Pinned:
    """A file held open (so that its inode number cannot be reused) with the state it had:
    tells whether a name still points at it, unchanged."""

    def __init__(self, fd: int, state: FileState | None):
        self.fd = fd
        st = os.fstat(fd)
        self.id = (st.st_dev, st.st_ino)
        self.state = state

    @classmethod
    def open(cls, at: At, state: FileState | None = None) -> _Pinned:
        fd = at.folder.open(at.name, os.O_RDONLY | _O_NONBLOCK)
        try:
            return cls(fd, _state_of(fd) if state is None else state)
        except BaseException:
            os.close(fd)
            raise

    def is_at(self, at: At) -> bool:
        """Does `at` name this file?"""
        try:
            st = at.folder.lstat(at.name)
        except OSError:
            return False
        return (st.st_dev, st.st_ino) == self.id

    def unchanged_at(self, at: At) -> bool:
        """Does `at` name this file, with the content it had?"""
        return self.is_at(at) and self.state is not None and _state_of(self.fd) == self.state

    def close(self) -> None:
        os.close(self.fd)


def _publish(folders: Folders, tmp: At, real: At, rel: str, expect: FileState, ours: _Pinned | None,
             later: list[Swapped] | None = None) -> None:
    """Check the file is still `expect` and its folder still where it was, then put `tmp`
    in its place; retry a transient failure (an indexer or antivirus holding the file on
    Windows), re-checking each time.

    Where names can be exchanged atomically (Linux), the check is made again on the very
    file that was replaced: a save made between the check and the exchange (by an
    editor's rename, or written in place) is detected and given back, so that no edit is
    lost in that window either. Elsewhere the window stays (microseconds).
    """
    delay = _REPLACE_DELAY
    for attempt in range(1, _REPLACE_TRIES + 1):
        try:
            fd = real.folder.open(real.name, os.O_RDONLY | _O_NONBLOCK)
        except FileNotFoundError:
            raise WriteConflict("was deleted since it was read; not written", path=rel) from None
        except OSError as exc:
            if exc.errno == errno.ELOOP:  # replaced by a symlink since it was read
                raise WriteConflict("changed on disk since it was read; not written", path=rel) from None
            raise
        try:
            if _state_of(fd) != expect:
                raise WriteConflict("changed on disk since it was read; not written", path=rel)
            checked = _Pinned(fd, expect)
            folders.check(real.folder, rel)
            try:
                swapped = _replace(tmp, real)
            except FileNotFoundError:
                raise WriteConflict("was deleted since it was read; not written", path=rel) from None
            except OSError as exc:
                if attempt == _REPLACE_TRIES or not _transient(exc):
                    raise
                log.debug("replacing %s failed (%s); retrying in %.0f ms", rel, exc, delay * 1000)
                time.sleep(delay)
                delay *= 2
                continue
            if swapped and ours is not None:
                _verify_swap(tmp, real, rel, checked, ours, later)
            elif swapped:  # cannot happen: exchanges are used only where ours is pinned
                unlink_quietly(tmp)
            return
        finally:
            os.close(fd)


class Swapped:
    """An exchange made by a batch, whose second look waits for the batch's sync."""

    def __init__(self, tmp: At, real: At, rel: str, checked: _Pinned, ours: _Pinned):
        self.tmp, self.real, self.rel, self.checked, self.ours = tmp, real, rel, checked, ours

    def settle(self) -> None:
        """The second look of `_verify_swap`, the exchange now durable."""
        checked = self.checked
        try:
            if checked.unchanged_at(self.tmp):
                unlink_quietly(self.tmp)  # the old note; ours is in place
                # Its last close frees it: nothing waits for that (see closing.py).
                close_later(checked.fd)
                checked = None
                return
            try:
                _give_back(self.tmp, self.real, self.rel, self.ours)
            except BaseException:
                if self.ours.is_at(self.tmp) or not _lexists(self.tmp.folder, self.tmp.name):
                    unlink_quietly(self.tmp)
                raise
        finally:
            if checked is not None:
                checked.close()
            self.ours.close()


def _state_of(fd: int) -> FileState | None:
    """The state of the open file `fd` (read from its start), or None if it is not a
    regular file or changed while being read."""
    try:
        data, after = read_whole(fd, f"fd {fd}")
    except OSError as exc:
        if exc.errno == errno.EINVAL:
            return None
        raise
    return None if data is None else FileState(after.st_size, after.st_mtime_ns, sha256_hex(data))


def _verify_swap(tmp: At, real: At, rel: str, checked: _Pinned, ours: _Pinned,
                 later: list[Swapped] | None = None) -> None:
    """After an exchange, `tmp` names what was at `real`. If that is the file we checked,
    unchanged, remove it: done. Else the user saved in between: swap back and raise
    WriteConflict, never removing a save of theirs that a newer one does not replace.

    With `later` (a batch), the second look after the exchange is made durable is left to
    the batch: it makes all its exchanges durable at once, then looks at each again."""
    if checked.unchanged_at(tmp):
        if later is not None:
            later.append(Swapped(tmp, real, rel, _Pinned(os.dup(checked.fd), checked.state), ours))
            return
        # Make the exchange durable, then look once more: a save in place that opened the
        # note just before the exchange may land in the old file only now.
        real.folder.fsync()
        if checked.unchanged_at(tmp):
            unlink_quietly(tmp)  # the old note; ours is in place
            return
    _give_back(tmp, real, rel, ours)


def _give_back(tmp: At, real: At, rel: str, ours: _Pinned) -> None:
    # The user's save is at tmp: give it back. Then tmp names ours, which the caller
    # removes — unless they saved again after our exchange (over ours, or into it): that
    # save is newer, so it goes to `real` too, and what comes out is the save it replaces.
    # If yet another save came in meanwhile, that one is kept beside the note as a
    # conflict copy (`doctor` reports it): nothing of the user's is removed unless a newer
    # save of theirs replaced it.
    try:
        theirs = _Pinned.open(tmp)
    except OSError:
        theirs = None
    try:
        if _exchange(tmp, real) and not ours.unchanged_at(tmp) and _exchange(tmp, real):
            if theirs is not None and theirs.unchanged_at(tmp):
                unlink_quietly(tmp)
            elif not ours.unchanged_at(tmp):
                _keep_as_conflict_copy(tmp, real, rel)
    finally:
        if theirs is not None:
            theirs.close()
    log.info("%s was saved while vaultkit wrote it; the saved version is kept", rel)
    raise WriteConflict("changed on disk while being written; the version on disk is kept",
                        path=rel)


def _keep_as_conflict_copy(tmp: At, real: At, rel: str) -> None:
    """Move the file at `tmp` beside `real` under a name in Syncthing's conflict-copy
    form, so that nothing removes it: it holds one of the user's saves."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    stem, dot, suffix = real.name.rpartition(".")
    stem, suffix = (stem, dot + suffix) if stem else (real.name, "")
    folder = real.folder
    for n in range(1, 100):
        copy = f"{stem}.sync-conflict-{stamp}-vaultkit{n}{suffix}"
        if _lexists(folder, copy):
            continue
        try:
            folder.rename(tmp.name, copy)
        except OSError as exc:
            log.error("%s: a save made while vaultkit wrote it is in %s; move it somewhere "
                      "safe (%s)", rel, os.fspath(tmp), exc)
            raise
        log.warning("%s: saved several times while vaultkit wrote it; one of those saves is "
                    "kept as %s — compare the two", rel, copy)
        return


def _transient(exc: OSError) -> bool:
    if isinstance(exc, PermissionError):
        return True
    # Windows: sharing / lock violation.
    return exc.errno in (errno.EBUSY, errno.EAGAIN) or getattr(exc, "winerror", None) in (32, 33)


def _open_temp(folder, mode: int) -> tuple[int, At]:
    """A new temporary file in the open `folder` whose name starts with TEMP_PREFIX."""
    for _ in range(100):
        name = f"{TEMP_PREFIX}{os.urandom(8).hex()}"
        try:
            fd = folder.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
        except FileExistsError:
            continue
        except PermissionError as exc:
            raise FolderRefused(exc.errno, exc.strerror, folder.path) from None
        return fd, At(folder, name)
    raise FileExistsError(errno.EEXIST, "no free temporary file name", folder.path)


def unlink_quietly(at: At) -> None:
    """Remove a name through its open folder (the folder may have moved meanwhile)."""
    try:
        at.folder.unlink(at.name)
    except FileNotFoundError:
        pass
    except OSError as exc:
        log.warning("could not remove %s: %s", os.fspath(at), exc)
