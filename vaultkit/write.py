"""Managed blocks and the one safe-write path (SPEC §4.1, §6; RELIABILITY 20-26).

Everything vaultkit writes into a vault goes through `safe_write`: a temporary file in the
same folder, fsync, then an atomic link (new note) or replace (existing note) that happens
only if the file is still exactly what was read — on Linux checked once more, on the file
replaced, after an atomic exchange of names. `VaultLock` keeps to one writer a vault.
Standard library only (ctypes for `renameat2`).
"""

from __future__ import annotations

import codecs
import ctypes
import errno
import hashlib
import json
import logging
import os
import re
import secrets
import socket
import stat
import sys
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path, PurePosixPath

from .errors import LockError, MarkerError, UnsafePath, WriteConflict
from .model import FileState

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None  # type: ignore[assignment]

_AT_FDCWD = -100
_RENAME_EXCHANGE = 2
_renameat2 = None
if sys.platform.startswith("linux"):
    try:
        _renameat2 = ctypes.CDLL(None, use_errno=True).renameat2  # glibc >= 2.28, musl
        _renameat2.argtypes = (ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p,
                               ctypes.c_uint)
        _renameat2.restype = ctypes.c_int
    except (OSError, AttributeError):
        _renameat2 = None

log = logging.getLogger(__name__)

TEMP_PREFIX = ".vaultkit-tmp-"
LOCK_FILE = ".vaultkit/lock"

_BOM = codecs.BOM_UTF8
_O_BINARY = getattr(os, "O_BINARY", 0)
_O_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_O_NONBLOCK = getattr(os, "O_NONBLOCK", 0)



def _exchange(src: Path, dst: Path) -> bool:
    """Swap the names `src` and `dst` atomically (Linux `renameat2(RENAME_EXCHANGE)`);
    False, with nothing done, where the OS or the file system cannot."""
    if _renameat2 is None:
        return False
    if _renameat2(_AT_FDCWD, os.fsencode(src), _AT_FDCWD, os.fsencode(dst), _RENAME_EXCHANGE) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP, errno.EPERM):
        return False  # not on this file system (FAT, NFS, some FUSE), or not in this kernel
    raise OSError(err, os.strerror(err), str(dst))


def _swap_in(src: Path, dst: Path) -> bool:
    """Put `src` in place of `dst` in one atomic step. Returns True if the names were
    exchanged, so that `src` now names the file that was at `dst` (and the caller can see
    what it replaced); False after a plain `os.replace`."""
    if _exchange(src, dst):
        return True
    os.replace(src, dst)
    return False


# Seams for tests: the link that publishes a new file, the rename that publishes a change
# (a stand-in returning None is taken as a plain rename).
_link = os.link
_replace = _swap_in
_REPLACE_TRIES = 5
_REPLACE_DELAY = 0.05
_READ_TRIES = 5
_LOCK_POLL = 0.05
# In the O_EXCL fallback, an unreadable lock file older than this was left by a crash
# between creating and filling it.
_EMPTY_LOCK_STALE = 10.0


# --- text -----------------------------------------------------------------------------

def decode(data: bytes) -> tuple[str, bool]:
    """The text of a note and whether it began with a UTF-8 BOM (which is not in the text).

    Raises UnicodeDecodeError for bytes that are not UTF-8.
    """
    if data.startswith(_BOM):
        return data[len(_BOM):].decode("utf-8"), True
    return data.decode("utf-8"), False


def encode(text: str, bom: bool) -> bytes:
    """The bytes of a note: UTF-8, with the BOM back in front if it had one."""
    return (_BOM if bom else b"") + text.encode("utf-8")


def uses_crlf(text: str) -> bool:
    """True if most of the note's line endings are CRLF (a tie goes to the first one)."""
    lf = text.count("\n")
    crlf = text.count("\r\n")
    if crlf * 2 != lf:
        return crlf * 2 > lf
    first = text.find("\n")
    return first > 0 and text[first - 1] == "\r"


# --- managed blocks --------------------------------------------------------------------

_NAME = re.compile(r"[\w.-]+")
_MARKER = re.compile(r"<!--[ \t]+vaultkit:(begin|end)[ \t]+([\w.-]+)[ \t]+-->")
# What looks like an attempt at a marker; if it is not a well-formed one it is an error,
# never silently ignored (ignoring a broken end would append a second block next pass).
_MARKERISH = re.compile(r" {0,3}<!--\s*vaultkit:(?:begin|end)\b")
_FENCE_OPEN = re.compile(r" {0,3}(`{3,}|~{3,})(.*)")
_FENCE_CLOSE = re.compile(r" {0,3}(`{3,}|~{3,})[ \t]*")


@dataclass(slots=True)
class _Scan:
    """Markers found in a text. `blocks` is meaningful only when `problem` is None."""

    pairs: list[tuple[str, int, int]] = field(default_factory=list)
    blocks: dict[str, tuple[int, int]] = field(default_factory=dict)
    problem: MarkerError | None = None
    open_fence: int | None = None


def scan_markers(text: str, fences: bool = False) -> _Scan:
    """Every marker of every name, outside fenced code. `fences=True` also reports a
    code fence left open at the end (needed only before appending a block)."""
    result = _Scan()
    if not fences and "vaultkit:" not in text:
        return result

    def fail(message: str, line: int) -> None:
        if result.problem is None:
            result.problem = MarkerError(message, line=line)

    fence: tuple[str, int, int] | None = None  # char, length, line
    open_block: tuple[str, int, int] | None = None  # name, line, inner start
    last_begin: tuple[str, int] | None = None  # the previous marker, if it was a begin
    first_line: dict[str, int] = {}
    lineno, counted = 1, 0
    for start in _candidate_lines(text):
        lineno += text.count("\n", counted, start)
        counted = start
        nl = text.find("\n", start)
        pos = len(text) if nl < 0 else nl + 1
        line = text[start:pos].rstrip("\r\n")
        if fence is not None:
            m = _FENCE_CLOSE.fullmatch(line)
            if m and m[1][0] == fence[0] and len(m[1]) >= fence[1]:
                fence = None
            continue
        m = _FENCE_OPEN.fullmatch(line)
        if m and not (m[1][0] == "`" and "`" in m[2]):
            fence = (m[1][0], len(m[1]), lineno)
            continue
        if "vaultkit:" not in line:
            continue
        m = _MARKER.fullmatch(line.rstrip(" \t\r"))
        if m is None:
            if _MARKERISH.match(line):
                fail("malformed vaultkit marker — a marker is a line of its own: "
                     "`<!-- vaultkit:begin NAME -->` or `<!-- vaultkit:end NAME -->`", lineno)
            continue
        kind, name = m[1], sys.intern(m[2])  # a key of every record's `blocks`
        if kind == "begin":
            last_begin = (name, pos)
            if open_block is not None:
                fail(f"begin marker of block '{name}' inside block '{open_block[0]}' (begun at "
                     f"line {open_block[1]}) — blocks cannot be nested; remove one", lineno)
            elif name in first_line:
                fail(f"second block '{name}' (the first begins at line {first_line[name]}) — "
                     "remove one of them", lineno)
            else:
                open_block = (name, lineno, pos)
            first_line.setdefault(name, lineno)
            continue
        if last_begin is not None and last_begin[0] == name:
            result.pairs.append((name, last_begin[1], start))
        last_begin = None
        if open_block is None:
            fail(f"end marker of block '{name}' has no begin marker — remove it or add "
                 f"`<!-- vaultkit:begin {name} -->` above it", lineno)
        elif open_block[0] != name:
            fail(f"end marker of block '{name}' while block '{open_block[0]}' (begun at line "
                 f"{open_block[1]}) is open — each begin needs the end of the same name", lineno)
        else:
            result.blocks[name] = (open_block[2], start)
            open_block = None
    if open_block is not None:
        hint = (f" (a code fence opened at line {fence[2]} is never closed)"
                if fence is not None else "")
        fail(f"begin marker of block '{open_block[0]}' has no end marker{hint} — add "
             f"`<!-- vaultkit:end {open_block[0]} -->` or remove the begin marker", open_block[1])
    if fence is not None:
        result.open_fence = fence[2]
    return result


def _candidate_lines(text: str) -> list[int]:
    """Start offsets of the lines that can be a marker or a fence, in order: only these
    change the scan's state, and finding them with str.find keeps long notes cheap."""
    starts = set()
    for needle in ("vaultkit:", "```", "~~~"):
        i = text.find(needle)
        while i >= 0:
            starts.add(text.rfind("\n", 0, i) + 1)
            nl = text.find("\n", i)
            i = -1 if nl < 0 else text.find(needle, nl + 1)
    return sorted(starts)


def check_markers(text: str) -> None:
    """Raise MarkerError (with `line`) for the first broken marker of any block name."""
    problem = scan_markers(text).problem
    if problem is not None:
        raise problem


def find_block(text: str, name: str) -> tuple[int, int] | None:
    """The span of block `name`'s inner text, or None if the note has no such block.

    The inner text runs from just after the begin line's newline to the start of the end
    line. Raises MarkerError if any marker in the note is broken: the note is then left
    alone, whichever block was asked for.
    """
    scan = scan_markers(text)
    if scan.problem is not None:
        raise scan.problem
    return scan.blocks.get(name)


def block_inner(text: str, name: str) -> str | None:
    """The inner text of block `name` as it is in the note (CRLF kept), or None."""
    span = find_block(text, name)
    return None if span is None else text[span[0]:span[1]]


def block_spans(text: str) -> list[tuple[str, int, int]]:
    """(name, start, end) of the inner text of every begin/end pair of one name with no
    marker between them. Never raises, so a reader can skip generated text even in a note
    whose other markers are broken; use `check_markers` before writing."""
    return scan_markers(text).pairs


def set_block(text: str, name: str, inner: str) -> str:
    """The note's text with block `name` holding `inner`; only that block's inner changes.

    `inner` has `\\n` line endings and ends with `\\n` (one is added if missing) or is
    empty; it is converted to CRLF for a CRLF note. With no such block, one is appended
    and `text` stays a prefix of the result. Raises MarkerError for broken markers in the
    note, or for an `inner` that holds a marker line or an unclosed code fence.
    """
    if not _NAME.fullmatch(name):
        raise ValueError(f"not a block name: {name!r}")
    inner = inner.replace("\r\n", "\n")
    if inner and not inner.endswith("\n"):
        inner += "\n"
    own = scan_markers(inner, fences=True)
    if own.problem is not None or own.pairs:
        raise MarkerError(f"the new text of block '{name}' contains a vaultkit marker line; "
                          "not written")
    if own.open_fence is not None:
        raise MarkerError(f"the new text of block '{name}' opens a code fence (its line "
                          f"{own.open_fence}) and never closes it; not written")
    eol = "\r\n" if uses_crlf(text) else "\n"
    if eol != "\n":
        inner = inner.replace("\n", eol)

    scan = scan_markers(text, fences=True)
    if scan.problem is not None:
        raise scan.problem
    span = scan.blocks.get(name)
    if span is not None:
        new = text[:span[0]] + inner + text[span[1]:]
        want = (span[0], span[0] + len(inner))
    else:
        if scan.open_fence is not None:
            raise MarkerError(f"a code fence opened at line {scan.open_fence} is never closed, "
                              f"so block '{name}' cannot be appended after it — close the fence",
                              line=scan.open_fence)
        head = text
        if head and not head.endswith("\n"):
            head += eol
        if head and not _ends_with_blank_line(head):
            head += eol
        begin = f"<!-- vaultkit:begin {name} -->{eol}"
        new = f"{head}{begin}{inner}<!-- vaultkit:end {name} -->{eol}"
        want = (len(head) + len(begin), len(head) + len(begin) + len(inner))
    if find_block(new, name) != want:  # cannot happen; never write what we cannot read back
        raise MarkerError(f"block '{name}' would not read back after writing; not written")
    return new


def _ends_with_blank_line(head: str) -> bool:
    """`head` ends with a newline; is its last line blank?"""
    last = head[head.rfind("\n", 0, len(head) - 1) + 1:]
    return last.strip() == ""


# --- reading and writing files ---------------------------------------------------------

def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def file_state(path: Path, data: bytes | None = None) -> FileState:
    """The state of the file at `path`; `data` is its content if the caller has it."""
    if data is None:
        return read_with_state(path)[1]
    st = os.stat(path)
    return FileState(st.st_size, st.st_mtime_ns, _sha256(data))


def _read_whole(fd: int, name: str) -> tuple[bytes | None, os.stat_result]:
    """Everything in the open file `fd` (from its start, whatever its offset) and its stat
    after the read; the bytes are None if the file changed while being read (size or
    mtime differ before and after). OSError(EINVAL), unread, if it is not a regular file
    (a FIFO, a device). Bare system calls: every note of a cold sync is read here."""
    before = os.fstat(fd)
    if not stat.S_ISREG(before.st_mode):
        raise OSError(errno.EINVAL, "not a regular file", name)
    size = before.st_size
    data = os.pread(fd, size, 0) if size else b""
    if 0 < len(data) < size:  # a short read: go on to the end (or the expected size)
        chunks = [data]
        got = len(data)
        while got < size:
            chunk = os.pread(fd, size - got, got)
            if not chunk:
                break
            chunks.append(chunk)
            got += len(chunk)
        data = b"".join(chunks)
    after = os.fstat(fd)
    if (before.st_size, before.st_mtime_ns) != (after.st_size, after.st_mtime_ns) or len(data) != after.st_size:
        return None, after
    return data, after


def read_settled(path: str | Path) -> tuple[bytes, int, int]:
    """(bytes, size, mtime_ns) of the file at `path`, read again while it changes under the
    read; OSError(EAGAIN) if it never settles, OSError(EINVAL) for a non-regular file."""
    for attempt in range(_READ_TRIES):
        fd = os.open(path, os.O_RDONLY | _O_BINARY | _O_NONBLOCK)
        try:
            data, after = _read_whole(fd, str(path))
        finally:
            os.close(fd)
        if data is not None:
            return data, after.st_size, after.st_mtime_ns
        log.debug("%s changed while being read; reading again", path)
        time.sleep(0.02 * (attempt + 1))
    raise OSError(errno.EAGAIN, "kept changing while being read; skipped until it settles", str(path))


def read_with_state(path: str | Path) -> tuple[bytes, FileState]:
    """The bytes of a file and the state they were read in (`read_settled`, plus the hash
    that `safe_write` checks before replacing the file)."""
    data, size, mtime_ns = read_settled(path)
    return data, FileState(size, mtime_ns, _sha256(data))


def safe_write(vault: Path, rel: str, data: bytes, expect: FileState | None) -> FileState:
    """Write `data` to the vault-relative path `rel` atomically; return the new state.

    `expect=None` creates a new file and never replaces one: WriteConflict if the name is
    taken (also by a dangling symlink or an iCloud placeholder `.name.icloud`). Otherwise
    the file is replaced only if it is still `expect` (size, mtime_ns, sha256), checked
    just before the rename: WriteConflict if not, and the user's bytes stay as they are.
    A symlinked note is written at its target if that is inside the vault.

    Raises UnsafePath for a path that is absolute, holds NUL or `..`, or resolves outside
    the vault, for a file that is not a regular file, and for a file with more than one
    hard link (the other link may be outside the vault and would silently keep the old
    text). Raises PermissionError for a read-only note, OSError for other I/O failures;
    no temporary file is left behind either way.
    """
    root, real = _target(vault, rel)
    if expect is None:
        return _create(root, real, rel, data)
    return _replace_existing(real, rel, data, expect)


def _target(vault: Path, rel: str) -> tuple[Path, Path]:
    """(the resolved vault, the resolved path to write) or UnsafePath."""
    if not rel or "\x00" in rel:
        raise UnsafePath(f"empty path or NUL byte in path {rel!r} — not written")
    pure = PurePosixPath(rel)
    if pure.is_absolute() or Path(rel).is_absolute() or Path(rel).drive:
        raise UnsafePath("absolute path — vaultkit writes only vault-relative paths", path=rel)
    if ".." in pure.parts or rel.endswith("/") or pure.name in ("", "."):
        raise UnsafePath("not a plain path to a file inside the vault — not written", path=rel)
    root = Path(vault).resolve(strict=True)
    try:
        real = root.joinpath(*pure.parts).resolve()
    except (OSError, RuntimeError) as exc:  # a symlink loop
        raise UnsafePath(f"cannot resolve: {exc}", path=rel) from exc
    if real == root or not real.is_relative_to(root):
        raise UnsafePath(f"resolves to {real}, outside the vault — not written", path=rel)
    return root, real


def _create(root: Path, real: Path, rel: str, data: bytes) -> FileState:
    folder = real.parent
    folder.mkdir(parents=True, exist_ok=True)
    if folder.resolve(strict=True) != folder:  # a symlink appeared while we made folders
        raise UnsafePath("its folder changed into a symlink while being created", path=rel)
    if os.path.lexists(real) or os.path.lexists(root.joinpath(*PurePosixPath(rel).parts)):
        raise _exists(rel)
    if os.path.lexists(folder / f".{real.name}.icloud"):
        raise WriteConflict("an iCloud placeholder for this note exists (not downloaded "
                            "yet) — not created beside it", path=rel)
    fd, tmp = _open_temp(folder, 0o666)  # the umask applies, as for any new file
    try:
        try:
            _write_all(fd, data)
            os.fsync(fd)
            st = os.fstat(fd)
        finally:
            os.close(fd)
        try:
            _link(tmp, real)  # atomic, and fails if the name exists
        except FileExistsError:
            raise _exists(rel) from None
        except OSError as exc:  # no hard links here (FAT, some network drives)
            log.debug("hard link failed for %s (%s); creating with O_EXCL", rel, exc)
            st = _create_excl(real, rel, data)
    finally:
        _unlink_quietly(tmp)
    _fsync_dir(folder)
    return FileState(st.st_size, st.st_mtime_ns, _sha256(data))


def _exists(rel: str) -> WriteConflict:
    return WriteConflict("already exists — vaultkit never overwrites a note it creates", path=rel)


def _create_excl(real: Path, rel: str, data: bytes) -> os.stat_result:
    try:
        fd = os.open(real, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _O_BINARY, 0o666)
    except FileExistsError:
        raise _exists(rel) from None
    try:
        _write_all(fd, data)
        os.fsync(fd)
        st = os.fstat(fd)
    except BaseException:
        os.close(fd)
        _unlink_quietly(real)  # ours, and partial
        raise
    os.close(fd)
    return st


def _replace_existing(real: Path, rel: str, data: bytes, expect: FileState) -> FileState:
    try:
        st = os.stat(real)
    except FileNotFoundError:
        raise WriteConflict("was deleted since it was read; not written", path=rel) from None
    if not stat.S_ISREG(st.st_mode):
        raise UnsafePath("not a regular file — not written", path=rel)
    if st.st_nlink > 1:
        raise UnsafePath(f"has {st.st_nlink} hard links; replacing it would split them and "
                         "leave the other names with the old text — make it a plain file "
                         "or a symlink", path=rel)
    # By mode, not os.access: a note the user made read-only stays so even for root.
    if not st.st_mode & 0o222 or not os.access(real, os.W_OK):
        raise PermissionError(errno.EACCES, "read-only; vaultkit leaves it alone", rel)
    if (st.st_size, st.st_mtime_ns) != (expect.size, expect.mtime_ns):
        raise WriteConflict("changed on disk since it was read; not written", path=rel)
    fd, tmp = _open_temp(real.parent, 0o600)  # the user's mode is set before anyone can read
    ours: _Pinned | None = None
    try:
        try:
            _write_all(fd, data)
            os.chmod(tmp, stat.S_IMODE(st.st_mode))
            os.fsync(fd)
            new = os.fstat(fd)
        finally:
            os.close(fd)
        written = FileState(new.st_size, new.st_mtime_ns, _sha256(data))
        if _renameat2 is not None:  # where names are exchanged, know our file by its inode
            ours = _Pinned.open(tmp, written)
        _publish(tmp, real, rel, expect, ours)
    except BaseException:
        # After an exchange tmp may name a file of the user's: remove only our own.
        if ours is None or ours.is_at(tmp) or not os.path.lexists(tmp):
            _unlink_quietly(tmp)
        raise
    finally:
        if ours is not None:
            ours.close()
    _fsync_dir(real.parent)
    return written


class _Pinned:
    """A file held open (so that its inode number cannot be reused) with the state it had:
    tells whether a name still points at it, unchanged."""

    def __init__(self, fd: int, state: FileState | None):
        self.fd = fd
        st = os.fstat(fd)
        self.id = (st.st_dev, st.st_ino)
        self.state = state

    @classmethod
    def open(cls, path: Path, state: FileState | None = None) -> _Pinned:
        fd = os.open(path, os.O_RDONLY | _O_BINARY | _O_NONBLOCK | _O_NOFOLLOW)
        try:
            return cls(fd, _state_of(fd) if state is None else state)
        except BaseException:
            os.close(fd)
            raise

    def is_at(self, path: Path) -> bool:
        """Does `path` name this file?"""
        try:
            st = os.lstat(path)
        except OSError:
            return False
        return (st.st_dev, st.st_ino) == self.id

    def unchanged_at(self, path: Path) -> bool:
        """Does `path` name this file, with the content it had?"""
        return self.is_at(path) and self.state is not None and _state_of(self.fd) == self.state

    def close(self) -> None:
        os.close(self.fd)


def _publish(tmp: Path, real: Path, rel: str, expect: FileState, ours: _Pinned | None) -> None:
    """Check the file is still `expect`, then put `tmp` in its place; retry a transient
    failure (an indexer or antivirus holding the file on Windows), re-checking each time.

    Where names can be exchanged atomically (Linux), the check is made again on the very
    file that was replaced: a save made between the check and the exchange (by an
    editor's rename, or written in place) is detected and given back, so that no edit is
    lost in that window either. Elsewhere the window stays (microseconds).
    """
    delay = _REPLACE_DELAY
    for attempt in range(1, _REPLACE_TRIES + 1):
        try:
            fd = os.open(real, os.O_RDONLY | _O_BINARY | _O_NONBLOCK | _O_NOFOLLOW)
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
                _verify_swap(tmp, real, rel, checked, ours)
            elif swapped:  # cannot happen: exchanges are used only where ours is pinned
                _unlink_quietly(tmp)
            return
        finally:
            os.close(fd)


def _state_of(fd: int) -> FileState | None:
    """The state of the open file `fd` (read from its start), or None if it is not a
    regular file or changed while being read."""
    try:
        data, after = _read_whole(fd, f"fd {fd}")
    except OSError as exc:
        if exc.errno == errno.EINVAL:
            return None
        raise
    return None if data is None else FileState(after.st_size, after.st_mtime_ns, _sha256(data))


def _verify_swap(tmp: Path, real: Path, rel: str, checked: _Pinned, ours: _Pinned) -> None:
    """After an exchange, `tmp` names what was at `real`. If that is the file we checked,
    unchanged, remove it: done. Else the user saved in between: swap back and raise
    WriteConflict, never removing a save of theirs that a newer one does not replace."""
    if checked.unchanged_at(tmp):
        # Make the exchange durable, then look once more: a save in place that opened the
        # note just before the exchange may land in the old file only now.
        _fsync_dir(real.parent)
        if checked.unchanged_at(tmp):
            _unlink_quietly(tmp)  # the old note; ours is in place
            return
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
                _unlink_quietly(tmp)
            elif not ours.unchanged_at(tmp):
                _keep_as_conflict_copy(tmp, real, rel)
    finally:
        if theirs is not None:
            theirs.close()
    log.info("%s was saved while vaultkit wrote it; the saved version is kept", rel)
    raise WriteConflict("changed on disk while being written; the version on disk is kept",
                        path=rel)


def _keep_as_conflict_copy(tmp: Path, real: Path, rel: str) -> None:
    """Move the file at `tmp` beside `real` under a name in Syncthing's conflict-copy
    form, so that nothing removes it: it holds one of the user's saves."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    for n in range(1, 100):
        copy = real.with_name(f"{real.stem}.sync-conflict-{stamp}-vaultkit{n}{real.suffix}")
        if os.path.lexists(copy):
            continue
        try:
            os.rename(tmp, copy)
        except OSError as exc:
            log.error("%s: a save made while vaultkit wrote it is in %s; move it somewhere "
                      "safe (%s)", rel, tmp, exc)
            raise
        log.warning("%s: saved several times while vaultkit wrote it; one of those saves is "
                    "kept as %s — compare the two", rel, copy.name)
        return


def _transient(exc: OSError) -> bool:
    if isinstance(exc, PermissionError):
        return True
    # Windows: sharing / lock violation.
    return exc.errno in (errno.EBUSY, errno.EAGAIN) or getattr(exc, "winerror", None) in (32, 33)


def _open_temp(folder: Path, mode: int) -> tuple[int, Path]:
    """A new temporary file in `folder` whose name starts with TEMP_PREFIX."""
    for _ in range(100):
        tmp = folder / f"{TEMP_PREFIX}{secrets.token_hex(8)}"
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _O_BINARY | _O_NOFOLLOW, mode)
        except FileExistsError:
            continue
        return fd, tmp
    raise FileExistsError(errno.EEXIST, "no free temporary file name", str(folder))


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def _unlink_quietly(path: Path) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
    except OSError as exc:
        log.warning("could not remove %s: %s", path, exc)


def _fsync_dir(folder: Path) -> None:
    """Make a rename durable; a no-op where folders cannot be opened (Windows)."""
    try:
        fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def cleanup_temp_files(vault: Path) -> list[str]:
    """Remove temporary files a crashed write left anywhere in the vault (not in `.git`);
    return their vault-relative paths. Call it holding the VaultLock, so that no write in
    progress loses its temporary file."""
    root = Path(vault)
    removed = []
    for folder, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if d != ".git"]
        for name in files:
            if not name.startswith(TEMP_PREFIX):
                continue
            path = Path(folder, name)
            try:
                if not stat.S_ISREG(os.lstat(path).st_mode):
                    continue
                os.unlink(path)
            except FileNotFoundError:
                continue
            removed.append(path.relative_to(root).as_posix())
    if removed:
        log.info("removed %d leftover temporary file(s): %s", len(removed), ", ".join(removed))
    return sorted(removed)


# --- the lock --------------------------------------------------------------------------

class VaultLock:
    """One vaultkit writer per vault: `with VaultLock(vault, owner="watch"): ...`.

    Holds `flock` on `<vault>/.vaultkit/lock`, which the kernel drops when the process
    dies, so a crash leaves no stale lock. Waits up to `timeout` seconds, then raises
    LockError naming the holder. The file is kept (and emptied) on release: deleting it
    would let a waiter lock the deleted file while a newcomer locks a new one. Without
    fcntl (Windows) the lock is the file itself, created with O_EXCL, and a holder whose
    pid is gone is stale. Not re-entrant.
    """

    def __init__(self, vault: Path, timeout: float = 3.0, owner: str = "sync"):
        self.vault = Path(vault)
        self.path = self.vault / LOCK_FILE
        self.timeout = timeout
        self.owner = owner
        self._fd: int | None = None
        self._info: bytes | None = None

    def __enter__(self) -> VaultLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()

    @property
    def held(self) -> bool:
        return self._info is not None

    def acquire(self) -> None:
        """Take the lock, waiting up to `timeout` seconds; LockError if it stays taken."""
        if self.held:
            raise RuntimeError("VaultLock is not re-entrant")
        info = json.dumps({
            "pid": os.getpid(),
            "owner": self.owner,
            "host": socket.gethostname(),
            "started": datetime.now().astimezone().isoformat(timespec="seconds"),
        }).encode() + b"\n"
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise LockError(f"cannot create {self.path.parent}: {exc.strerror or exc}") from exc
        deadline = time.monotonic() + self.timeout
        if fcntl is not None:
            self._fd = self._acquire_flock(deadline, info)
        else:
            self._acquire_excl(deadline, info)
        self._info = info
        log.debug("locked %s", self.path)

    def release(self) -> None:
        """Let the next writer in. Safe to call when not held."""
        info, self._info = self._info, None
        if info is None:
            return
        if self._fd is not None:
            fd, self._fd = self._fd, None
            try:
                os.ftruncate(fd, 0)
                fcntl.flock(fd, fcntl.LOCK_UN)
            except OSError as exc:
                log.debug("releasing %s: %s", self.path, exc)
            finally:
                os.close(fd)  # releases the lock in any case
            return
        try:
            if self.path.read_bytes() == info:
                os.unlink(self.path)
            else:
                log.warning("%s was taken over by another process; left in place", self.path)
        except FileNotFoundError:
            pass

    def _acquire_flock(self, deadline: float, info: bytes) -> int:
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | _O_NOFOLLOW, 0o644)
        except OSError as exc:
            raise LockError(f"cannot open {self.path}: {exc.strerror or exc}") from exc
        try:
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() >= deadline:
                        raise self._held_error(_read_holder(self.path)) from None
                    time.sleep(_LOCK_POLL)
                except OSError as exc:  # e.g. ENOLCK on a network drive
                    raise LockError(f"cannot lock {self.path}: {exc.strerror or exc}") from exc
            os.ftruncate(fd, 0)
            os.pwrite(fd, info, 0)
        except BaseException:
            os.close(fd)
            raise
        return fd

    def _acquire_excl(self, deadline: float, info: bytes) -> None:
        while True:
            try:
                fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _O_BINARY, 0o644)
            except FileExistsError:
                holder = _read_holder(self.path)
                if self._stale(holder):
                    log.warning("removing the stale lock %s of %s", self.path, holder)
                    _remove_if_unchanged(self.path, holder)
                    continue
                if time.monotonic() >= deadline:
                    raise self._held_error(holder, fallback=True) from None
                time.sleep(_LOCK_POLL)
                continue
            except OSError as exc:
                raise LockError(f"cannot create {self.path}: {exc.strerror or exc}") from exc
            try:
                _write_all(fd, info)
            finally:
                os.close(fd)
            return

    def _stale(self, holder: dict | None) -> bool:
        if holder is None:
            try:
                age = time.time() - os.stat(self.path).st_mtime
            except FileNotFoundError:
                return False
            return age > _EMPTY_LOCK_STALE
        if holder.get("host") != socket.gethostname():
            return False  # cannot see another machine's processes
        pid = holder.get("pid")
        return isinstance(pid, int) and not _pid_alive(pid)

    def _held_error(self, holder: dict | None, fallback: bool = False) -> LockError:
        who = "another vaultkit process"
        if holder:
            owner = str(holder.get("owner") or "")
            who = owner if owner.startswith("vaultkit") else f"vaultkit {owner}".rstrip()
            who += f" (pid {holder.get('pid')}"
            if holder.get("host") and holder.get("host") != socket.gethostname():
                who += f" on {holder['host']}"
            who += ")"
            if holder.get("started"):
                who += f" since {holder['started']}"
        hint = f" (if no vaultkit is running, delete {self.path})" if fallback else ""
        return LockError(f"vault is locked by {who}; try again when it finishes{hint}")


def _read_holder(path: Path) -> dict | None:
    try:
        holder = json.loads(path.read_bytes())
    except (OSError, ValueError):
        return None
    return holder if isinstance(holder, dict) else None


def _remove_if_unchanged(path: Path, holder: dict | None) -> None:
    """Remove a stale lock file unless another process replaced it meanwhile."""
    if _read_holder(path) == holder:
        _unlink_quietly(path)


def _pid_alive(pid: int) -> bool:
    if pid <= 0:
        return False
    if os.name == "nt":
        # os.kill(pid, 0) would terminate the process on Windows.
        import ctypes

        kernel32 = ctypes.WinDLL("kernel32", use_last_error=True)  # type: ignore[attr-defined]
        handle = kernel32.OpenProcess(0x1000, False, pid)  # PROCESS_QUERY_LIMITED_INFORMATION
        if not handle:
            return ctypes.get_last_error() == 5  # access denied: it exists
        try:
            code = ctypes.c_ulong()
            kernel32.GetExitCodeProcess(handle, ctypes.byref(code))
            return code.value == 259  # STILL_ACTIVE
        finally:
            kernel32.CloseHandle(handle)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
