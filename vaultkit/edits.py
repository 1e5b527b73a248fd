"""A managed block's new content as a planned write.

The plan decides *what* a block should hold without reading or writing the note:
`block_edit` gives a `PlannedWrite` that carries the block's name and new content and the
state of the note the plan was made from. The writer reads the note, checks that it is
still that state, and applies the edit to the bytes it read (`apply_edit`). A note being
created in the same pass gets its block put into the text being created instead.
"""

from __future__ import annotations

import dataclasses

from .errors import MarkerError, Problem
from .markers import set_block
from .model import INTERVIEW, FileState, NoteRecord, PlannedWrite
from .values import has_notes_heading
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


def block_edited(before: NoteRecord | None, name: str, inner: str, old: bytes, state: FileState) -> NoteRecord | None:
    """The record of a note that was `before` (parsed from the bytes `old`) once block
    `name` holds `inner` (written, now in `state`), without parsing it again; None where
    that is not certain, and the note must be parsed.

    Only the block changed, and what is inside a managed block feeds no link, field or
    name; so the record is `before` with the new stat, hash and block digest, provided
    nothing the record holds sits at or after the block (links and warnings carry line
    numbers, which the new block's length would shift: the first marker found bounds
    them from below), nothing from that marker on can hide or show text (code, a comment
    that is not a marker, `%%`), the note is not today's follow-ups (whose ticks come from its
    block), and its lines end in LF or CRLF. A block not there before is appended, after
    everything. An interview's discussed points are read up to the first block, under a
    notes heading: the same, provided neither the old text from that marker on nor the
    new block holds such a heading."""
    if before is None or not before.ok or before.marker_error \
            or name == "follow-ups" or "ticks" in before.fields or b"\n" not in old:
        return None
    first = old.find(b"<!-- vaultkit:")
    if before.kind == INTERVIEW and (has_notes_heading(inner) or first >= 0 and has_notes_heading(
            old[first:].decode("utf-8", "replace"))):
        return None
    if first >= 0:
        tail = old[first:]  # only blocks and plain text from here: nothing that could hide or show text
        if any(mark in tail for mark in (b"`", b"~~~", b"%%")) or tail.count(b"<!--") != tail.count(b"<!-- vaultkit:"):
            return None
        begin = old.count(b"\n", 0, first) + 1
        lines = [link.line for link in before.links]
        lines.extend(w[0] for w in before.fields.get("_warnings", ()))
        lines.extend(p.line or 0 for p in before.problems)
        if lines and max(lines) >= begin:
            return None
    elif before.blocks or b"%%" in old or old.rfind(b"<!--") > old.rfind(b"-->"):
        return None  # (an unclosed comment before an appended block could take it in)
    inner = inner.replace("\r\n", "\n")
    if inner and not inner.endswith("\n"):
        inner += "\n"
    return dataclasses.replace(before, size=state.size, mtime_ns=state.mtime_ns, sha256=state.sha256,
                               blocks={**before.blocks, name: block_digest(inner)})
