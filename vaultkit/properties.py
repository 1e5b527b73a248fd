"""The properties vaultkit reads from a note's front-matter, normalised: what `vault.py`
makes of the mapping PyYAML (or its fast path) loaded. Pure: values in, fields, links and
warnings out.

`read_properties` gives the fields (dates as ISO strings, texts, categories…) and every
link in front-matter values, walking each value once; `check_fields` adds the warnings
that depend on the note's kind.
"""

from __future__ import annotations

import datetime as dt
import re
import sys

from . import kinds as kindmod
from . import links as linkmod
from .model import CONTACT, CONTACT_STATUSES, INTERVIEW, INTERVIEW_STATUSES, LINK_PROPERTIES, Link
from .values import TIME, TIME_PART, date_trouble, link_shaped, raw_value, shown

DATE_PREFIX = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?:$|[ T])")

# What `read_properties` does with each property it knows (every other one only gives links).
_COMPANY, _CATEGORIES, _NAME, _ALIASES, _SCALAR, _DATE, _TIME, _SENT, _TEXTS = range(9)
_FIELD_KIND = {"company": _COMPANY, "org": _COMPANY, "categories": _CATEGORIES, "category": _CATEGORIES,
               "name": _NAME, "aliases": _ALIASES, "alias": _ALIASES, "date": _DATE, "last_contacted": _DATE,
               "next_follow_up": _DATE, "time": _TIME, "thank_you_sent": _SENT, "sent": _SENT,
               "goals": _TEXTS, "tags": _TEXTS}
_FIELD_KIND.update(dict.fromkeys(("type", "role", "field", "email", "phone", "linkedin", "status", "medium",
                                  "website", "relationship", "generated_by", "vaultkit_key", "title",
                                  "first_name"), _SCALAR))


_KEYS: dict[str, str] = {}  # a property name as written -> as read (the same in most notes)


def read_properties(path: str, meta: dict, text: str,
                     warnings: list[tuple[int, str]]) -> tuple[dict, list[Link]]:
    """Normalise the properties vaultkit uses; collect every link in front-matter values,
    walking each value once."""
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
        key = _KEYS.get(raw_key)
        if key is None:
            key = sys.intern(raw_key.strip().lower())
            if len(_KEYS) < 4096:
                _KEYS[raw_key] = key
        line = key_lines.get(key, 2)
        is_text = isinstance(value, str)
        many = not is_text and isinstance(value, (list, dict))
        if key in LINK_PROPERTIES:
            if not link_shaped(value):
                warnings.append((line, f"{raw_key}: {shown(value)} is not a name or a link — write "
                                       f"{raw_key}: \"[[Name]]\" (or a list of those)"))
                value, is_text, many = None, False, False
            links.extend(linkmod.property_links(key, value, line))
        elif is_text:
            if "[[" in value:
                links.extend(linkmod.property_links(key, value, line))
        elif many:
            links.extend(linkmod.property_links(key, value, line))  # [] when it holds no link
        kind = _FIELD_KIND.get(key)
        if kind is None:
            continue
        if kind == _SCALAR:
            if value is not None and not many:
                fields[key] = sys.intern(_scalar(value))
            elif key == "type" and isinstance(value, list):  # `type: [person]`: see kinds.kind_of_type_value
                fields[key] = [sys.intern(t) for t in _texts(value) if t]
        elif kind == _TEXTS:
            fields[key] = [sys.intern(t) for t in _texts(value) if t]
        elif kind == _DATE:
            d = as_date(value)
            if d is None and value not in (None, ""):
                warnings.append((line, f"{raw_key}: {date_trouble(value)}"))
                fields.setdefault("_bad", []).append(key)
            fields[key] = _interned(d)
        elif kind == _COMPANY:
            first = _first_text(value)
            if fields.get("company_text") is None or (key == "company" and first is not None):
                fields["company_text"] = _interned(first)
        elif kind == _NAME:
            if value is not None and not many:
                fields["name"] = str(value)
        elif kind == _CATEGORIES:
            names = [sys.intern(kindmod.category_name(c)) for c in _texts(value)]
            fields["categories"] = fields.get("categories", []) + [n for n in names if n]
        elif kind == _ALIASES:
            fields["aliases"] = [a for a in _texts(value) if a]
        elif kind == _TIME:
            t = as_time(value)
            if t is not None and not TIME.fullmatch(t):
                written = raw_value(text, line) or t
                warnings.append((line, f"{raw_key}: not a time of day: {written} — write HH:MM, 00:00 to 23:59"))
                t = None
            fields["time"] = _interned(t)
        else:  # _SENT
            sent = as_sent(value)
            if sent is None and isinstance(value, str) and DATE_PREFIX.match(value.strip()):
                warnings.append((line, f"{raw_key}: {date_trouble(value)}"))
            fields[key] = _interned(sent)
    return fields, links


def _interned(value):
    return sys.intern(value) if type(value) is str else value


def _scalar(value) -> str:
    if type(value) is str:  # (the usual value: no other test needed)
        return value.strip()
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
    if t.startswith("[[") and linkmod.is_wikilink(t):
        return linkmod.shown_text(t).strip() or None
    return t or None


def as_date(value) -> str | None:
    """A YAML date, datetime or `YYYY-MM-DD…` string as an ISO date string, else None."""
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, str):
        m = DATE_PREFIX.match(value.strip())
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


def check_fields(kind: str, fields: dict, warnings: list[tuple[int, str]], lines: dict | None = None) -> None:
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
