"""Link syntax: finding links in notes (the way Obsidian does) and building them.

Pure: text and names in, `Link`s and vault paths out; no disk, no third-party imports.

- `extract_links` finds the wikilinks, embeds and Markdown links of a note's body, skipping
  fenced code, inline code, HTML comments and vaultkit's managed blocks.
- `property_links` finds the links in one front-matter property value as PyYAML loaded it.
- Resolving a `Link` to the note it points at is `resolve.Resolver`'s.
- `wikilink` builds a `[[target|shown]]` that cannot be broken by the text put into it.
"""

from __future__ import annotations

import logging
import re
import sys
from urllib.parse import unquote

from .hidden import between, spans
from .model import LINK_PROPERTIES, Link

log = logging.getLogger(__name__)

# Starts with the literal `[[` so the regex engine can skip ahead with a fast search; the
# `!` of an embed is checked by hand. Brackets may not nest, so a failed attempt stops at
# the next bracket: scanning stays linear. (No pattern accepts NUL, which breaks a
# link as it always did.)
_WIKILINK = re.compile(r"\[\[([^\[\]\n\x00]*)\]\]")
# The same, its inner text cut at the first `|` or `#`: (what comes before, the rest or None).
_WIKILINK_PARTS = re.compile(r"\[\[([^\[\]\n\x00|#]*)([|#][^\[\]\n\x00]*)?\]\]")

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

# The rest of a blank line: a line break that ends one clears the open brackets.
_BLANK_REST = re.compile(r"[ \t\r]*\n")

_MAX_DEPTH = 32
_new = tuple.__new__  # a Link made as a tuple: its fields in order, all of them


# -- extraction ------------------------------------------------------------------------


def extract_links(text: str, first_line: int = 1) -> list[Link]:
    """The body links of `text`, in order; `first_line` is the file line `text` starts on.

    Wikilinks and embeds have style `wiki`, Markdown links style `md`. Links inside fenced
    code, inline code, HTML and `%%` comments and managed blocks are left out, and so are
    external URLs, links into the same note (`[[#Heading]]`, `[x](#h)`) and empty targets.
    """
    if "[" not in text:
        return []
    # One pass finds what hides links (code, comments, managed blocks); the link patterns
    # then run over the text between those spans, never over a copy of the note. No link
    # pattern crosses a line break of a span's start, so no link reaches into one.
    segments = between(text, spans(text))
    found: list[tuple[int, str, str, bool]] = []
    for a, b in segments:
        for m in _WIKILINK_PARTS.finditer(text, a, b):
            start = m.start()
            before = text[start - 1] if start > a else ""  # hidden text is neither `\\` nor `!`
            if before == "\\":
                continue
            # (`_wiki_target` of the inner text, without cutting it again)
            target, rest = m.group(1, 2)
            if target[-1:] == "\\" and (rest is None or rest[0] == "|"):  # `[[A\|b]]`: see there
                target = target[:-1]
            target = target.strip()
            if target[-3:].lower() == ".md":
                target = target[:-3].strip()
            if target:
                found.append((start, target, "wiki", before == "!"))
    if "(" in text and "](" in text:
        _markdown_links(text, segments, found)
        found.sort(key=lambda f: f[0])

    links: list[Link] = []
    line = first_line
    last = 0
    for pos, target, style, embed in found:
        line += text.count("\n", last, pos)
        last = pos
        links.append(_new(Link, (sys.intern(target), style, line, None, embed)))  # (as Link(...), faster)
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


def _markdown_links(text: str, segments: list[tuple[int, int]], found: list) -> None:
    """Append the Markdown links in the `segments` of `text` (what `hidden.between` leaves) to
    `found`.

    A `](` is a link only if an unmatched `[` opens its text, as in CommonMark: a stack of
    open brackets is fed with the brackets between one link and the next (not those inside
    a link). The hidden text between segments holds no bracket, but a blank line in it (or
    one that it ends) clears the stack like any blank line. Most links need no stack: when
    the last `[` before `](` has no bracket, line break or escape between, it opens the
    link whatever came before, and after a link nothing is left open. So the brackets are
    fed only when a link is not of that kind.
    """
    stack: list[int] = []
    pending: list[tuple[int, int, int]] = []  # (from, to, segment of to): brackets not fed yet
    j = 0  # the segment the feeding has reached
    starts: set[int] | None = None

    def feed(start: int, close: int, i: int) -> None:
        nonlocal j
        while True:
            sa, sb = segments[j]
            lo = start if start > sa else sa
            hi = close if j == i else sb
            if lo < hi:
                for tok in _BRACKET.finditer(text, lo, hi):
                    t = tok.group()
                    if t == "[":
                        stack.append(tok.start())
                    elif t == "]":
                        if stack:
                            stack.pop()
                    elif t == "\n":
                        stack.clear()
            if j == i:
                return
            na, nb = segments[j + 1]  # the hidden span sb..na lies between
            if text.find("\n\n", sb, na) >= 0 or (
                    text[na - 1] == "\n" and _BLANK_REST.match(text, na, close if j + 1 == i else nb)):
                stack.clear()
            j += 1

    last = 0
    for i, (a, b) in enumerate(segments):
        if b - a < 4 or text.find("](", a, b) < 0:
            continue
        for m in _MD_LINK.finditer(text, a, b):
            close = m.start()
            start, last = last, m.end()
            pending.append((start, close, i))
            if close > a and text[close - 1] == "\\":
                continue
            opener = text.rfind("[", a, close)
            if (opener >= start and (opener == a or text[opener - 1] not in "!\\")
                    and text.find("]", opener, close) < 0 and text.find("\n", opener, close) < 0):
                pending.clear()  # `[text](dest)`: whatever was open before is closed now
                stack.clear()
                embed = False
            else:
                for args in pending:
                    feed(*args)
                pending.clear()
                if not stack:
                    continue
                opener = stack.pop()
                if (close > a and text[close - 1] == "]" and opener >= a
                        and _WIKILINK.fullmatch(text, opener, close + 1)):
                    continue  # `[[A]](x)` is a wikilink followed by text
                if starts is None:
                    starts = {a for a, _ in segments}
                embed = opener > 0 and text[opener - 1] == "!" and opener not in starts
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
        spaced = path.replace("%20", " ")  # (the usual escape, ~15x faster than `unquote`)
        path = spaced if "%" not in spaced else unquote(path)
    path = path.strip()
    if path[-3:].lower() == ".md":
        path = path[:-3]
    if not path or path.endswith("/"):
        return None
    return path


# -- front-matter ----------------------------------------------------------------------


def property_links(key: str, value: object, line: int) -> list[Link]:
    """The links in one front-matter value (`key` lower-cased, `value` as PyYAML loaded it).

    `[[...]]` in any string is a wikilink, and so is a one-element list of a string inside
    a list (YAML's reading of an unquoted `[[Name]]`). In a link-valued property
    (`LINK_PROPERTIES`) other strings are `plain` links, matched by name. Every link gets
    `line` and `prop=key`.
    """
    out: list[Link] = []
    if isinstance(value, str):  # the usual values, a string or a list of them, walked inline
        _string_links(value, key, line, key in LINK_PROPERTIES, out)
    elif isinstance(value, (list, tuple, dict)):
        _property_links(value, key, line, key in LINK_PROPERTIES, False, 0, set(), out)
    return out


def _string_links(value: str, key: str, line: int, plain: bool, out: list[Link]) -> None:
    if "[[" in value:
        for m in _WIKILINK.finditer(value):
            target = _wiki_target(m.group(1))
            if target:
                embed = m.start() > 0 and value[m.start() - 1] == "!"
                out.append(_new(Link, (sys.intern(target), "wiki", line, key, embed)))
    elif plain:
        target = value.strip()
        if target:
            out.append(_new(Link, (sys.intern(target), "plain", line, key, False)))


def _property_links(value: object, key: str, line: int, plain: bool, nested: bool, depth: int,
                    seen: set[int], out: list[Link]) -> None:
    """The links of a list, tuple or dict, as `property_links` says."""
    # A YAML alias makes one object appear many times (a "billion laughs" value is small
    # on disk): each container is read once, and nesting is bounded.
    if depth > _MAX_DEPTH or id(value) in seen:
        return
    seen.add(id(value))
    if isinstance(value, dict):
        items, nested = value.values(), False
    elif nested and len(value) == 1 and isinstance(value[0], str) and "[[" not in value[0]:
        target = _wiki_target(value[0])
        if target:
            out.append(Link(sys.intern(target), "wiki", line, key))
        return
    else:
        items, nested = value, True
    for item in items:
        if isinstance(item, str):
            _string_links(item, key, line, plain, out)
        elif isinstance(item, (list, tuple, dict)):
            _property_links(item, key, line, plain, nested, depth + 1, seen, out)


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


def _folder(path: str) -> str:
    return path.rpartition("/")[0]


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


def wikilink_content(text: str) -> str | None:
    """What is between the brackets when `text` is one whole wikilink or embed
    (`[[People/Ann#Intro|Ann]]` -> `People/Ann#Intro|Ann`); else None."""
    m = _SHOWN_WIKILINK.fullmatch(text)
    return m.group(1) if m else None


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
