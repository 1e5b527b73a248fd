"""Front-matter of the common shape, read without PyYAML's machinery, exactly as PyYAML's
safe loader reads it.

Most notes' front-matter is a flat list of `key: value` lines: plain, quoted or flow-list
values (whose items may be flow lists in turn: `[[Ann Lee]]` typed without quotes is a
list holding a list) and block lists of those. `read` reads exactly that shape ~5x faster
than PyYAML (its Python-level constructor is most of a note's parse), resolving every plain
scalar with PyYAML's own resolvers and constructors so the values are the same objects
PyYAML would build. Anything else (comments, deeper nesting, anchors, tags, block scalars,
escapes, multi-line values, tabs, unusual characters) gives None, and `vault.py` hands the
text to PyYAML. tests/test_simple_yaml.py holds the two readers to the same values.

PyYAML itself is imported by `vault.py` (the function it hands to `use`), and only when
a scalar needs its resolvers or it is already loaded: then `setup` checks that its loader
still reads as the safe loader does, else the fast path stays off.
"""

from __future__ import annotations

import datetime as dt
import re
import sys
from typing import Callable

# Characters libyaml accepts in a stream, minus the ones that are line breaks or blanks in
# YAML but not here (tab, CR, NEL, LS, PS) and the BOM: any of those sends the text to PyYAML.
_SIMPLE_UNSAFE_CHARS = "[^\n\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd\U00010000-\U0010ffff]"
_SIMPLE_UNSAFE: re.Pattern[str] | None = None  # compiled on first use (3 ms: not at import)
_SIMPLE_KEY = re.compile(r"([A-Za-z_][A-Za-z0-9_-]*):(?: |$)")
_INDICATORS = frozenset("-?:,[]{}#&*!|>'\"%@` ")
_FLOW_UNSAFE = re.compile(r"[,\[\]{}:#'\"]")
_ITEM_LIST = re.compile(r"(?:^|,) *\[")  # an item of a flow list that is a flow list
_SIMPLE_TAGS = ("tag:yaml.org,2002:null", "tag:yaml.org,2002:bool", "tag:yaml.org,2002:int",
                "tag:yaml.org,2002:float", "tag:yaml.org,2002:timestamp")
_FAIL = object()


_load: Callable[[], object] | None = None  # imports PyYAML and calls `setup` (see `use`)
_SET_UP = False  # whether `setup` ran


def use(load: Callable[[], object]) -> None:
    """`load()` imports PyYAML when a scalar needs it, and calls `setup`."""
    global _load
    _load = load


def setup(yaml, loader) -> None:
    """Read as `loader` of `yaml` (PyYAML) reads, or not at all if it reads otherwise than
    PyYAML's safe loader."""
    global _SIMPLE, _SET_UP
    _SIMPLE = _setup(yaml, loader)
    _SET_UP = True
    _LINES.clear()


def _setup(yaml, loader):
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


_SIMPLE = None  # set by `setup`
# `key: value` lines already read, whose value is not a list: (key, lower-cased, value).
# Many notes share them (`type: contact`, `status: met`, a day); emptied by `setup`.
_LINES: dict[str, tuple[str, str, object]] = {}
_PLAIN_MEMO: dict[str, object] = {}  # plain scalar -> its value, for those that are not str
_PLAIN_STR: set[str] = set()  # plain scalars known to be strings (keys, statuses, tags...)


# PyYAML resolves a plain scalar by its first character (`yaml.resolver`): a scalar that
# starts with none of these is a string. Words starting with one of the letters (or `~`)
# are bools or null only when they are these very words. An ISO day is a date. Those
# cases are read here without importing PyYAML (a sync that parses one note saves ~15 ms);
# so is a scalar that starts with a digit but cannot be a number or a time (see below);
# any other scalar that starts with one of these characters is resolved by PyYAML's own
# resolvers. tests/test_simple_yaml.py holds both to PyYAML's table.
_TYPED_FIRST = frozenset("!&*+-.0123456789<=FNOTYfnoty~")
_WORD_FIRST = frozenset("FNOTYfnoty~")
_WORDS = {**dict.fromkeys(("yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON"), True),
          **dict.fromkeys(("no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF"), False),
          **dict.fromkeys(("~", "null", "Null", "NULL"), None)}
_ISO_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
# Every character PyYAML's int, float and timestamp patterns can match after a leading
# digit (`0x1F`, `1_000`, `12:30`, `1.5e+3`, `2026-11-20T10:00:00Z`): a scalar that starts
# with a digit and holds any other character (`2026-W48`, `3 weeks`, `10am`) is a string.
_NUMERIC_CHARS = frozenset("0123456789_.+-:bxabcdefABCDEFTtZ \t")


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
    if c in "0123456789" and not _NUMERIC_CHARS.issuperset(text):
        return text
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
        if _load is not None:
            _load()
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
    a flow list of those, whose items may be flow lists of those in turn (`[[Ann Lee]]`
    unquoted is a list holding a list); _FAIL for anything else."""
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
        return _flow_list(text[1:-1], True)
    if c in _INDICATORS or ": " in text or text[-1] == ":" or " #" in text:
        return _FAIL
    return _plain(text)


def _flow_list(inner: str, nested: bool):
    """The items of a flow list (`inner`: between its brackets): scalars and, when `nested`,
    flow lists of scalars; _FAIL for anything else (a bracket or comma inside quotes, deeper
    nesting, an empty item)."""
    if not inner.strip(" "):
        return []
    if "[" in inner and _ITEM_LIST.search(inner) is not None:
        if not nested:
            return _FAIL
        parts, depth, start, quote = [], 0, 0, ""
        for k, ch in enumerate(inner):
            if quote:  # (a quote inside a plain item fails below in any case)
                if ch == quote:
                    quote = ""
            elif ch == '"' or ch == "'":
                quote = ch
            elif ch == "[":
                depth += 1
                if depth > 1:
                    return _FAIL
            elif ch == "]":
                depth -= 1
                if depth < 0:
                    return _FAIL
            elif ch == "," and not depth:
                parts.append(inner[start:k])
                start = k + 1
        if depth or quote:
            return _FAIL
        parts.append(inner[start:])
    else:
        parts = inner.split(",")
    items = []
    for part in parts:
        part = part.strip(" ")
        if not part:
            return _FAIL
        if part[0] == "[":
            if part[-1] != "]":
                return _FAIL
            value = _flow_list(part[1:-1], False)
        elif part[0] not in "\"'" and _FLOW_UNSAFE.search(part):
            return _FAIL
        else:
            value = _scalar_value(part, True)
        if value is _FAIL:
            return _FAIL
        items.append(value)
    return items


def _nodes(value) -> int:
    """How many values `value` is, itself included (as `_node_count` counts them)."""
    return 1 + sum(map(_nodes, value)) if isinstance(value, list) else 1


def read(yaml_text: str) -> tuple[dict, dict[str, int], int] | None:
    """(mapping, first line of each lower-cased key, node count) for front-matter of the
    simple shape, exactly as PyYAML's safe loader would read it; None otherwise."""
    global _SIMPLE_UNSAFE
    if not _SET_UP and "yaml" in sys.modules and _load is not None:
        _load()  # PyYAML is loaded, so it may have been changed: see whether it still reads as its safe loader
    if _SET_UP and _SIMPLE is None:
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
        at = i + 2  # (its line in the note)
        i += 1
        known = _LINES.get(line)
        if known is not None:  # a `key: value` line read before (`type: contact`...)
            key, folded, value = known
        else:
            m = _SIMPLE_KEY.match(line)
            if m is None:
                return None
            key = m.group(1)
            if len(key) > 200:
                return None  # libyaml's limit on a simple key's length
            if key[0] in _TYPED_FIRST and _plain(key) is not key:
                return None  # `on:`, `null:`…: a key PyYAML reads as a bool or None
            folded = key.lower()
            rest = line[m.end():].strip(" ")
            if rest:
                value = _scalar_value(rest, False)
                if value is _FAIL:
                    return None
                if type(value) is not list and len(_LINES) < 8192:
                    _LINES[line] = (key, folded, value)  # (immutable: str, number, bool, None, date)
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
                    if v is _FAIL:
                        return None
                    value.append(v)
                    i += 1
            else:
                value = None
        if folded in key_lines:  # YAML keeps the last value of a repeated key
            key_lines.setdefault("__repeated__", []).append((folded, key_lines[folded], at))
        key_lines[folded] = at
        meta[key] = value
        nodes += 1 + (_nodes(value) if type(value) is list else 1)
    return meta, key_lines, nodes
