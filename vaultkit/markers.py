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
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache

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


# --- code fences -----------------------------------------------------------------------
#
# The one rule for fenced code, used by the marker scan and by link extraction alike. As in
# CommonMark, a fence is a run of 3+ backticks (with no backtick in its info string) or
# tildes, indented at most 3 columns from the start of its container: the line's start, or
# the content of the list item it sits in (fences inside list items are indented). It ends
# at a line of the same character, at least as long, indented likewise, or when its list
# item ends (a non-blank line indented less than the item's content).

_LIST_ITEM = re.compile(r"([ \t]*)([-*+]|\d{1,9}[.)])([ \t]+)(?=\S)")
# How far back to look for the list item an indented fence belongs to.
_LOOK_BACK_LINES = 200


@dataclass(frozen=True, slots=True)
class Fence:
    """A fenced code block: `start` of its opening line, `end` (the end of its closing line,
    or where its list item ends, or the end of the text), whether a closing line ended it,
    and `base`, the indent of its container."""

    start: int
    end: int
    closed: bool
    base: int


def _width(blanks: str) -> int:
    """Columns taken by leading spaces and tabs (a tab stops at the next multiple of 4)."""
    col = 0
    for ch in blanks:
        col = col + 4 - col % 4 if ch == "\t" else col + 1
    return col


def _container_indent(text: str, line_start: int, indent: int) -> int | None:
    """The content column of the list item the line at `line_start` (indented `indent`)
    belongs to, 0 at top level, or None when an indented line is in no list item."""
    limit = indent
    end = line_start - 1
    for _ in range(_LOOK_BACK_LINES):
        if end < 0:
            return 0 if indent <= 3 else None
        start = text.rfind("\n", 0, end) + 1
        line = text[start:end].rstrip("\r")
        end = start - 1
        if not line.strip():
            continue
        blanks = line[:len(line) - len(line.lstrip(" \t"))]
        m = _LIST_ITEM.match(line)
        if m is not None:
            column = _width(m[1]) + len(m[2]) + _width(m[3])
            if column - _width(m[1] + m[2]) > 4:  # `-      code`: content starts after one blank
                column = _width(m[1] + m[2]) + 1
            if column <= indent:
                return column
        width = _width(blanks)
        if width < limit:
            if width == 0 and m is None:
                return 0 if indent <= 3 else None
            limit = width
    return 0 if indent <= 3 else None


def next_fence(text: str, pos: int = 0) -> Fence | None:
    """The first fenced code block whose opening line starts at or after `pos` (a line
    start), or None."""
    n = len(text)
    while pos < n:
        found = [i for i in (text.find("```", pos), text.find("~~~", pos)) if i >= 0]
        if not found:
            return None
        i = min(found)
        line_start = text.rfind("\n", 0, i) + 1
        nl = text.find("\n", i)
        line_end = n if nl < 0 else nl
        search_from, pos = pos, line_end + 1
        if line_start < search_from or text[line_start:i].strip(" \t"):
            continue
        char = text[i]
        run = i
        while run < line_end and text[run] == char:
            run += 1
        length = run - i
        if char == "`" and "`" in text[run:line_end]:
            continue  # an inline code span, not a fence
        indent = _width(text[line_start:i])
        base = 0 if indent == 0 else _container_indent(text, line_start, indent)
        if base is None or indent - base > 3:
            continue
        return _close_fence(text, line_start, line_end, char, length, base)
    return None


def _close_fence(text: str, start: int, line_end: int, char: str, length: int, base: int) -> Fence:
    n = len(text)
    pos = line_end + 1
    while pos < n:
        nl = text.find("\n", pos)
        end = n if nl < 0 else nl
        line = text[pos:end].rstrip("\r")
        body = line.lstrip(" \t")
        if body:
            indent = _width(line[:len(line) - len(body)])
            if indent < base:
                return Fence(start, pos, False, base)  # its list item ended
            if indent - base <= 3 and body.startswith(char * 3):
                run = len(body) - len(body.lstrip(char))
                if run >= length and not body[run:].strip(" \t"):
                    return Fence(start, end, True, base)
        if base == 0:
            # Only a line holding the fence character can close a top-level fence: jump.
            k = text.find(char * 3, end)
            if k < 0:
                break
            pos = text.rfind("\n", 0, k) + 1
            if pos <= end:
                pos = end + 1
            continue
        pos = end + 1
    return Fence(start, n, False, base)


# --- managed blocks --------------------------------------------------------------------

_NAME = re.compile(r"[\w.-]+")
_MARKER = re.compile(r"<!--[ \t]+vaultkit:(begin|end)[ \t]+([\w.-]+)[ \t]+-->")
# What looks like an attempt at a marker; if it is not a well-formed one it is an error,
# never silently ignored (ignoring a broken end would append a second block next pass).
_MARKERISH = re.compile(r" {0,3}<!--\s*vaultkit:(?:begin|end)\b")


@dataclass(slots=True)
class _Scan:
    """Markers found in a text. `blocks` is meaningful only when `problem` is None."""

    pairs: list[tuple[str, int, int]] = field(default_factory=list)
    blocks: dict[str, tuple[int, int]] = field(default_factory=dict)
    problem: MarkerError | None = None
    open_fence: int | None = None


# The lines that open and close front-matter: `---` first, then `---` or `...`, each with
# nothing but blanks after it (the note parser reads front-matter the same way).
FRONTMATTER_CLOSE = re.compile(r"\n(?:---|\.\.\.)[^\S\n]*$", re.M)


def body_start(text: str) -> int:
    """Where the note's body starts: just after its front-matter, else 0.

    Front-matter is text, not structure: a marker or a fence-like line inside a YAML value
    is neither a block nor a fence, so every scan of markers and fences starts here.
    """
    if not text.startswith("---"):
        return 0
    first_end = text.find("\n")
    if first_end < 0 or text[3:first_end].strip():
        return 0
    close = FRONTMATTER_CLOSE.search(text, first_end)
    if close is None:
        return 0
    end = text.find("\n", close.start() + 1)
    return len(text) if end < 0 else end + 1


def scan_markers(text: str, fences: bool = False, body: int | None = None) -> _Scan:
    """Every marker of every name in the note's body, outside fenced code. `fences=True`
    also reports a code fence left open at the end (needed only before appending a block).
    `body`: where the body starts, if the caller knows it (see `body_start`)."""
    result = _Scan()
    if not fences and "vaultkit:" not in text:
        return result
    if body is None:
        body = body_start(text)
    fenced = _has_fence_chars(text)
    if not fences and not fenced and _one_block(text, body, result):
        return result

    def fail(message: str, line: int) -> None:
        if result.problem is None:
            result.problem = MarkerError(message, line=line)

    open_block: tuple[str, int, int] | None = None  # name, line, inner start
    last_begin: tuple[str, int] | None = None  # the previous marker, if it was a begin
    first_line: dict[str, int] = {}
    fence = next_fence(text, body) if fenced else None
    lineno, counted = 1, 0
    for start in _marker_lines(text, body):
        while fence is not None and fence.end <= start:
            fence = _fence_after(text, fence)
        if fence is not None and fence.start <= start:
            continue  # inside fenced code
        lineno += text.count("\n", counted, start)
        counted = start
        nl = text.find("\n", start)
        pos = len(text) if nl < 0 else nl + 1
        line = text[start:pos].rstrip("\r\n")
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
    unclosed = None
    if fences or open_block is not None:
        while fence is not None:
            if not fence.closed and fence.base == 0:
                unclosed = text.count("\n", 0, fence.start) + 1
                break
            fence = _fence_after(text, fence)
    if open_block is not None:
        hint = (f" (a code fence opened at line {unclosed} is never closed)"
                if unclosed is not None else "")
        fail(f"begin marker of block '{open_block[0]}' has no end marker{hint} — add "
             f"`<!-- vaultkit:end {open_block[0]} -->` or remove the begin marker", open_block[1])
    if fences:
        result.open_fence = unclosed
    return result


def _has_fence_chars(text: str) -> bool:
    """Whether `text` holds ``` or ~~~ (a one-character `in` first: it is a memchr, and a
    three-character one scans the text ~4x slower)."""
    return ("`" in text and "```" in text) or ("~" in text and "~~~" in text)


def _one_block(text: str, body: int, result: _Scan) -> bool:
    """The common case of `scan_markers`, without its general walk, for a text with no
    code fence: the body's only two lines that hold `vaultkit:` are a begin marker and the
    end marker of the same name. Then that block is put into `result` and True returned;
    else False, with `result` untouched."""
    i = text.find("vaultkit:", body)
    if i < 0:
        return True  # (no marker in the body: nothing to put in)
    begin_line = text.rfind("\n", 0, i) + 1
    nl = text.find("\n", i)
    if nl < 0:
        return False
    begin = _MARKER.fullmatch(text[begin_line:nl].rstrip(" \t\r"))
    j = text.find("vaultkit:", nl + 1)
    if begin is None or begin[1] != "begin" or j < 0 or text.find("vaultkit:", j + 9) >= 0:
        return False
    end_line = text.rfind("\n", 0, j) + 1
    nl_end = text.find("\n", j)
    end = _MARKER.fullmatch(text[end_line:len(text) if nl_end < 0 else nl_end].rstrip(" \t\r"))
    if end is None or end[1] != "end" or end[2] != begin[2]:
        return False
    name = sys.intern(begin[2])
    result.pairs.append((name, nl + 1, end_line))
    result.blocks[name] = (nl + 1, end_line)
    return True


def _fence_after(text: str, fence: Fence) -> Fence | None:
    """The next fence after `fence` ends."""
    end = fence.end
    if end >= len(text):
        return None
    if end > 0 and text[end - 1] != "\n":
        nl = text.find("\n", end)
        if nl < 0:
            return None
        end = nl + 1
    return next_fence(text, end)


def _marker_lines(text: str, body: int) -> Iterator[int]:
    """Start offsets of the lines from `body` on that hold `vaultkit:`, in order."""
    i = text.find("vaultkit:", body)
    while i >= 0:
        yield text.rfind("\n", 0, i) + 1
        nl = text.find("\n", i)
        i = -1 if nl < 0 else text.find("vaultkit:", nl + 1)


# What a reader that leaves generated text out (link extraction) skips: from a begin marker
# line to the first end marker line of the same name below it, else to the end of the text.
_BEGIN_LINE = re.compile(r"<!--[ \t]+vaultkit:begin[ \t]+([\w.-]+)[ \t]+-->[ \t\r]*$", re.M)


@lru_cache(maxsize=64)
def _end_line(name: str) -> re.Pattern[str]:
    return re.compile(r"<!--[ \t]+vaultkit:end[ \t]+" + re.escape(name) + r"[ \t]+-->[ \t\r]*$", re.M)


def generated_end(text: str, line_start: int) -> int | None:
    """If the line at `line_start` is a begin marker, where the generated text it opens
    ends for a reader: the end of the first end marker line of that name below it (before
    its line break), else the end of the text. None for any other line.

    Unlike `scan_markers` this checks nothing and looks at no fence, so that a note whose
    markers are broken still has its generated text (or all that follows a lone begin
    marker) left out of its links."""
    begin = _BEGIN_LINE.match(text, line_start)
    if begin is None:
        return None
    end_line = _end_line(begin.group(1))
    i = text.find("<!--", begin.end())
    while i >= 0:  # only a line starting with `<!--` can be the end marker: jump to those
        if text[i - 1] == "\n":
            m = end_line.match(text, i)
            if m is not None:
                return m.end()
        i = text.find("<!--", i + 1)
    return len(text)


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


_TICKED = re.compile(r"^[ \t]*[-*+][ \t]+\[[xX]\][ \t]+(.*?)[ \t]*$")


def ticked_lines(inner: str) -> list[str]:
    """The text of every ticked task (`- [x] …`, without the box) of a block's inner text."""
    out = []
    for line in inner.splitlines():
        m = _TICKED.match(line)
        if m:
            out.append(m.group(1))
    return out
