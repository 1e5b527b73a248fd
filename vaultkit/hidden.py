"""What hides links in a note's body: fenced and inline code, HTML and `%%` comments, and
vaultkit's managed blocks. Pure: text in, spans out.

`spans` finds them in one pass, block structure first (as in CommonMark: fences and
comments or managed blocks that start a line), then code spans and comments inline, then
`%%` comments over what is left; `between` gives the text between them, where
`links.extract_links` looks for links.
"""

from __future__ import annotations

import re

from .comments import comment_spans
from .markers import generated_end, next_fence

# Lines that may start an HTML comment or a managed block (fences: `markers.next_fence`).
_BLOCK_START = re.compile(r"^[ \t]*(<!--)", re.M)
# "``*" rather than "`+": a pattern that starts with a literal is searched for far faster.
_BACKTICKS = re.compile(r"``*")

# Where a code span or an inline comment must end: a blank line, or a line that starts a
# new block (list item, heading, quote, table row). Rough, but it keeps one stray backtick
# in a list item from swallowing the links of the items below it.
_PARA_BREAK = re.compile(
    r"\n(?=[ \t\r]*\n|[ \t]*(?:[-*+][ \t]|\d{1,9}[.)][ \t]|\#{1,6}[ \t\r\n]|>|\|))"
)


def spans(text: str) -> list[tuple[int, int]]:
    """The spans of code, HTML and `%%` comments and managed blocks: sorted, not
    overlapping (they may touch)."""
    found: list[tuple[int, int]] = []
    # (A one-character `in` is a memchr; a longer needle is a slower scan of the whole
    # note, so the one-character test goes first throughout this module.)
    tick = "`" in text
    comment = text.find("<!--") if "<" in text else -1  # the first `<!--` (none before it)
    needles = [n for n, there in (("```", tick and "```" in text), ("~~~", "~" in text and "~~~" in text),
                                  ("<!--", comment >= 0)) if there]
    if tick or needles:
        pos = 0
        for start, end in _block_spans(text, needles) if needles else ():
            # Without a backtick, only an inline comment can hide text between the blocks.
            if start > pos and (tick or (comment >= 0 and start > comment and text.find("<!--", pos, start) >= 0)):
                _inline_spans(text, pos, start, found)
            found.append((start, end))
            pos = end
        if pos < len(text) and (tick or (comment >= 0 and text.find("<!--", pos) >= 0)):
            _inline_spans(text, pos, len(text), found)
    comments = comment_spans(text, found)
    if not comments:
        return found
    merged: list[tuple[int, int]] = []
    for start, end in sorted(found + comments):  # a `%%` comment may hold code
        if merged and start <= merged[-1][1]:
            if end > merged[-1][1]:
                merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged


def between(text: str, hidden: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The text between the `hidden` spans: (start, end) pairs, the first and last maybe empty."""
    segments = []
    pos = 0
    for start, end in hidden:
        segments.append((pos, start))
        pos = end
    segments.append((pos, len(text)))
    return segments


def _block_spans(text: str, needles: list[str]) -> list[tuple[int, int]]:
    """Spans of fenced code blocks, managed blocks and comments that start a line.

    Block structure comes before inline structure (as in CommonMark), so this runs first
    and the inline scan only sees the text between these spans. What a code fence is,
    is `markers.next_fence`'s to say (the marker scan uses the same rule), and where a
    managed block ends `markers.generated_end`'s.
    """
    spans: list[tuple[int, int]] = []
    n = len(text)
    fences = "```" in needles or "~~~" in needles
    comment_needles = ["<!--"] if "<!--" in needles else []
    fence = next_fence(text, 0) if fences else None
    found: dict[str, int] = {}
    pos = 0
    while pos < n:
        if fence is not None and fence.start < pos:
            fence = next_fence(text, pos)
        m = _next_block_start(text, pos, comment_needles, found) if comment_needles else None
        if fence is None and m is None:
            break
        if m is None or (fence is not None and fence.start <= m.start()):
            spans.append((fence.start, fence.end))
            pos = fence.end
            continue
        end = generated_end(text, m.start())
        if end is not None:
            spans.append((m.start(), end))
        else:
            start = m.start(1)
            close = text.find("-->", start + 2)
            end = close + 3 if close != -1 else n
            spans.append((start, end))
        pos = end
    return spans


def _next_block_start(text: str, pos: int, needles: list[str],
                      found: dict[str, int]) -> re.Match[str] | None:
    """`_BLOCK_START.search(text, pos)`, found with str.find: the first line starting at or
    after `pos` whose first non-blank characters open a fence or a comment. `needles` are
    those of the three openers that occur in `text`; `found` remembers, between calls with
    a growing `pos`, where each next occurs (-1: nowhere after)."""
    best = -1
    for needle in needles:
        at = found.get(needle)
        if at is not None and (at == -1 or at >= pos):
            line_start = at  # still the first such line at or after `pos`
        else:
            line_start = -1
            i = text.find(needle, pos)
            while i >= 0:
                start = text.rfind("\n", 0, i) + 1
                if start >= pos and not text[start:i].strip(" \t"):
                    line_start = start
                    break
                nl = text.find("\n", i)
                if nl < 0:
                    break
                i = text.find(needle, nl + 1)
            found[needle] = line_start
        if line_start >= 0 and (best < 0 or line_start < best):
            best = line_start
    return None if best < 0 else _BLOCK_START.match(text, best)


def _inline_spans(text: str, a: int, b: int, spans: list[tuple[int, int]]) -> None:
    """Append the spans of code spans and inline comments within `text[a:b]` to `spans`.

    Left to right, whichever of a backtick run and `<!--` comes first wins (CommonMark).
    A code span ends at the next backtick run of the same length in its paragraph; the
    candidate closers of each length are walked with one pointer, so many unmatched
    backticks cost linear time, not quadratic.
    """
    runs = [(m.start(), m.end()) for m in _BACKTICKS.finditer(text, a, b)]
    next_comment = text.find("<!--", a, b) if text.find("<", a, b) >= 0 else -1
    if not runs and next_comment == -1:
        return
    # Where the paragraph holding `pos` ends, looked for only when asked (most notes ask
    # for a few paragraphs, or none), remembered for the next `pos`: the callers ask in
    # increasing order, so no text is searched twice.
    found = [a]  # the end last found: no break between the `pos` it was found for and it

    def paragraph_end(pos: int) -> int:
        if pos >= found[0]:
            m = _PARA_BREAK.search(text, pos + 1, b)
            found[0] = m.start() if m is not None else b
        return found[0]

    by_length: dict[int, list[int]] = {}
    for k, (s, e) in enumerate(runs):
        by_length.setdefault(e - s, []).append(k)
    pointer: dict[int, int] = {}
    no_close_before = -1  # a paragraph end before which `-->` is known to be absent
    r = 0
    i = a
    while True:
        while r < len(runs) and runs[r][0] < i:
            r += 1
        if next_comment != -1 and next_comment < i:
            next_comment = text.find("<!--", i, b)
        if next_comment != -1 and (r == len(runs) or next_comment < runs[r][0]):
            end = paragraph_end(next_comment)
            close = -1 if end == no_close_before else text.find("-->", next_comment + 2, end)
            if close == -1:
                no_close_before = end
                i = next_comment + 4
            else:
                spans.append((next_comment, close + 3))
                i = close + 3
            continue
        if r == len(runs):
            break
        s, e = runs[r]
        start, length = s, e - s
        if s > 0 and text[s - 1] == "\\":  # `\`` is a literal backtick, not an opener
            start, length = s + 1, length - 1
        closers = by_length.get(length) if length else None
        if closers:
            p = pointer.get(length, 0)
            while p < len(closers) and closers[p] <= r:
                p += 1
            pointer[length] = p
            if p < len(closers) and runs[closers[p]][0] < paragraph_end(s):
                end = runs[closers[p]][1]
                spans.append((start, end))
                i = end
                continue
        i = e
