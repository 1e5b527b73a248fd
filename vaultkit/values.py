"""Reading single property values and the interview's notes: what the note parser uses to
tell a bad value (and say why, at its line) and to quote the user's notes whole. Pure."""

from __future__ import annotations

import datetime as dt
import re

from .links import shown_text

TIME_PART = re.compile(r"(\d{1,2}):(\d{2})")
# A time of day: `14:30`, `9:05`, or the 12-hour `9am`, `2:30 pm` (kept as written).
TIME = re.compile(r"([01]?\d|2[0-3]):[0-5]\d|(0?[1-9]|1[0-2])(:[0-5]\d)?\s*[ap]\.?m\.?", re.I)
_DATE_SHAPE = re.compile(r"^\d{4}-\d{2}-\d{2}(?:$|[ T])")
_NOTES_TITLES = "notes|discussed|discussion|summary|takeaways"
_NOTES_HEADING = re.compile(rf"^#{{1,6}}\s+(?i:{_NOTES_TITLES})\s*$", re.M)
# The same heading after a line break: a pattern that starts with a literal is searched
# ~5x faster than one that starts with `^` (the engine then tries every position).
_NOTES_HEADING_AFTER = re.compile(rf"\n#{{1,6}}\s+(?i:{_NOTES_TITLES})\s*$", re.M)
_BULLET = re.compile(r"^([-*+]|\d+[.)])\s+(\[.\]\s+)?")


def lenient_loader(loader):
    """The safe loader, except that a date-shaped value that is no day (`2026-02-30`) loads
    as its text: the note is still read, and that one property is reported at its line."""
    from yaml.constructor import SafeConstructor

    def timestamp(constructor, node):
        try:
            return SafeConstructor.construct_yaml_timestamp(constructor, node)
        except (ValueError, OverflowError):
            return constructor.construct_scalar(node)

    lenient = type("LenientLoader", (loader,), {})
    lenient.add_constructor("tag:yaml.org,2002:timestamp", timestamp)
    return lenient


def date_trouble(value) -> str:
    """Why a date property's value is no date: "no such day: 2026-02-30", or not date-shaped."""
    if isinstance(value, str) and _DATE_SHAPE.match(value.strip()):
        return f"no such day: {value.strip()}"
    return f"not a date: {shown(value)} — write YYYY-MM-DD"


def shown(value) -> str:
    """A value as a message quotes it: one line, at most 40 characters."""
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, dt.date):
        text = value.isoformat()
    else:
        text = " ".join(str(value).split())
    return text if len(text) <= 40 else text[:39] + "…"


def link_shaped(value) -> bool:
    """Whether a link property's value can name a note: text, or a list of texts (a nested
    one-text list is YAML's reading of an unquoted `[[Name]]`)."""
    stack = [value]  # not recursive: a value nested 1000 deep is only not link-shaped
    while stack:
        v = stack.pop()
        if isinstance(v, list):
            stack.extend(v)
        elif v is not None and not isinstance(v, str):
            return False
    return True


def raw_value(text: str, line: int) -> str | None:
    """The value as written on a front-matter line (an unquoted `25:99` loads as a number)."""
    lines = text.split("\n", line)
    if len(lines) < line:
        return None
    _, sep, rest = lines[line - 1].partition(":")
    if not sep:
        return None
    return rest.strip().strip("'\"") or None


def _notes_heading(text: str) -> re.Match[str] | None:
    """The first line of `text` that is a notes heading (`## Notes`, `### Discussed`…)."""
    return _NOTES_HEADING.match(text) or _NOTES_HEADING_AFTER.search(text)


def has_notes_heading(text: str) -> bool:
    """Whether a line of `text` is a heading `discussed_points` would read the points under."""
    return _notes_heading(text) is not None


def discussed_points(body: str) -> list[str]:
    """Up to three points from the interview note's `## Notes` section, each a whole bullet
    or paragraph (the lines of a wrapped one joined with a space), each once."""
    m = _notes_heading(body)
    if not m:
        return []
    points: list[str] = []
    current: list[str] | None = None

    def close() -> None:
        if current:
            text = shown_text(" ".join(current)).strip()
            if text and text not in points:
                points.append(text)

    for line in body[m.end():].splitlines():
        s = line.strip()
        if s.startswith(("#", "<!-- vaultkit:", "```", "~~~")):
            break
        if not s:
            close()
            current = None
        elif _BULLET.match(s):
            close()
            current = [_BULLET.sub("", s)]
        elif current is None:
            current = [s]
        else:
            current.append(s)  # a wrapped line (indented or not) continues the point
        if len(points) >= 3:
            break
    if len(points) < 3:
        close()
    return points[:3]


_ONE_LINE_DUMPER = None


def yaml_one_line(value) -> str:
    """`value` as a one-line YAML flow value that loads back to exactly `value`: the one
    way vaultkit writes a value into front-matter (templates' `yaml` filter, the keys of
    generated notes). Quoted scalars are always double-quoted, so never on two lines."""
    global _ONE_LINE_DUMPER
    import yaml  # noqa: PLC0415 - only when a note is written

    if _ONE_LINE_DUMPER is None:
        class OneLineDumper(yaml.SafeDumper):
            def choose_scalar_style(self) -> str:
                style = super().choose_scalar_style()
                return '"' if style in ("'", "|", ">") else style
        _ONE_LINE_DUMPER = OneLineDumper
    text = yaml.dump(value, Dumper=_ONE_LINE_DUMPER, default_flow_style=True, allow_unicode=True,
                     width=float("inf"), sort_keys=False)
    if text.endswith("\n...\n"):
        text = text[: -len("\n...\n")]
    text = text.rstrip("\n")
    if "\n" in text:  # never expected; a line break would let data add keys
        raise ValueError(f"cannot write {type(value).__name__} as one line of YAML")
    return text
