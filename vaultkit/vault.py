"""Parsing notes: a note's bytes into a `NoteRecord`. The only user of python-frontmatter.

A note's parsing is a pure function of its bytes (and `[kind_folders]`). What the loaded
properties mean is `properties.py`'s; walking the vault is `scan.py`'s; reading many notes
on two processes is `parallel.py`'s.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import re
import sys

from . import kinds as kindmod
from . import links as linkmod
from .errors import Problem
from .model import INTERVIEW, NoteRecord
from .files import read_settled
from .markers import scan_markers, ticked_lines
from .properties import check_fields, read_properties
from .resolve import stem
from .values import discussed_points, lenient_loader

log = logging.getLogger(__name__)

_YAML = None  # (yaml, python-frontmatter's YAML handler, loader), imported on first use


def _yaml():
    """PyYAML and python-frontmatter, imported when the first front-matter is read, so that
    a sync with nothing to read does not pay for them."""
    global _YAML, _SIMPLE
    if _YAML is None:
        import yaml
        from frontmatter.default_handlers import YAMLHandler

        try:  # PyYAML's C loader parses front-matter ~5x faster than the pure-Python one.
            loader = yaml.CSafeLoader
        except AttributeError:  # pragma: no cover - depends on how PyYAML was built
            loader = yaml.SafeLoader
        _SIMPLE = _simple_yaml_setup(yaml, loader)
        _YAML = (yaml, YAMLHandler(), lenient_loader(loader))
    return _YAML


def preload() -> None:
    """Import the front-matter readers now: before the reader forks a second process, so
    that the two do not each import them (~10 ms of CPU)."""
    _yaml()


# An alias bomb loads fast but explodes when walked: cap the size and the node count.
MAX_FRONTMATTER_BYTES = 64 * 1024
MAX_FRONTMATTER_NODES = 20_000

read_note_bytes = read_settled  # (bytes, size, mtime_ns) of a note, read once it holds still

# ---------------------------------------------------------------------------------------
# Parsing

_KEY_LINE = re.compile(r"^([^\s#:'\"\[{-][^:\n]*?)\s*:(?:\s|$)", re.M)
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
_SIMPLE_UNSAFE: re.Pattern[str] | None = None  # compiled on first use (3 ms: not at import)
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
    # ...and by the table `_plain` takes its shortcuts from (first characters, words).
    table = Resolver.yaml_implicit_resolvers
    if set(table) != _TYPED_FIRST | {""} or any(tag not in ("tag:yaml.org,2002:bool", "tag:yaml.org,2002:null")
                                                for c in _WORD_FIRST for tag, _ in table[c]):
        return None
    return (Resolver.yaml_implicit_resolvers, loader.yaml_constructors, SafeConstructor(),
            yaml.nodes.ScalarNode)


_SIMPLE = None  # set by `_yaml()`
_PLAIN_MEMO: dict[str, object] = {}  # plain scalar -> its value, for those that are not str
_PLAIN_STR: set[str] = set()  # plain scalars known to be strings (keys, statuses, tags...)


# PyYAML resolves a plain scalar by its first character (`yaml.resolver`): a scalar that
# starts with none of these is a string. Words starting with one of the letters (or `~`)
# are bools or null only when they are these very words. An ISO day is a date. Those three
# cases are read here without importing PyYAML (a sync that parses one note saves ~15 ms);
# any other scalar that starts with one of these characters is resolved by PyYAML's own
# resolvers. tests/test_simple_yaml.py holds both to PyYAML's table.
_TYPED_FIRST = frozenset("!&*+-.0123456789<=FNOTYfnoty~")
_WORD_FIRST = frozenset("FNOTYfnoty~")
_WORDS = {**dict.fromkeys(("yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON"), True),
          **dict.fromkeys(("no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF"), False),
          **dict.fromkeys(("~", "null", "Null", "NULL"), None)}
_ISO_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _plain(text: str):
    """A plain scalar as PyYAML would construct it, or _FAIL for a tag not handled here."""
    value = _PLAIN_MEMO.get(text, _FAIL)
    if value is not _FAIL:
        return value
    c = text[0]
    if c not in _TYPED_FIRST or text in _PLAIN_STR:
        return text
    if c in _WORD_FIRST:
        return _WORDS.get(text, text)
    if c in "0123456789" and len(text) == 10 and _ISO_DAY.fullmatch(text):
        try:
            value = dt.date(int(text[:4]), int(text[5:7]), int(text[8:]))
        except ValueError:
            return _FAIL  # PyYAML raises it again, as it always did
    else:
        value = _resolved(text)
        if value is text or value is _FAIL:
            return value
    if len(_PLAIN_MEMO) < 4096:
        _PLAIN_MEMO[text] = value  # ints, floats, bools, None, dates: immutable
    return value


def _resolved(text: str):
    """A plain scalar resolved and constructed by PyYAML's own resolvers and constructors."""
    if _SIMPLE is None:
        _yaml()
        if _SIMPLE is None:  # a loader that is not PyYAML's: the fast path is off
            return _FAIL
    resolvers, constructors, constructor, node_type = _SIMPLE
    for tag, regexp in resolvers.get(text[0], ()):
        if regexp.match(text):
            break
    else:
        if len(_PLAIN_STR) < 4096:
            _PLAIN_STR.add(text)
        return text
    if tag not in _SIMPLE_TAGS:
        return _FAIL
    try:
        return constructors[tag](constructor, node_type(tag, text))
    except Exception:  # noqa: BLE001 - PyYAML raises it again, as it always did
        return _FAIL


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
    global _SIMPLE_UNSAFE
    if _YAML is None and "yaml" in sys.modules:
        _yaml()  # PyYAML is loaded, so it may have been changed: see whether it still reads as its safe loader
    if _YAML is not None and _SIMPLE is None:
        return None  # its loader reads otherwise than PyYAML's safe loader: no fast path
    if yaml_text.isascii():  # then printable is exactly what is safe, and ~10x faster to ask
        if not yaml_text.replace("\n", " ").isprintable():
            return None
    else:
        if _SIMPLE_UNSAFE is None:
            _SIMPLE_UNSAFE = re.compile(_SIMPLE_UNSAFE_CHARS)
        if _SIMPLE_UNSAFE.search(yaml_text) is not None:
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
        if key[0] in _TYPED_FIRST and _plain(key) is not key:
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
    rec.name = stem(path)
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

    fields, links = read_properties(path, meta, text, warnings)
    key_lines = fields.pop("_lines", {})
    rec.kind = kindmod.kind_of(path, fields, warnings, kind_folders, key_lines)
    name = fields.pop("name", None)
    if isinstance(name, str) and name.strip():
        rec.name = name.strip()
    rec.aliases = tuple(fields.pop("aliases", ()) or ())
    if "[" in body:
        links.extend(linkmod.extract_links(body, body_line))
    rec.links = tuple(links)

    if rec.kind == INTERVIEW:
        discussed = discussed_points(body)
        if discussed:
            fields["discussed"] = discussed
    check_fields(rec.kind, fields, warnings, key_lines)
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
    simple = _simple_yaml(yaml_text)
    if simple is not None:
        meta, key_lines, nodes = simple
        if nodes > MAX_FRONTMATTER_NODES:
            return {}, text, 1, Problem(path, "front-matter expands to too many values (YAML aliases?) — "
                                              "the note is left untouched", "frontmatter", 1)
        meta["__lines__"] = key_lines
        return meta, body, body_line, None
    yaml, handler, loader = _yaml()
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
