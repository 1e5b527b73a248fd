"""Extracting links from notes and resolving them the way Obsidian does.

Pure: text and names in, `Link`s and vault paths out; no disk, no third-party imports.

- `extract_links` finds the wikilinks, embeds and Markdown links of a note's body, skipping
  fenced code, inline code, HTML comments and vaultkit's managed blocks.
- `property_links` finds the links in one front-matter property value as PyYAML loaded it.
- `Resolver` maps a `Link` to the path of the note it points at; it is updated one note at
  a time (`add`, `remove`) so that the watcher never rebuilds it.
- `wikilink` builds a `[[target|shown]]` that cannot be broken by the text put into it.
"""

from __future__ import annotations

import logging
import re
import unicodedata
import sys
from bisect import bisect_right
from functools import lru_cache
from typing import Iterable, Sequence
from urllib.parse import unquote

from .markers import next_fence
from .comments import masked_comments
from .model import LINK_PROPERTIES, Link

log = logging.getLogger(__name__)

# Masked text (code, comments, managed blocks) is overwritten with this character, which
# no link pattern accepts, so a link can neither start in nor reach into masked text.
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


# -- resolution ------------------------------------------------------------------------


def _key(text: str) -> str:
    """The case-insensitive lookup key of a name or path, in NFC: macOS and Syncthing can
    leave file names in NFD while links are typed in NFC."""
    return text.lower() if text.isascii() else unicodedata.normalize("NFC", text).lower()


def _basename(path: str) -> str:
    return path.rsplit("/", 1)[-1]


def _stem(path: str) -> str:
    base = path.rsplit("/", 1)[-1]
    return base[:-3] if base.endswith(".md") else base


def _folder(path: str) -> str:
    return path.rpartition("/")[0]


def _normalise(path: str) -> str | None:
    """`path` with `.` and `..` segments applied; None if it climbs above the vault root."""
    parts: list[str] = []
    for part in path.split("/"):
        if part in ("", "."):
            continue
        if part == "..":
            if not parts:
                return None
            parts.pop()
        else:
            parts.append(part)
    return "/".join(parts)


# The lookup dicts map a key to its paths. Nearly every key has one path, and a set costs
# 200+ bytes, so a key with one path maps to the path itself (a str), one with more to a
# set of them; `_paths` reads either as a collection.

def _add(index: dict[str, str | set[str]], key: str, path: str) -> None:
    bucket = index.get(key)
    if bucket is None:
        index[key] = path
    elif type(bucket) is str:
        if bucket != path:
            index[key] = {bucket, path}
    else:
        bucket.add(path)


def _discard(index: dict[str, str | set[str]], key: str, path: str) -> None:
    bucket = index.get(key)
    if bucket is None:
        return
    if type(bucket) is str:
        if bucket == path:
            del index[key]
        return
    bucket.discard(path)
    if len(bucket) == 1:
        index[key] = next(iter(bucket))
    elif not bucket:
        del index[key]


def _paths(index: dict[str, str | set[str]], key: str) -> tuple[str] | set[str] | None:
    bucket = index.get(key)
    return (bucket,) if type(bucket) is str else bucket


class Resolver:
    """Resolves links to note paths like Obsidian does, updated incrementally.

    `notes` are `(path, name, aliases)`: a vault-relative POSIX path ending in `.md`, the
    display name and the aliases. `attachments` are the vault's other files (`img/a.png`),
    so that embeds of them resolve. Every lookup goes through dicts keyed by lower-cased
    base name, path, name or alias: no call scans the vault.
    """

    def __init__(self, notes: Iterable[tuple[str, str, Sequence[str]]] = (),
                 attachments: Iterable[str] = ()):
        self._notes: dict[str, tuple[str, tuple[str, ...]]] = {}
        self._attachments: set[str] = set()
        # (see `_add`: a key's paths are one str or a set of them)
        self._by_path: dict[str, str | set[str]] = {}  # lower-cased path -> paths (notes, attachments)
        self._by_stem: dict[str, str | set[str]] = {}  # lower-cased stem -> note paths
        self._by_file: dict[str, str | set[str]] = {}  # lower-cased file name -> attachment paths
        self._by_name: dict[str, str | set[str]] = {}
        self._by_alias: dict[str, str | set[str]] = {}
        # Choices among several same-named notes, per lower-cased stem, by (name as
        # written, source folder); dropped whenever a note of that stem comes or goes.
        self._ties: dict[str, dict[tuple[str, str], tuple[str | None, bool]]] = {}
        for path, name, aliases in notes:
            self.add(path, name, aliases)
        for path in attachments:
            self.add_attachment(path)

    # -- updates -----------------------------------------------------------------------

    def add(self, path: str, name: str = "", aliases: Sequence[str] = ()) -> None:
        """Add (or update) the note at `path`; a path without `.md` is an attachment."""
        if not path.endswith(".md"):
            self.add_attachment(path)
            return
        if path in self._notes:
            self.remove(path)
        clean = tuple(dict.fromkeys(a.strip() for a in aliases if isinstance(a, str) and a.strip()))
        self._notes[path] = (name, clean)
        stem_key = _key(_stem(path))
        _add(self._by_path, _key(path), path)
        _add(self._by_stem, stem_key, path)
        self._ties.pop(stem_key, None)
        if name:
            name_key = _key(name)
            # Most notes are named as their file: one key string for both maps.
            _add(self._by_name, stem_key if name_key == stem_key else name_key, path)
        for alias in clean:
            _add(self._by_alias, _key(alias), path)

    def add_attachment(self, path: str) -> None:
        """Add a non-note file (`img/a.png`), so that links and embeds to it resolve."""
        if path in self._attachments:
            return
        self._attachments.add(path)
        _add(self._by_path, _key(path), path)
        _add(self._by_file, _key(_basename(path)), path)

    def remove(self, path: str) -> None:
        """Forget the note or attachment at `path` (nothing happens if it is unknown)."""
        entry = self._notes.pop(path, None)
        if entry is not None:
            name, aliases = entry
            stem_key = _key(_stem(path))
            _discard(self._by_path, _key(path), path)
            _discard(self._by_stem, stem_key, path)
            self._ties.pop(stem_key, None)
            if name:
                _discard(self._by_name, _key(name), path)
            for alias in aliases:
                _discard(self._by_alias, _key(alias), path)
        elif path in self._attachments:
            self._attachments.discard(path)
            _discard(self._by_path, _key(path), path)
            _discard(self._by_file, _key(_basename(path)), path)

    def __contains__(self, path: str) -> bool:
        return path in self._notes or path in self._attachments

    def __len__(self) -> int:
        return len(self._notes)

    # -- queries -----------------------------------------------------------------------

    def resolve(self, link: Link, source: str) -> str | None:
        """The vault path `link` (written in the note at `source`) points at, or None.

        A note's path ends in `.md`; an embed may also resolve to an attachment.
        """
        target = link.target
        style = link.style
        if style != "plain" and "/" not in target:
            # The common case, kept free of calls: a bare name that only one note has.
            path = self._by_stem.get(_key(target))
            if type(path) is str:  # one note has that name
                if style == "wiki":
                    return path
                # A Markdown link looks in its own folder first, where only an
                # attachment of that very name could beat the one note.
                folder = source.rpartition("/")[0]
                if _key(f"{folder}/{target}" if folder else target) not in self._by_path:
                    return path
        return self._resolve(link, source)[0]

    def is_ambiguous(self, link: Link, source: str) -> bool:
        """Whether resolving `link` had to choose among several candidates."""
        return self._resolve(link, source)[1]

    def ambiguous_names(self) -> list[tuple[str, list[str]]]:
        """Every base name shared by two or more notes (case-insensitively), with the
        sorted paths; the name as spelled by the first path. Sorted."""
        out = []
        for paths in self._by_stem.values():
            if type(paths) is not str:
                ordered = sorted(paths)
                out.append((_stem(ordered[0]), ordered))
        return sorted(out)

    def notes_named(self, name: str) -> list[str]:
        """The notes whose display name is `name` (case-insensitively)."""
        return sorted(_paths(self._by_name, _key(name)) or ())

    def notes_with_stem_of(self, path: str) -> list[str]:
        """The notes with the same base name as `path` (case-insensitively), itself included
        if known: those whose `link_target_for` may change when a note of that name comes or goes."""
        return sorted(_paths(self._by_stem, _key(_stem(path))) or ())

    def link_target_for(self, path: str) -> str:
        """The wikilink target that resolves to `path`: its stem when no other note has
        that stem (case-insensitively), else the path without `.md`."""
        stem = _stem(path)
        others = _paths(self._by_stem, _key(stem)) or ()
        if all(p == path for p in others):
            return stem
        return path[:-3] if path.endswith(".md") else path

    # -- the rules ---------------------------------------------------------------------

    def _resolve(self, link: Link, source: str) -> tuple[str | None, bool]:
        target = link.target
        style = link.style
        if style == "plain":
            return self._by_plain_text(target, source)
        if style == "md" or target.startswith("./") or target.startswith("../"):
            folder = _folder(source)
            if target.startswith("/"):
                joined = _normalise(target)
            elif "/" not in target and target not in (".", ".."):
                joined = f"{folder}/{target}" if folder else target
            else:
                joined = _normalise(f"{folder}/{target}")
            if joined:
                found = self._at_path(joined, source)
                if found[0] is not None:
                    return found
            # Else by name, like a wikilink, without the relative prefix.
            target = target.lstrip("/")
            while target.startswith("./") or target.startswith("../"):
                target = target.split("/", 1)[1]
        elif target.startswith("/"):
            # Rooted at the vault: `[[/Note]]` means the note at the top, nothing else.
            return self._at_path(target.lstrip("/"), source)
        if "/" in target:
            return self._by_path_or_suffix(target, source)
        return self._by_base_name(target, source)

    def _pick(self, pool: Iterable[str], source: str) -> str:
        """Among several candidates: the one in the source's folder, else the fewest path
        segments, else the first in path order."""
        folder = _folder(source)
        return min(pool, key=lambda p: (_folder(p) != folder, p.count("/"), p))

    def _choose(self, candidates: set[str], exact: Iterable[str], source: str) -> tuple[str | None, bool]:
        if len(candidates) == 1:
            return next(iter(candidates)), False
        pool = list(exact) or list(candidates)
        if len(pool) == 1:
            return pool[0], False
        return self._pick(pool, source), True

    def _by_base_name(self, name: str, source: str) -> tuple[str | None, bool]:
        key = _key(name)
        candidates = _paths(self._by_stem, key)
        if candidates:
            if len(candidates) == 1:
                return next(iter(candidates)), False
            ties = self._ties.get(key)
            if ties is None:
                ties = self._ties[key] = {}
            folder = _folder(source)
            found = ties.get((name, folder))
            if found is None:
                found = ties[(name, folder)] = self._choose(
                    candidates, (p for p in candidates if _stem(p) == name), source)
            return found
        candidates = _paths(self._by_file, key)
        if candidates:
            return self._choose(candidates, (p for p in candidates if _basename(p) == name), source)
        return None, False

    def _at_path(self, path: str, source: str) -> tuple[str | None, bool]:
        """The note `path`.md, else the attachment `path`: exact case, else any case."""
        note = path + ".md"
        if note in self._notes:
            return note, False
        if path in self._attachments:
            return path, False
        for candidate in (note, path):
            same = _paths(self._by_path, _key(candidate))
            if same:
                return self._choose(same, (), source)
        return None, False

    def _by_path_or_suffix(self, target: str, source: str) -> tuple[str | None, bool]:
        found = self._at_path(target, source)
        if found[0] is not None:
            return found
        # Obsidian also lets `[[Target/Note]]` name `a/Target/Note.md`.
        base = _key(_basename(target))
        for index, suffix in ((self._by_stem, target + ".md"), (self._by_file, target)):
            candidates = _paths(index, base)
            if not candidates:
                continue
            lower = "/" + _key(suffix)
            matches = {p for p in candidates if _key(p).endswith(lower)}
            if matches:
                exact = [p for p in matches if p.endswith("/" + suffix)]
                return self._choose(matches, exact, source)
        return None, False

    def _by_plain_text(self, text: str, source: str) -> tuple[str | None, bool]:
        """A plain property value: by file name, then by `name`, then by aliases."""
        text = text.strip()
        if text[-3:].lower() == ".md":
            text = text[:-3]
        if not text:
            return None, False
        if "/" in text:
            found = self._by_path_or_suffix(text.lstrip("/"), source)
        else:
            found = self._by_base_name(text, source)
        if found[0] is not None:
            return found
        key = _key(text)
        candidates = _paths(self._by_name, key)
        if candidates:
            return self._choose(candidates, (p for p in candidates if self._notes[p][0] == text), source)
        candidates = _paths(self._by_alias, key)
        if candidates:
            return self._choose(candidates, (p for p in candidates if text in self._notes[p][1]), source)
        return None, False


# -- building links --------------------------------------------------------------------
#
# The one builder of the links vaultkit writes. A wikilink names its target by file name
# or path; a file whose name a wikilink cannot spell (`C#D.md`, `A|B.md`, ` padded .md`)
# gets a Markdown link with its %-encoded path instead, which Obsidian resolves.

# Line breaks and other control characters: one line, always.
_CONTROL = re.compile(r"[\x00-\x1f\x7f\x85\u2028\u2029]")
# In a target, these end the link, split it, or start a heading / block reference.
_TARGET_UNSAFE = re.compile(r"[\[\]|#^\x00-\x1f\x7f\x85\u2028\u2029]|<!--|-->")
_SHOWN_SAFE = str.maketrans({"[": "(", "]": ")", "|": "¦"})


def one_line(text: str) -> str:
    """Control characters and line breaks as spaces, runs of blanks as one, and HTML
    comment delimiters broken, so that a name can never fake a marker."""
    text = _CONTROL.sub(" ", text)
    text = text.replace("<!--", "<!- -").replace("-->", "- ->")
    return " ".join(text.split())


def safe_shown(shown: str) -> str:
    """Text that can stand inside `[[target|…]]` or `[…](path)` without ending or splitting
    it: one line, `[`/`]` as `(`/`)`, `|` as `¦`."""
    return one_line(shown).translate(_SHOWN_SAFE)


def safe_target(target: str) -> str:
    """The nearest wikilink target to `target`: `[ ] | # ^` and control characters become
    spaces and runs of blanks one space, as in the file names vaultkit makes; `_` if
    nothing is left."""
    return one_line(_TARGET_UNSAFE.sub(" ", target)) or "_"


def nameable(target: str) -> bool:
    """Whether `[[target]]` names exactly `target` (a stem or a path without `.md`)."""
    return (bool(target) and target == target.strip() and "  " not in target
            and not target[-3:].lower() == ".md"  # `[[x.md]]` would name x.md, not x.md.md
            and _TARGET_UNSAFE.search(target) is None)


def wikilink(target: str, shown: str | None = None) -> str:
    """`[[target|shown]]`, or `[[target]]` when `shown` is None, empty or the target.

    The target goes through `safe_target`, the shown text through `safe_shown`: nothing
    put in can end or split the link.
    """
    safe = safe_target(target)
    text = safe_shown(shown) if shown is not None else ""
    if not text or text == safe:
        return f"[[{safe}]]"
    return f"[[{safe}|{text}]]"


def markdown_link(path: str, shown: str, source: str) -> str:
    """`[shown](relative/path.md)`: the vault path `path`, %-encoded, relative to the
    folder of the note `source` that holds the link."""
    from urllib.parse import quote

    here = _folder(source).split("/") if _folder(source) else []
    there = path.split("/")
    common = 0
    while common < min(len(here), len(there) - 1) and here[common] == there[common]:
        common += 1
    rel = [".."] * (len(here) - common) + there[common:]
    return f"[{safe_shown(shown) or '_'}]({quote('/'.join(rel), safe='/')})"


def styled_link(path: str, target: str, name: str, source: str | None, fmt: str) -> str:
    """A Markdown link to the note at `path`, as Obsidian writes one in the format `fmt`
    (its "New link format"): `relative` to the folder of `source`; `absolute` from the
    vault root; `shortest`, the file name alone when `target` (the shortest wikilink
    target) is the stem, else the path from the vault root. Always %-encoded."""
    from urllib.parse import quote

    if fmt == "relative" and source is not None:
        return markdown_link(path, name, source)
    if fmt == "shortest" and "/" not in target:
        return f"[{safe_shown(name) or '_'}]({quote(path.rsplit('/', 1)[-1], safe='/')})"
    return f"[{safe_shown(name) or '_'}]({quote(path, safe='/')})"


def note_link(path: str, target: str, name: str, source: str | None) -> str:
    """The link to the note at `path` from the note `source`: `[[target|name]]` when
    `target` (a stem or path) names it, else a Markdown link (vault-relative without
    `source`)."""
    if nameable(target):
        return wikilink(target, None if name == target else name)
    return markdown_link(path, name, source or "")


# Every wikilink or embed in a text, for reducing links to the text they show.
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
