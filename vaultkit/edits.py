"""A managed block's new content as a planned write.

The plan decides *what* a block should hold without reading or writing the note:
`block_edit` gives a `PlannedWrite` that carries the block's name and new content and the
state of the note the plan was made from. The writer reads the note, checks that it is
still that state, and applies the edit to the bytes it read (`apply_edit`). A note being
created in the same pass gets its block put into the text being created instead.
"""

from __future__ import annotations

from .errors import MarkerError, Problem
from .markers import set_block
from .model import FileState, NoteRecord, PlannedWrite
from .vault import block_digest


def is_current(rec: NoteRecord, name: str, inner: str, created: dict[str, PlannedWrite]) -> bool:
    """Whether the note already holds block `name` with content `inner` (a note being
    created never does: its block goes into the text being written)."""
    return rec.path not in created and rec.blocks.get(name) == block_digest(inner)


def block_edit(rec: NoteRecord, name: str, inner: str, created: dict[str, PlannedWrite],
               problems: list[Problem], reason: str | None = None) -> PlannedWrite | None:
    """The write that makes block `name` of `rec` hold `inner`; None if it already does or
    the note's markers are broken (the parser reported that; the note is left alone)."""
    if is_current(rec, name, inner, created):
        return None
    if rec.marker_error:
        return None
    reason = reason or f"block {name}"
    base = created.get(rec.path)
    if base is None:
        return PlannedWrite(rec.path, b"", FileState(rec.size, rec.mtime_ns, rec.sha256), reason,
                            edit=(name, inner))
    try:
        data = apply_edit(base.data, name, inner)
    except MarkerError as exc:
        problems.append(Problem(rec.path, exc.message, "markers", exc.line))
        return None
    return PlannedWrite(rec.path, data, None, reason, key=base.key)


def apply_edit(old: bytes, name: str, inner: str) -> bytes:
    """`old` (a note's bytes) with block `name` holding `inner`: a UTF-8 BOM and old Mac
    line endings (CR only) are kept as they are. Raises MarkerError for broken markers."""
    bom = old.startswith(b"\xef\xbb\xbf")
    text = old.decode("utf-8-sig")
    cr_only = "\n" not in text and "\r" in text
    new_text = set_block(text.replace("\r", "\n") if cr_only else text, name, inner)
    if cr_only:
        new_text = new_text.replace("\n", "\r")
    return (b"\xef\xbb\xbf" if bom else b"") + new_text.encode("utf-8")
