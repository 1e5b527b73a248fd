"""Functions of the C library that Python's `os` lacks (Linux `renameat2`, `syncfs`),
through ctypes, loaded on first use: a sync that writes nothing never loads ctypes."""

from __future__ import annotations

import os
import sys
from typing import Callable

_libc: dict[str, object] = {}  # C library functions, loaded on first use (never on a sync that writes nothing)


def libc_function(name: str, argtypes: Callable[[object], tuple]):
    """The C library's function `name` (returning an int; `argtypes(ctypes)` gives its
    argument types), loaded once; None where there is none (not Linux, an old libc)."""
    if name not in _libc:
        fn = None
        if sys.platform.startswith("linux"):
            import ctypes  # noqa: PLC0415
            try:
                fn = getattr(ctypes.CDLL(None, use_errno=True), name)
                fn.argtypes = argtypes(ctypes)
                fn.restype = ctypes.c_int
            except (OSError, AttributeError):
                fn = None
        _libc[name] = fn
    return _libc[name]


def libc_error(path) -> OSError:
    """The OSError of the C library call that just failed."""
    import ctypes  # noqa: PLC0415 - (loaded by `libc_function`)
    err = ctypes.get_errno()
    return OSError(err, os.strerror(err), os.fspath(path))
