"""File names made from people's names.

A name from a note (`../../x`, `A/B: C?`, `CON`, 300 CJK characters) becomes a file stem
that is safe on Windows, macOS and Linux and as an Obsidian link target. The real name is
kept by the caller in the note's front-matter; only the file name is cleaned.
"""

from __future__ import annotations

import logging
import os
import re
import unicodedata
from pathlib import Path

from .errors import UnsafePath

log = logging.getLogger(__name__)

FALLBACK = "unnamed"
# Obsidian forbids * " \ / < > : | ? in file names and # ^ [ ] | in link targets.
FORBIDDEN = '*"\\/<>:|?#^[]'
# A stem plus its ` N` suffix stays within this, so `.stem.md.icloud` fits in 255 bytes.
MAX_NAME_BYTES = 240
MIN_BYTES = 16

_REPLACE = re.compile("[" + re.escape(FORBIDDEN) + "\x00-\x1f\x7f-\x9f\ud800-\udfff]")
_RESERVED = frozenset(
    {"CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$"}
    | {f"{dev}{n}" for dev in ("COM", "LPT") for n in "0123456789¹²³"}
)
_ICLOUD = ".icloud"


def safe_filename(name: str, max_bytes: int = 200) -> str:
    """A file stem (no `.md`) for `name`, at most `max_bytes` UTF-8 bytes, never empty.

    Forbidden and control characters become spaces, runs of white space one space; no
    leading dot, no trailing dot or space, Windows device names get `_` (`CON` -> `CON_`).
    Idempotent: cleaning a cleaned stem changes nothing.
    """
    return _clean(name, max_bytes) or FALLBACK


def fitted_stem(pattern: str, *names: str, max_bytes: int = 200) -> str:
    """`safe_filename(pattern.format(*names))`, but when that is too long it is the names
    that are cut, not the fixed text: `2026-11-30 <300 CJK characters> - agenda` keeps its
    ` - agenda`, so the file name still says what the note is. A name with nothing usable
    in it (`..`, `???`) stands as `unnamed`."""
    names = tuple(n if _clean(n, 1 << 30) else FALLBACK for n in names)
    whole = safe_filename(pattern.format(*names), max_bytes=1 << 30)
    if len(whole.encode("utf-8")) <= max_bytes:
        return whole
    texts = [" ".join(_REPLACE.sub(" ", unicodedata.normalize("NFC", n)).split()) for n in names]
    room = max(max_bytes - len(pattern.format(*([""] * len(names))).encode("utf-8")),
               MIN_BYTES * len(names))
    # Short names keep their length; the long ones share what is left.
    cut = list(texts)
    left = len(texts)
    for i in sorted(range(len(texts)), key=lambda i: len(texts[i].encode("utf-8"))):
        share = room // left
        cut[i] = _cut(texts[i], share)
        room -= len(cut[i].encode("utf-8"))
        left -= 1
    return safe_filename(pattern.format(*cut), max_bytes)


def unique_note_path(vault: Path, folder: str, stem: str) -> str:
    """A vault-relative path `folder/stem.md` that no file in that folder already takes.

    Names are compared after NFC normalisation and case folding (as macOS and Windows
    do), and an iCloud placeholder `.stem.md.icloud` takes `stem.md` too. A taken name gets
    ` 2`, ` 3`, ... The folder is cleaned segment by segment; a segment that cleans to
    nothing (`..`, `.`) is dropped. Checking is not reserving: create the file with
    `safe_write(..., expect=None)`, which refuses if the name was taken in between.
    """
    parts, where = _note_folder(vault, folder)
    return _first_free(parts, stem, _names_in(where))


class NotePaths:
    """`unique_note_path` for many new notes in one folder (an import of thousands): the
    folder is listed once, not once a note, and every path handed out counts as taken."""

    def __init__(self, vault: Path, folder: str):
        self.parts, where = _note_folder(vault, folder)
        self.taken = _names_in(where)

    def take(self, stem: str) -> str:
        """The next free path for `stem`, now taken."""
        path = _first_free(self.parts, stem, self.taken)
        self.mark_taken(path)
        return path

    def mark_taken(self, path: str) -> None:
        """Count `path` as taken (say, a file that appeared since the folder was listed)."""
        self.taken.add(_key(path.rsplit("/", 1)[-1]))


def _note_folder(vault: Path, folder: str) -> tuple[list[str], Path]:
    """The cleaned segments of `folder`, and where it is; UnsafePath if outside the vault."""
    parts = [seg for seg in (_clean(s, max_bytes=200) for s in re.split(r"[/\\]", folder)) if seg]
    root = Path(vault).resolve()
    where = root.joinpath(*parts)
    if not where.resolve().is_relative_to(root):
        raise UnsafePath(f"folder {folder!r} resolves outside the vault — check for a symlink",
                         path=folder)
    return parts, where


def _first_free(parts: list[str], stem: str, taken: set[str]) -> str:
    base = safe_filename(stem, MAX_NAME_BYTES)
    n = 1
    while True:
        candidate = base if n == 1 else _numbered(base, n)
        if _key(candidate + ".md") not in taken:
            return "/".join([*parts, candidate + ".md"])
        n += 1


def _clean(name: str, max_bytes: int) -> str:
    """safe_filename without the fallback: may return ''."""
    if max_bytes < MIN_BYTES:
        raise ValueError(f"max_bytes must be at least {MIN_BYTES}, not {max_bytes}")
    s = unicodedata.normalize("NFC", name)
    s = " ".join(_REPLACE.sub(" ", s).split())
    s = _cut(s.strip(". "), max_bytes).rstrip(". ")
    base, dot, rest = s.partition(".")
    if base.rstrip(" ").upper() in _RESERVED:
        # Windows reserves the device name whatever follows the first dot (`con.txt`).
        s = _cut(base.rstrip(" ") + "_" + dot + rest, max_bytes).rstrip(". ")
    return s


def _cut(s: str, max_bytes: int) -> str:
    """`s` cut to at most `max_bytes` UTF-8 bytes, on a character boundary that does not
    strip a base letter of its combining marks."""
    if len(s.encode("utf-8")) <= max_bytes:
        return s
    used = 0
    keep = 0
    for keep, ch in enumerate(s):
        used += len(ch.encode("utf-8"))
        if used > max_bytes:
            break
    while keep > 0 and _attaches_to_previous(s[keep]):
        keep -= 1
    return s[:keep].rstrip("\u200d")


def _attaches_to_previous(ch: str) -> bool:
    return (unicodedata.category(ch) in ("Mn", "Mc", "Me") or ch == "\u200d"
            or "\U0001f3fb" <= ch <= "\U0001f3ff")


def _numbered(base: str, n: int) -> str:
    suffix = f" {n}"
    stem = _cut(base, MAX_NAME_BYTES - len(suffix)).rstrip(". ")
    return (stem or FALLBACK) + suffix


def _key(name: str) -> str:
    return unicodedata.normalize("NFC", unicodedata.normalize("NFC", name).casefold())


def _names_in(folder: Path) -> set[str]:
    """The comparison keys of every name in `folder`, iCloud placeholders as their note."""
    try:
        names = os.listdir(folder)
    except OSError:  # gone, or not listable (the write is refused and reported then)
        return set()
    keys = set()
    for name in names:
        keys.add(_key(name))
        if name.startswith(".") and name.endswith(_ICLOUD) and len(name) > len(_ICLOUD) + 1:
            keys.add(_key(name[1:-len(_ICLOUD)]))
    return keys
