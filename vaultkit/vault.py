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

from . import kinds as kindmod
from . import fastyaml
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
    global _YAML
    if _YAML is None:
        import yaml
        from frontmatter.default_handlers import YAMLHandler

        try:  # PyYAML's C loader parses front-matter ~5x faster than the pure-Python one.
            loader = yaml.CSafeLoader
        except AttributeError:  # pragma: no cover - depends on how PyYAML was built
            loader = yaml.SafeLoader
        fastyaml.setup(yaml, loader)
        _YAML = (yaml, YAMLHandler(), lenient_loader(loader))
    return _YAML


fastyaml.use(_yaml)


def preload() -> None:
    """Called before the reader forks a second process, so that the two do not each
    import the parser: importing this module did that. PyYAML is left to the first note
    that needs it (`fastyaml` reads most front-matter without it): a vault whose notes
    never need it never imports it (~10 ms)."""


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
        # (where the body starts, found once: `split_frontmatter` gives the text itself
        # where it reads no front-matter, and `body_start` is then asked)
        markers = scan_markers(text, body=len(text) - len(body) if body is not text else None)
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
    if len(yaml_text) * 4 > MAX_FRONTMATTER_BYTES \
            and len(yaml_text.encode("utf-8", "surrogatepass")) > MAX_FRONTMATTER_BYTES:
        return {}, text, 1, Problem(path, f"front-matter is larger than {MAX_FRONTMATTER_BYTES // 1024} KB — "
                                          "the note is left untouched", "frontmatter", 1)
    if not yaml_text.strip():
        return {}, body, body_line, None
    simple = fastyaml.read(yaml_text)
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
