"""Reading a file whole while it holds still: the read primitive of the reader and the writer.

Standard library only; nothing here writes.
"""

from __future__ import annotations

import errno
import hashlib
import logging
import os
import stat
import time
from pathlib import Path
from typing import Callable

from .model import FileState

log = logging.getLogger(__name__)

_O_BINARY = getattr(os, "O_BINARY", 0)
_O_NONBLOCK = getattr(os, "O_NONBLOCK", 0)
_READ_TRIES = 5

# The name of every temporary file vaultkit writes (then renames over a note), so that one a
# crash left behind is known for what it is: the walk notes them and the next pass removes them.
TEMP_PREFIX = ".vaultkit-tmp-"


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def file_state(path: Path, data: bytes | None = None) -> FileState:
    """The state of the file at `path`; `data` is its content if the caller has it."""
    if data is None:
        return read_with_state(path)[1]
    st = os.stat(path)
    return FileState(st.st_size, st.st_mtime_ns, sha256_hex(data))


def read_whole(fd: int, name: str) -> tuple[bytes | None, os.stat_result]:
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


def read_settled(path: str | Path | Callable[[], int], name: str = "") -> tuple[bytes, int, int]:
    """(bytes, size, mtime_ns) of the file at `path` (or opened by calling `path`), read
    again while it changes under the read; OSError(EAGAIN) if it never settles,
    OSError(EINVAL) for a non-regular file."""
    if callable(path):
        opener = path
    else:
        name, target = name or str(path), path

        def opener() -> int:
            return os.open(target, os.O_RDONLY | _O_BINARY | _O_NONBLOCK)
    path = name
    for attempt in range(_READ_TRIES):
        fd = opener()
        try:
            data, after = read_whole(fd, str(path))
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
    return data, FileState(size, mtime_ns, sha256_hex(data))


def write_all(fd: int, data: bytes) -> None:
    """Write every byte of `data` to the open file `fd` (os.write may write fewer)."""
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]
