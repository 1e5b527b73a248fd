"""One writer a vault, one pass at a time: the lock file `<vault>/.vaultkit/lock`; and one
`watch` a vault: `<vault>/.vaultkit/watch.lock`.

`flock` where the OS has it (the kernel drops it when the process dies, so a crash leaves
no stale lock); elsewhere the file itself, created exclusively, with stale-holder detection.
The vault lock is held for one pass (a `sync`, a `new`, one `watch` batch), so commands run
beside a running `watch`; the watch lock is held for the whole `watch` run.
"""

from __future__ import annotations

import json
import logging
import os
import time
from datetime import datetime
from pathlib import Path

from .errors import LockError
from .files import write_all

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None  # type: ignore[assignment]

log = logging.getLogger(__name__)

LOCK_FILE = ".vaultkit/lock"
WATCH_LOCK_FILE = ".vaultkit/watch.lock"
_O_BINARY = getattr(os, "O_BINARY", 0)
_O_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_LOCK_POLL = 0.05
# In the O_EXCL fallback, an unreadable lock file older than this was left by a crash
# between creating and filling it.
_EMPTY_LOCK_STALE = 10.0


def _host() -> str:
    """This machine's name (what `socket.gethostname()` gives, without importing socket
    where the OS tells it directly)."""
    if hasattr(os, "uname"):
        return os.uname().nodename
    import socket  # noqa: PLC0415 - Windows
    return socket.gethostname()


def _unlink_quietly(path: Path) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
    except OSError as exc:
        log.warning("could not remove %s: %s", path, exc)


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

    FILE = LOCK_FILE

    def __init__(self, vault: Path, timeout: float = 3.0, owner: str = "sync"):
        self.vault = Path(vault)
        self.path = self.vault / self.FILE
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
            "host": _host(),
            "started": datetime.now().astimezone().isoformat(timespec="seconds"),
        }).encode() + b"\n"
        from .config import check_state_dir
        check_state_dir(self.vault)
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
                write_all(fd, info)
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
        if holder.get("host") != _host():
            return False  # cannot see another machine's processes
        pid = holder.get("pid")
        return isinstance(pid, int) and not _pid_alive(pid)

    def _held_error(self, holder: dict | None, fallback: bool = False) -> LockError:
        who = "another vaultkit process"
        if holder:
            owner = str(holder.get("owner") or "")
            who = owner if owner.startswith("vaultkit") else f"vaultkit {owner}".rstrip()
            who += f" (pid {holder.get('pid')}"
            if holder.get("host") and holder.get("host") != _host():
                who += f" on {holder['host']}"
            who += ")"
            if holder.get("started"):
                who += f" since {holder['started']}"
        hint = f" (if no vaultkit is running, delete {self.path})" if fallback else ""
        return self._busy(who, hint)

    def _busy(self, who: str, hint: str) -> LockError:
        err = LockError(f"vault is locked by {who}; try again when it finishes{hint}")
        err.busy = True
        return err


class WatchLock(VaultLock):
    """One `vaultkit watch` a vault, held for its whole run (`.vaultkit/watch.lock`); a
    second one is refused at once, naming the first."""

    FILE = WATCH_LOCK_FILE

    def __init__(self, vault: Path):
        super().__init__(vault, timeout=0.0, owner="vaultkit watch")

    def _busy(self, who: str, hint: str) -> LockError:
        err = LockError(f"{who} is already watching this vault; stop it first (one watch a vault){hint}")
        err.busy = True
        return err


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
