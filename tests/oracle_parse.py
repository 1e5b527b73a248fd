"""The note parser as it was before issue 18's one-pass rewrite: a TEST ORACLE, not part of
the package. tests/test_parse_oracle.py holds `vault.parse_note` to produce exactly the
records this produced. Copied verbatim from vaultkit/links.py, comments.py and vault.py at
commit c5a9c3e (only the imports changed); do not "fix" anything here.
"""

# ruff: noqa
from __future__ import annotations

import datetime as dt
import hashlib
import logging
import re
import sys
from bisect import bisect_right
from functools import lru_cache
from urllib.parse import unquote

from vaultkit import kinds as kindmod
from vaultkit.errors import Problem
from vaultkit.markers import next_fence, scan_markers, ticked_lines
from vaultkit.model import (CONTACT, CONTACT_STATUSES, INTERVIEW, INTERVIEW_STATUSES, LINK_PROPERTIES, Link,
                            NoteRecord)
from vaultkit.values import (TIME, TIME_PART, date_trouble, discussed_points, lenient_loader, link_shaped,
                             raw_value, shown)

log = logging.getLogger(__name__)


# == comments.py ========================================================================

def masked_comments(text: str, mask: str) -> str:
    """`text` (code already masked) with every comment overwritten by `mask` characters
    (newlines kept): `%%` to the next `%%`; as in Obsidian, an unclosed `%%` runs to the end."""
    if "%" not in text or "%%" not in text:
        return text
    pieces: list[str] = []
    pos = 0
    while True:
        start = text.find("%%", pos)
        if start < 0:
            break
        close = text.find("%%", start + 2)
        end = len(text) if close < 0 else close + 2
        pieces.append(text[pos:start])
        pieces.append("\n".join(mask * len(part) for part in text[start:end].split("\n")))
        pos = end
    pieces.append(text[pos:])
    return "".join(pieces)


# == links.py (extraction and property links) ===========================================

_MASK = "\x00"

# Starts with the literal `[[` so the regex engine can skip ahead with a fast search; the
# `!` of an embed is checked by hand. Brackets may not nest, so a failed attempt stops at
# the next bracket: scanning stays linear.
_WIKILINK = re.compile(r"\[\[([^\[\]\n\x00]*)\]\]")

_MD_LINK = re.compile(
    r"""\]\(
    [ \t]*
    (?: <([^<>\n\x00]*)>
      | ((?:[^\s()\\\x00]|\\[^\n\x00]|\((?:[^\s()\\\x00]|\\[^\n\x00])*\))++)
    )
    (?:[ \t]+(?:"[^"\n\x00]*"|'[^'\n\x00]*'|\([^()\n\x00]*\)))?
    [ \t]*\)""",
    re.X,
)

# What the Markdown-link scan needs to find the `[` that opens a link's text. A whole
# wikilink is one token: its brackets balance, and skipping them keeps the scan cheap.
# (Every alternative starts with a literal, which lets the engine skip to candidates.)
_BRACKET = re.compile(r"\[\[[^\[\]\n\x00]*\]\]|\\[^\n]|\[|\]|\n(?=[ \t\r]*\n)")

_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:")
_MD_ESCAPE = re.compile(r"\\([!-/:-@\[-`{-~])")

# Lines that may start an HTML comment or a managed block (fences: `markers.next_fence`).
_BLOCK_START = re.compile(r"^[ \t]*(<!--)", re.M)
# The marker syntax of `write.py`: a whole line, spaces or tabs around the words.
_MANAGED_BEGIN = re.compile(r"<!--[ \t]+vaultkit:begin[ \t]+([\w.-]+)[ \t]+-->[ \t\r]*$", re.M)

# "``*" rather than "`+": a pattern that starts with a literal is searched for far faster.
_BACKTICKS = re.compile(r"``*")

# Where a code span or an inline comment must end: a blank line, or a line that starts a
# new block (list item, heading, quote, table row). Rough, but it keeps one stray backtick
# in a list item from swallowing the links of the items below it.
_PARA_BREAK = re.compile(
    r"\n(?=[ \t\r]*\n|[ \t]*(?:[-*+][ \t]|\d{1,9}[.)][ \t]|\#{1,6}[ \t\r\n]|>|\|))"
)


_MAX_DEPTH = 32


# -- extraction ------------------------------------------------------------------------


def extract_links(text: str, first_line: int = 1) -> list[Link]:
    """The body links of `text`, in order; `first_line` is the file line `text` starts on.

    Wikilinks and embeds have style `wiki`, Markdown links style `md`. Links inside fenced
    code, inline code, HTML and `%%` comments and managed blocks are left out, and so are
    external URLs, links into the same note (`[[#Heading]]`, `[x](#h)`) and empty targets.
    """
    if "[" not in text:
        return []
    # (A one-character `in` is a memchr; a longer needle is a slower scan of the whole
    # note, so the one-character test goes first throughout this module.)
    masked = "`" in text or _contains(text, "~~~") or _contains(text, "<!--")
    text_ = masked_comments(_masked(text) if masked else text, _MASK)

    found: list[tuple[int, str, str, bool]] = []
    for m in _WIKILINK.finditer(text_):
        start = m.start()
        before = text_[start - 1] if start else ""
        if before == "\\":
            continue
        target = _wiki_target(m.group(1))
        if target:
            found.append((start, target, "wiki", before == "!"))
    if "(" in text_ and "](" in text_:
        _markdown_links(text_, found)
        found.sort(key=lambda f: f[0])

    links: list[Link] = []
    line = first_line
    last = 0
    for pos, target, style, embed in found:
        line += text.count("\n", last, pos)
        last = pos
        links.append(Link(sys.intern(target), style, line, None, embed))
    return links


def _wiki_target(content: str) -> str | None:
    """The target of a wikilink's inner text: no alias, heading, block or `.md`."""
    target = content.partition("|")[0]
    if target.endswith("\\"):  # `[[A\|b]]`: a pipe escaped inside a table
        target = target[:-1]
    target = target.partition("#")[0].strip()
    if target[-3:].lower() == ".md":
        target = target[:-3].strip()
    return target or None


def _markdown_links(text: str, found: list) -> None:
    """Append the Markdown links of (masked) `text` to `found`.

    A `](` is a link only if an unmatched `[` opens its text, as in CommonMark; the stack
    of open brackets is fed incrementally between matches, so the scan stays linear.
    """
    stack: list[int] = []
    last = 0
    for m in _MD_LINK.finditer(text):
        close = m.start()
        for tok in _BRACKET.finditer(text, last, close):
            t = tok.group()
            if t == "[":
                stack.append(tok.start())
            elif t == "]":
                if stack:
                    stack.pop()
            elif t == "\n":
                stack.clear()
        last = m.end()
        if close and text[close - 1] == "\\":
            continue
        if not stack:
            continue
        opener = stack.pop()
        if text[close - 1] == "]" and _WIKILINK.fullmatch(text, opener, close + 1):
            continue  # `[[A]](x)` is a wikilink followed by text
        embed = opener > 0 and text[opener - 1] == "!"
        if not embed:
            # A link cannot contain a link: the brackets before it no longer open one.
            stack.clear()
        dest = m.group(1) if m.group(1) is not None else m.group(2)
        target = _md_target(dest)
        if target:
            found.append((opener - 1 if embed else opener, target, "md", embed))


def _md_target(dest: str) -> str | None:
    """The vault path a Markdown link destination names (decoded, no `.md`), or None."""
    dest = dest.strip()
    if not dest or dest[0] == "#" or dest.startswith("//") or _SCHEME.match(dest):
        return None
    path = dest.partition("#")[0]
    if "\\" in path:
        path = _MD_ESCAPE.sub(r"\1", path)
    if "%" in path:
        path = unquote(path)
    path = path.strip()
    if path[-3:].lower() == ".md":
        path = path[:-3]
    if not path or path.endswith("/"):
        return None
    return path


# -- masking code, comments and managed blocks -------------------------------------------


def _contains(text: str, needle: str) -> bool:
    return needle[0] in text and needle in text


def _masked(text: str) -> str:
    """`text` with code, HTML comments and managed blocks overwritten (newlines kept)."""
    spans: list[tuple[int, int]] = []
    needles = [n for n in ("```", "~~~", "<!--") if _contains(text, n)]
    blocks = _block_spans(text, needles) if needles else []
    pos = 0
    for start, end in blocks:
        if start > pos:
            _inline_spans(text, pos, start, spans)
        spans.append((start, end))
        pos = end
    if pos < len(text):
        _inline_spans(text, pos, len(text), spans)
    if not spans:
        return text
    pieces: list[str] = []
    pos = 0
    for start, end in spans:
        pieces.append(text[pos:start])
        span = text[start:end]
        if "\n" in span:
            pieces.append("\n".join(map(_MASK.__mul__, map(len, span.split("\n")))))
        else:
            pieces.append(_MASK * len(span))
        pos = end
    pieces.append(text[pos:])
    return "".join(pieces)


@lru_cache(maxsize=64)
def _managed_end(name: str) -> re.Pattern[str]:
    return re.compile(r"^<!--[ \t]+vaultkit:end[ \t]+" + re.escape(name) + r"[ \t]+-->[ \t\r]*$", re.M)


def _block_spans(text: str, needles: list[str] | None = None) -> list[tuple[int, int]]:
    """Spans of fenced code blocks, managed blocks and comments that start a line.

    Block structure comes before inline structure (as in CommonMark), so this runs first
    and the inline scan only sees the text between these spans. What a code fence is,
    is `markers.next_fence`'s to say (the marker scan uses the same rule).
    """
    spans: list[tuple[int, int]] = []
    n = len(text)
    if needles is None:
        needles = [x for x in ("```", "~~~", "<!--") if _contains(text, x)]
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
        line_start = m.start()
        line_end = text.find("\n", line_start)
        if line_end == -1:
            line_end = n
        begin = _MANAGED_BEGIN.match(text, line_start)
        if begin:
            close = _search_lines(_managed_end(begin.group(1)), text, line_end + 1, "<!--", False)
            end = close.end() if close else n
            spans.append((line_start, end))
        else:
            start = m.start(1)
            close = text.find("-->", start + 2)
            end = close + 3 if close != -1 else n
            spans.append((start, end))
        pos = end
    return spans


def _search_lines(pattern: re.Pattern[str], text: str, pos: int, literal: str,
                  indented: bool) -> re.Match[str] | None:
    """`pattern.search(text, pos)` for a multi-line pattern that matches only lines which
    start with `literal` (after blanks, if `indented`): found with str.find, since the
    engine would try the pattern at every position of the text."""
    i = text.find(literal, pos)
    while i >= 0:
        line_start = text.rfind("\n", 0, i) + 1
        if line_start >= pos and (line_start == i or (indented and not text[line_start:i].strip(" \t"))):
            m = pattern.match(text, line_start)
            if m is not None:
                return m
        i = text.find(literal, i + 1)
    return None


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
    breaks = [m.start() for m in _PARA_BREAK.finditer(text, a, b)]

    def paragraph_end(pos: int) -> int:
        i = bisect_right(breaks, pos)
        return breaks[i] if i < len(breaks) else b

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


# -- front-matter ----------------------------------------------------------------------


def property_links(key: str, value: object, line: int) -> list[Link]:
    """The links in one front-matter value (`key` lower-cased, `value` as PyYAML loaded it).

    `[[...]]` in any string is a wikilink, and so is a one-element list of a string inside
    a list (YAML's reading of an unquoted `[[Name]]`). In a link-valued property
    (`LINK_PROPERTIES`) other strings are `plain` links, matched by name. Every link gets
    `line` and `prop=key`.
    """
    out: list[Link] = []
    _property_links(value, key, line, key in LINK_PROPERTIES, False, 0, set(), out)
    return out


def _property_links(value: object, key: str, line: int, plain: bool, nested: bool, depth: int,
                    seen: set[int], out: list[Link]) -> None:
    if isinstance(value, (list, tuple, dict)):
        # A YAML alias makes one object appear many times (a "billion laughs" value is
        # small on disk): each container is read once, and nesting is bounded.
        if depth > _MAX_DEPTH or id(value) in seen:
            return
        seen.add(id(value))
    if isinstance(value, str):
        if "[[" in value:
            for m in _WIKILINK.finditer(value):
                target = _wiki_target(m.group(1))
                if target:
                    embed = m.start() > 0 and value[m.start() - 1] == "!"
                    out.append(Link(sys.intern(target), "wiki", line, key, embed))
        elif plain:
            target = value.strip()
            if target:
                out.append(Link(sys.intern(target), "plain", line, key))
    elif isinstance(value, (list, tuple)):
        if nested and len(value) == 1 and isinstance(value[0], str) and "[[" not in value[0]:
            target = _wiki_target(value[0])
            if target:
                out.append(Link(sys.intern(target), "wiki", line, key))
            return
        for item in value:
            _property_links(item, key, line, plain, True, depth + 1, seen, out)
    elif isinstance(value, dict):
        for item in value.values():
            _property_links(item, key, line, plain, False, depth + 1, seen, out)


_SHOWN_WIKILINK = re.compile("!?" + _WIKILINK.pattern)


def is_wikilink(text: str) -> bool:
    """Whether `text` is one whole wikilink (`[[People/Ann#Intro|Ann]]`)."""
    return _WIKILINK.fullmatch(text) is not None

def shown_text(text: str) -> str:
    """`text` with each wikilink replaced by what it shows: its alias, else its target's
    base name without heading (`[[People/Ann#Intro]]` -> `Ann`)."""
    if "[[" not in text:
        return text
    return _SHOWN_WIKILINK.sub(_shown_of, text)

def _shown_of(m: re.Match[str]) -> str:
    target, bar, alias = m.group(1).partition("|")
    if bar:
        return alias
    return target.partition("#")[0].rsplit("/", 1)[-1]


# == vault.py ==========================================================================

_YAML = None  # (yaml, python-frontmatter's YAML handler, loader), imported on first use


def _yaml():
    """PyYAML and python-frontmatter, imported when the first front-matter is read, so that
    a sync with nothing to read does not pay for them."""
    global _YAML, _SIMPLE, _SIMPLE_UNSAFE
    if _YAML is None:
        import yaml
        from frontmatter.default_handlers import YAMLHandler

        try:  # PyYAML's C loader parses front-matter ~5x faster than the pure-Python one.
            loader = yaml.CSafeLoader
        except AttributeError:  # pragma: no cover - depends on how PyYAML was built
            loader = yaml.SafeLoader
        _SIMPLE_UNSAFE = re.compile(_SIMPLE_UNSAFE_CHARS)
        _SIMPLE = _simple_yaml_setup(yaml, loader)
        _YAML = (yaml, YAMLHandler(), lenient_loader(loader))
    return _YAML


# An alias bomb loads fast but explodes when walked: cap the size and the node count.
MAX_FRONTMATTER_BYTES = 64 * 1024
MAX_FRONTMATTER_NODES = 20_000


# ---------------------------------------------------------------------------------------
# Parsing

_KEY_LINE = re.compile(r"^([^\s#:'\"\[{-][^:\n]*?)\s*:(?:\s|$)", re.M)
_DATE_PREFIX = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?:$|[ T])")
# The line that closes front-matter: `---` or `...`, then only whitespace (str.isspace),
# found from the newline before it (a pattern that starts with a literal is searched fast).
_CLOSING_LINE = re.compile(r"\n(?:---|\.\.\.)[^\S\n]*$", re.M)


# -- the common shape of front-matter, read without the YAML machinery -------------------
#
# Most notes' front-matter is a flat list of `key: value` lines: plain, quoted or flow-list
# values and block lists of scalars. `_simple_yaml` reads exactly that shape ~5x faster than
# PyYAML (its Python-level constructor is most of a note's parse), resolving every plain
# scalar with PyYAML's own resolvers and constructors so the values are the same objects
# PyYAML would build. Anything else (comments, nesting, anchors, tags, block scalars,
# escapes, multi-line values, tabs, unusual characters) returns None and goes to PyYAML.

# Characters libyaml accepts in a stream, minus the ones that are line breaks or blanks in
# YAML but not here (tab, CR, NEL, LS, PS) and the BOM: any of those sends the text to PyYAML.
_SIMPLE_UNSAFE_CHARS = "[^\n\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd\U00010000-\U0010ffff]"
_SIMPLE_UNSAFE: re.Pattern[str] | None = None  # compiled by `_yaml()` (3 ms: not at import)
_SIMPLE_KEY = re.compile(r"([A-Za-z_][A-Za-z0-9_-]*):(?: |$)")
_INDICATORS = frozenset("-?:,[]{}#&*!|>'\"%@` ")
_FLOW_UNSAFE = re.compile(r"[,\[\]{}:#'\"]")
_SIMPLE_TAGS = ("tag:yaml.org,2002:null", "tag:yaml.org,2002:bool", "tag:yaml.org,2002:int",
                "tag:yaml.org,2002:float", "tag:yaml.org,2002:timestamp")
_FAIL = object()


def _simple_yaml_setup(yaml, loader):
    from yaml.constructor import SafeConstructor
    from yaml.resolver import Resolver
    # Only when the loader resolves and constructs exactly like PyYAML's SafeLoader.
    if loader.yaml_implicit_resolvers is not Resolver.yaml_implicit_resolvers:
        return None
    if any(loader.yaml_constructors.get(t) is not SafeConstructor.yaml_constructors.get(t)
           for t in _SIMPLE_TAGS):
        return None
    return (Resolver.yaml_implicit_resolvers, loader.yaml_constructors, SafeConstructor(),
            yaml.nodes.ScalarNode)


_SIMPLE = None  # set by `_yaml()`
_PLAIN_MEMO: dict[str, object] = {}  # plain scalar -> its value, for those that are not str
_PLAIN_STR: set[str] = set()  # plain scalars known to be strings (keys, statuses, tags...)


def _plain(text: str):
    """A plain scalar as PyYAML would construct it, or _FAIL for a tag not handled here."""
    resolvers, constructors, constructor, node_type = _SIMPLE
    candidates = resolvers.get(text[0])
    if candidates is None or text in _PLAIN_STR:
        return text
    for tag, regexp in candidates:
        if regexp.match(text):
            break
    else:
        if len(_PLAIN_STR) < 4096:
            _PLAIN_STR.add(text)
        return text
    if tag not in _SIMPLE_TAGS:
        return _FAIL
    value = _PLAIN_MEMO.get(text, _FAIL)
    if value is _FAIL:
        try:
            value = constructors[tag](constructor, node_type(tag, text))
        except Exception:  # noqa: BLE001 - PyYAML raises it again, as it always did
            return _FAIL
        if len(_PLAIN_MEMO) < 4096:
            _PLAIN_MEMO[text] = value  # ints, floats, bools, None, dates: immutable
    return value


def _scalar_value(text: str, flow: bool):
    """One value: a quoted string without escapes, a plain scalar, or (outside a flow list)
    a flow list of those; _FAIL for anything else."""
    text = text.rstrip(" ")
    if not text:
        return _FAIL
    c = text[0]
    if c == '"' or c == "'":
        inner = text[1:-1]
        if len(text) < 2 or text[-1] != c or c in inner or "\\" in inner:
            return _FAIL
        return inner
    if c == "[":
        if flow or text[-1] != "]":
            return _FAIL
        inner = text[1:-1]
        if not inner.strip(" "):
            return []
        items = []
        for part in inner.split(","):
            part = part.strip(" ")
            if not part:
                return _FAIL
            if part[0] not in "\"'" and _FLOW_UNSAFE.search(part):
                return _FAIL
            value = _scalar_value(part, True)
            if value is _FAIL:
                return _FAIL
            items.append(value)
        return items
    if c in _INDICATORS or ": " in text or text[-1] == ":" or " #" in text:
        return _FAIL
    return _plain(text)


def _simple_yaml(yaml_text: str) -> tuple[dict, dict[str, int], int] | None:
    """(mapping, first line of each lower-cased key, node count) for front-matter of the
    simple shape, exactly as PyYAML's safe loader would read it; None otherwise."""
    if _SIMPLE is None or _SIMPLE_UNSAFE.search(yaml_text) is not None:
        return None
    lines = yaml_text.split("\n")
    if lines[-1] == "":
        lines.pop()
    meta: dict = {}
    key_lines: dict[str, int] = {}
    nodes = 1
    n = len(lines)
    i = 0
    while i < n:
        line = lines[i]
        m = _SIMPLE_KEY.match(line)
        if m is None:
            return None
        key = m.group(1)
        if len(key) > 200:
            return None  # libyaml's limit on a simple key's length
        if key[0] in _SIMPLE[0] and _plain(key) is not key:
            return None  # `on:`, `null:`…: a key PyYAML reads as a bool or None
        folded = key.lower()
        if folded in key_lines:  # YAML keeps the last value of a repeated key
            key_lines.setdefault("__repeated__", []).append((folded, key_lines[folded], i + 2))
        key_lines[folded] = i + 2
        rest = line[m.end():].strip(" ")
        i += 1
        if rest:
            value = _scalar_value(rest, False)
            if value is _FAIL:
                return None
        elif i < n and lines[i].lstrip(" ")[:2] == "- ":
            item = lines[i]
            prefix = item[:len(item) - len(item.lstrip(" "))] + "- "
            width = len(prefix)
            value = []
            while i < n and lines[i].startswith(prefix):
                entry = lines[i][width:]
                if entry[:1] == " ":
                    return None
                v = _scalar_value(entry, False)
                if v is _FAIL or isinstance(v, list):
                    return None
                value.append(v)
                i += 1
        else:
            value = None
        meta[key] = value
        nodes += 2 + (len(value) if isinstance(value, list) else 0)
    return meta, key_lines, nodes


def block_digest(inner: str) -> str:
    """What a record's `blocks` holds for a managed block's content (`\n` line ends)."""
    return hashlib.sha256(inner.encode()).hexdigest()


def parse_note(path: str, data: bytes, size: int | None = None, mtime_ns: int = 0,
               kind_folders: tuple[tuple[str, str], ...] = ()) -> NoteRecord:
    """Parse one note's bytes into a NoteRecord. Never raises for bad input: problems are
    recorded on the record (`ok=False` when the note must not be written). `kind_folders`:
    see `kinds.kind_of` (the cache keeps records per value of it)."""
    rec = NoteRecord(path=path, size=len(data) if size is None else size, mtime_ns=mtime_ns)
    rec.sha256 = hashlib.sha256(data).hexdigest()
    rec.name = _stem(path)
    bom = data.startswith(b"\xef\xbb\xbf")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        return _broken(rec, Problem(path, "not valid UTF-8 — the note is left untouched; re-save it as UTF-8",
                                    "encoding", line))
    rec.bom = bom
    nl = text.find("\n")
    rec.crlf = nl > 0 and text[nl - 1] == "\r"
    warnings: list[tuple] = []  # (line, message[, kind])
    if nl < 0 and "\r" in text:
        # Old Mac line endings: read as lines (the writer keeps them; doctor mentions them).
        text = text.replace("\r", "\n")
        warnings.append((1, "the note's lines end in CR only (old Mac line endings) — vaultkit reads and "
                            "keeps them, but other tools may not: save it with LF line endings", "line-endings"))

    meta, body, body_line, problem = split_frontmatter(path, text)
    if problem is not None:
        return _broken(rec, problem)
    scalar = meta.pop("__scalar__", None)
    if scalar is not None:
        warnings.append((2, f"the front-matter is a single value ({scalar}), not properties — it is read "
                            "as text; write `key: value` lines, or begin the note with something other "
                            "than `---`", "frontmatter"))

    fields, links = _read_properties(path, meta, text, warnings)
    key_lines = fields.pop("_lines", {})
    rec.kind = kindmod.kind_of(path, fields, warnings, kind_folders, key_lines)
    name = fields.pop("name", None)
    if isinstance(name, str) and name.strip():
        rec.name = name.strip()
    rec.aliases = tuple(fields.pop("aliases", ()) or ())
    if "[" in body:
        links.extend(extract_links(body, body_line))
    rec.links = tuple(links)

    if rec.kind == INTERVIEW:
        discussed = discussed_points(body)
        if discussed:
            fields["discussed"] = discussed
    _check_fields(rec.kind, fields, warnings, key_lines)
    rec.fields = fields

    if "<" in text and "<!-- vaultkit:" in text:
        # One scan for both `check_markers` and `block_spans` of write.py.
        markers = scan_markers(text)
        exc = markers.problem
        if exc is None:
            rec.blocks = {name: block_digest(text[s:e].replace("\r\n", "\n")) for name, s, e in markers.pairs}
            for name, s, e in markers.pairs:
                if name == "follow-ups":
                    ticks = ticked_lines(text[s:e])
                    if ticks:
                        rec.fields["ticks"] = ticks  # recorded by the next pass (see ticks.py)
        else:
            rec.marker_error = exc.message
            rec.problems = (Problem(path, f"{exc.message} — the note is left untouched; fix its "
                                          f"vaultkit markers", "markers", exc.line),)
    if warnings:
        rec.fields["_warnings"] = warnings
    return rec


def _broken(rec: NoteRecord, problem: Problem) -> NoteRecord:
    rec.ok = False
    rec.problems = (problem,)
    return rec


def _stem(path: str) -> str:
    name = path.rsplit("/", 1)[-1]
    return name[:-3] if name.endswith(".md") else name


def split_frontmatter(path: str, text: str) -> tuple[dict, str, int, Problem | None]:
    """(properties, body, first line of the body, problem) for a decoded note.

    The front-matter is never re-dumped: we only read it. A leading `---` horizontal rule
    whose "YAML" is not a mapping is a note without front-matter.
    """
    if not text.startswith("---"):
        return {}, text, 1, None
    first_end = text.find("\n")
    if first_end < 0 or text[3:first_end].strip():
        return {}, text, 1, None
    # Find the closing `---` (or `...`) line.
    close = _CLOSING_LINE.search(text, first_end)
    close_start = -1 if close is None else close.start() + 1
    if close_start < 0:
        after = text[first_end + 1:].lstrip("\r\n")
        if _KEY_LINE.match(after):
            return {}, text, 1, Problem(path, "front-matter has no closing `---` line — add one",
                                        "frontmatter", 1)
        return {}, text, 1, None
    yaml_text = text[first_end + 1:close_start]
    end = text.find("\n", close_start)
    body = "" if end < 0 else text[end + 1:]
    body_line = text.count("\n", first_end + 1, close_start) + 3
    if len(yaml_text.encode("utf-8", "surrogatepass")) > MAX_FRONTMATTER_BYTES:
        return {}, text, 1, Problem(path, f"front-matter is larger than {MAX_FRONTMATTER_BYTES // 1024} KB — "
                                          "the note is left untouched", "frontmatter", 1)
    if not yaml_text.strip():
        return {}, body, body_line, None
    yaml, handler, loader = _yaml()
    simple = _simple_yaml(yaml_text)
    if simple is not None:
        meta, key_lines, nodes = simple
        if nodes > MAX_FRONTMATTER_NODES:
            return {}, text, 1, Problem(path, "front-matter expands to too many values (YAML aliases?) — "
                                              "the note is left untouched", "frontmatter", 1)
        meta["__lines__"] = key_lines
        return meta, body, body_line, None
    try:
        meta = handler.load(yaml_text, Loader=loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 2 if mark is not None else 1
        what = exc.problem or exc.context or "invalid YAML"
        hint = " (tabs are not allowed for indentation)" if "\t" in yaml_text and "tab" in str(exc) else ""
        return {}, text, 1, Problem(path, f"front-matter is not valid YAML: {what}{hint} — quote values "
                                          "that contain ': ' or start with '[', '{', '#'", "frontmatter", line)
    except yaml.YAMLError as exc:
        return {}, text, 1, Problem(path, f"front-matter is not valid YAML: {exc}", "frontmatter", 1)
    except (ValueError, TypeError, OverflowError) as exc:
        # PyYAML's constructors raise these for `date: 2026-02-30`, `!!int abc`, huge ints.
        return {}, text, 1, Problem(path, f"front-matter has a value YAML cannot read: {exc} — "
                                          "quote it to keep it as text", "frontmatter", 1)
    except RecursionError:
        return {}, text, 1, Problem(path, "front-matter is nested too deeply", "frontmatter", 1)
    if meta is None:
        return {}, body, body_line, None
    if isinstance(meta, dict):
        if _node_count(meta, MAX_FRONTMATTER_NODES) > MAX_FRONTMATTER_NODES:
            return {}, text, 1, Problem(path, "front-matter expands to too many values (YAML aliases?) — "
                                              "the note is left untouched", "frontmatter", 1)
        meta["__lines__"] = _key_lines(yaml_text)
        return meta, body, body_line, None
    if isinstance(meta, (str, int, float, dt.date)):
        # `---\nIntro\n\n---` is a horizontal rule, not front-matter: keep every line as body
        # (the caller reports the single value: Obsidian reads the lines as front-matter).
        shown = " ".join(str(meta).split())
        return {"__scalar__": shown if len(shown) <= 40 else shown[:39] + "…"}, text, 1, None
    return {}, text, 1, Problem(path, f"front-matter is a {type(meta).__name__}, not a mapping of "
                                      "properties — write `key: value` lines", "frontmatter", 2)


def _node_count(value, budget: int) -> int:
    """Count values in a loaded YAML tree, stopping once over budget (alias bombs)."""
    count = 0
    stack = [value]
    while stack:
        v = stack.pop()
        count += 1
        if count > budget:
            return count
        if isinstance(v, dict):
            stack.extend(v.keys())
            stack.extend(v.values())
        elif isinstance(v, list):
            stack.extend(v)
    return count


def _key_lines(yaml_text: str) -> dict:
    """The line of each top-level property (lower-cased), in the whole note: the last one
    when a key is repeated (YAML keeps the last value). Repeated keys are listed under
    `__repeated__` as (key, line) pairs."""
    lines: dict = {}
    repeated = []
    line = 2
    pos = 0
    for m in _KEY_LINE.finditer(yaml_text):
        line += yaml_text.count("\n", pos, m.start())
        pos = m.start()
        key = m.group(1).strip().lower()
        if key in lines:
            repeated.append((key, lines[key], line))
        lines[key] = line
    if repeated:
        lines["__repeated__"] = repeated
    return lines


_LINK_ALIASES = {"org": "company", "people": "contact"}
_SCALAR_FIELDS = ("type", "role", "field", "email", "phone", "linkedin", "status", "medium", "website",
                  "relationship", "generated_by", "vaultkit_key", "title", "first_name")
_DATE_FIELDS = ("date", "last_contacted", "next_follow_up")


def _read_properties(path: str, meta: dict, text: str,
                     warnings: list[tuple[int, str]]) -> tuple[dict, list[Link]]:
    """Normalise the properties vaultkit uses; collect every link in front-matter values."""
    key_lines = meta.pop("__lines__", {})
    fields: dict = {"_lines": key_lines}
    for key, first, line in key_lines.pop("__repeated__", ()):
        warnings.append((line, f"{key}: repeated key (also on line {first}) — only this last value is "
                               "used; remove the other"))
    links: list[Link] = []
    for raw_key, value in meta.items():
        if not isinstance(raw_key, str):
            raw_key = str(raw_key)
        # Keys and the short values many notes share (types, statuses, dates, tags) are
        # interned: one string for all notes instead of one each (RAM at 50k notes).
        key = sys.intern(raw_key.strip().lower())
        line = key_lines.get(key, 2)
        canon = _LINK_ALIASES.get(key, key)
        if canon in ("company", "contact", "referred_by", "referrals") and not link_shaped(value):
            warnings.append((line, f"{raw_key}: {shown(value)} is not a name or a link — write "
                                   f"{raw_key}: \"[[Name]]\" (or a list of those)"))
            value = None
        if canon in ("company", "contact", "referred_by", "referrals") or _has_link(value):
            links.extend(property_links(key, value, line))
        if canon == "company":
            # DELIBERATE CHANGE since the copy (issue 18): this used to assign the company's
            # text to `text`, the note's text, which `time` below reads its raw value from
            # (AttributeError after an empty `company:`; the loaded value shown after any other).
            first = _first_text(value)
            if fields.get("company_text") is None or (key == "company" and first is not None):
                fields["company_text"] = _interned(first)
        elif key == "categories" or key == "category":
            names = [sys.intern(kindmod.category_name(c)) for c in _texts(value)]
            fields["categories"] = fields.get("categories", []) + [n for n in names if n]
        elif key == "name":
            if value is not None and not isinstance(value, (list, dict)):
                fields["name"] = str(value)
        elif key == "aliases" or key == "alias":
            fields["aliases"] = [a for a in _texts(value) if a]
        elif key in _SCALAR_FIELDS:
            if value is not None and not isinstance(value, (list, dict)):
                fields[key] = sys.intern(_scalar(value))
            elif key == "type" and isinstance(value, list):  # (change since the copy: a `type:` list is kept)
                fields[key] = [sys.intern(t) for t in _texts(value) if t]
        elif key in _DATE_FIELDS:
            d = as_date(value)
            if d is None and value not in (None, ""):
                warnings.append((line, f"{raw_key}: {date_trouble(value)}"))
                fields.setdefault("_bad", []).append(key)
            fields[key] = _interned(d)
        elif key == "time":
            t = as_time(value)
            if t is not None and not TIME.fullmatch(t):
                written = raw_value(text, line) or t
                warnings.append((line, f"{raw_key}: not a time of day: {written} — write HH:MM, 00:00 to 23:59"))
                t = None
            fields["time"] = _interned(t)
        elif key == "thank_you_sent" or key == "sent":
            sent = as_sent(value)
            if sent is None and isinstance(value, str) and _DATE_PREFIX.match(value.strip()):
                warnings.append((line, f"{raw_key}: {date_trouble(value)}"))
            fields[key] = _interned(sent)
        elif key in ("goals", "tags"):
            fields[key] = [sys.intern(t) for t in _texts(value) if t]
    return fields, links


def _interned(value):
    return sys.intern(value) if type(value) is str else value


def _has_link(value) -> bool:
    if isinstance(value, str):
        return "[[" in value
    if isinstance(value, list):
        return any(_has_link(v) or isinstance(v, list) for v in value)
    if isinstance(value, dict):
        return any(_has_link(v) for v in value.values())
    return False


def _scalar(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value).strip()


def _texts(value) -> list[str]:
    """A property value as a flat list of strings (nested-list wikilinks kept as [[x]])."""
    if value is None:
        return []
    if isinstance(value, list):
        out: list[str] = []
        for v in value:
            if isinstance(v, list) and len(v) == 1 and isinstance(v[0], str):
                out.append(f"[[{v[0]}]]")
            elif isinstance(v, (list, dict)):
                continue
            elif v is not None:
                out.append(_scalar(v))
        return out
    if isinstance(value, dict):
        return []
    return [_scalar(value)]


def _first_text(value) -> str | None:
    texts = _texts(value)
    if not texts:
        return None
    t = texts[0]
    if t.startswith("[[") and is_wikilink(t):
        return shown_text(t).strip() or None
    return t or None


def as_date(value) -> str | None:
    """A YAML date, datetime or `YYYY-MM-DD…` string as an ISO date string, else None."""
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, str):
        m = _DATE_PREFIX.match(value.strip())
        if m:
            t = TIME_PART.match(value.strip(), m.end())
            if t and (int(t.group(1)) > 23 or int(t.group(2)) > 59):
                return None  # `2026-01-01T25:00`: no such time, so no such moment
            try:
                return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3))).isoformat()
            except ValueError:
                return None
    return None


def as_time(value) -> str | None:
    """`14:30`; YAML 1.1 reads an unquoted 12:30 as the integer 750 (base 60)."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int):
        if 0 <= value < 24 * 60:
            return f"{value // 60:02d}:{value % 60:02d}"
        return str(value)
    if isinstance(value, dt.time):
        return value.strftime("%H:%M")
    text = str(value).strip()
    return text or None


def as_sent(value) -> str | bool | None:
    """`true` or a date (ISO string) when sent; False/None when not."""
    if isinstance(value, bool):
        return value
    d = as_date(value)
    if d is not None:
        return d
    if isinstance(value, str) and value.strip().lower() in ("yes", "true", "sent"):
        return True
    return None


def _check_fields(kind: str, fields: dict, warnings: list[tuple[int, str]], lines: dict | None = None) -> None:
    lines = lines or {}
    bad = fields.pop("_bad", ())
    status = fields.get("status")
    if status is not None:
        fields["status"] = status = status.lower()
    if kind == CONTACT and status is not None and status not in CONTACT_STATUSES:
        warnings.append((lines.get("status", 2),
                         f"status: unknown contact status {status!r} (one of {', '.join(CONTACT_STATUSES)})"))
    if kind == INTERVIEW:
        if status is not None and status not in INTERVIEW_STATUSES:
            warnings.append((lines.get("status", 2), f"status: unknown interview status {status!r} "
                                                     f"(one of {', '.join(INTERVIEW_STATUSES)})"))
        if not fields.get("date") and "date" not in bad:
            warnings.append((lines.get("date", 2), "date: an interview needs a date (YYYY-MM-DD)"))
