"""Finding the vault as git and zk find their repository: the nearest folder at or above
the current one that holds `.obsidian/` or `.vaultkit/`."""

from __future__ import annotations

from pathlib import Path

from .errors import NotAVault

MARKERS = (".obsidian", ".vaultkit")


def find_vault(start: Path) -> Path:
    """The nearest folder at or above `start` holding `.obsidian/` or `.vaultkit/`;
    NotAVault (exit 2, nothing written) when there is none up to the root."""
    start = Path(start).absolute()
    for folder in (start, *start.parents):
        for marker in MARKERS:
            try:
                if (folder / marker).is_dir():
                    return folder
            except OSError:  # an unreadable folder on the way up: look further up
                continue
    raise NotAVault(f"not inside a vault: pass --vault or run vaultkit init (no folder at or above "
                    f"{start} holds .obsidian/ or .vaultkit/)")
