"""vaultkit's managed blocks and the code fences around them: the one owner of that syntax.

A managed block is `<!-- vaultkit:begin NAME -->` … `<!-- vaultkit:end NAME -->`, each
marker a line of its own, outside fenced code. `scan_markers` finds every block of a note
(and says what is broken), `set_block` puts new text inside one block and nowhere else.
Pure: text in, text out.
"""

from __future__ import annotations

import codecs
import re
import sys
from dataclasses import dataclass, field

from .errors import MarkerError

_BOM = codecs.BOM_UTF8


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
