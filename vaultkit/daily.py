"""Where the daily follow-up block goes, and the daily note made for it.

With `daily = "vaultkit"` it is vaultkit's own `Follow-ups/YYYY-MM-DD.md`, rendered from the
`follow-ups.md` template. With `daily = "obsidian"` it is Obsidian's daily note (see
`obsidian.daily_settings` for which settings win), created when absent from Obsidian's own
daily template, whose placeholders are filled as Obsidian and Periodic Notes fill them.
"""

from __future__ import annotations

import calendar
import datetime as dt
import logging
import os
import re
from typing import TYPE_CHECKING

from . import obsidian
from .model import PlannedWrite
from .moment import format_moment
from .names import safe_filename
from .vault import parse_note
from .resolve import stem as note_stem

if TYPE_CHECKING:
    from .facts import Facts
    from .generate import _Planner
    from .sync import Session

log = logging.getLogger(__name__)


def obsidian_daily_settings(session: "Session") -> obsidian.DailySettings | None:
    """Obsidian's daily-note settings when config says `daily = "obsidian"`, else None."""
    if session.cfg.daily != "obsidian":
        return None
    return obsidian.daily_settings(session.vault)


def obsidian_note_path(settings: obsidian.DailySettings, day: dt.date) -> str:
    """The daily note's path: its folder, then the date in its format (a `/` makes folders)."""
    stem = format_moment(settings.format, day)
    parts = [safe_filename(part) for part in stem.split("/") if part.strip()]
    return "/".join(([settings.folder] if settings.folder else []) + (parts or [day.isoformat()])) + ".md"


def daily_note_path(session: "Session", f: "Facts", day: dt.date | None = None) -> str | None:
    """Where the day's follow-up block goes: our daily note, or Obsidian's in obsidian mode."""
    day = day or f.today
    settings = obsidian_daily_settings(session)
    if settings is not None:
        return obsidian_note_path(settings, day)
    key = f.follow_ups_key(day.isoformat())
    existing = f.generated(key)
    if existing:
        return existing
    return f"{session.cfg.follow_ups_folder}/{day.isoformat()}.md".lstrip("/")


def plan_daily(p: "_Planner") -> None:
    """Today's daily note, when it is due and not there yet."""
    f, s = p.f, p.s
    key = f.follow_ups_key()
    settings = obsidian_daily_settings(s)
    path = obsidian_note_path(settings, f.today) if settings is not None else daily_note_path(s, f)
    if path is None or path in f.ix.records or os.path.lexists(s.vault / path) \
            or not (f.contacts() or f.interviews()):  # no job search in this vault (yet)
        return
    if settings is not None:
        if key in s.ledger and key not in p.regenerate:
            return
        text = fill_template(read_template(s, settings.template), f.today, settings.format,
                             note_stem(path))
        data = text.encode("utf-8")
        p.out.writes.append(PlannedWrite(path, data, None, "new daily note", key=key))
        p.out.records.append(parse_note(path, data))
        return
    if not p.due(key):
        return
    p.create("follow-ups.md", key, s.cfg.follow_ups_folder, f.today_iso, {"date": f.today_iso}, path=path)


def read_template(session: "Session", template: str) -> str:
    """Obsidian's daily template (a vault path, `.md` optional); "" when not set or not
    readable (Obsidian then makes an empty note too)."""
    template = template.strip().lstrip("/")
    if not template:
        return ""
    rel = template if template.endswith(".md") else template + ".md"
    path = session.vault / rel
    try:
        if not path.resolve().is_relative_to(session.root):
            log.warning("%s: the daily-note template leads out of the vault; not read", rel)
            return ""
        return path.read_text("utf-8-sig")
    except FileNotFoundError:
        log.warning("%s: the daily-note template does not exist; the note starts empty", rel)
    except (OSError, UnicodeDecodeError) as exc:
        log.warning("%s: cannot read the daily-note template (%s)", rel, exc)
    return ""


# `{{date+1d:FMT}}`, `{{time-2h}}`… as the daily-notes interface Periodic Notes uses matches them.
_OFFSET = re.compile(r"\{\{\s*(date|time)\s*(([+-]\d+)([yqmwdhs]))?\s*(:.+?)?\}\}", re.I)


def _add(when: dt.datetime, n: int, unit: str) -> dt.datetime:
    """Moment's `add(n, unit)`: months and years keep the day, clamped to the month's end."""
    if unit in "yYqQM":
        months = n * {"y": 12, "Y": 12, "q": 3, "Q": 3, "M": 1}[unit]
        total = when.year * 12 + when.month - 1 + months
        year, month = divmod(total, 12)
        if not 1 <= year <= 9999:
            return when
        day = min(when.day, calendar.monthrange(year, month + 1)[1])
        return when.replace(year=year, month=month + 1, day=day)
    step = {"w": dt.timedelta(weeks=1), "W": dt.timedelta(weeks=1), "d": dt.timedelta(days=1),
            "D": dt.timedelta(days=1), "h": dt.timedelta(hours=1), "H": dt.timedelta(hours=1),
            "m": dt.timedelta(minutes=1), "s": dt.timedelta(seconds=1), "S": dt.timedelta(seconds=1)}[unit]
    try:
        return when + n * step
    except OverflowError:
        return when


def fill_template(text: str, day: dt.date, fmt: str, title: str) -> str:
    """A daily template with its placeholders filled for `day`, as Obsidian fills them.

    The time of day is 00:00 of `day`: the note is then a function of the vault and today,
    the same whenever the sync runs.
    """
    when = dt.datetime(day.year, day.month, day.day)
    name = format_moment(fmt, when)
    text = re.sub(r"\{\{\s*date\s*\}\}", lambda m: name, text, flags=re.I)
    text = re.sub(r"\{\{\s*time\s*\}\}", lambda m: format_moment("HH:mm", when), text, flags=re.I)
    text = re.sub(r"\{\{\s*title\s*\}\}", lambda m: title, text, flags=re.I)

    def offset(m: re.Match) -> str:
        moment = _add(when, int(m.group(3)), m.group(4)) if m.group(2) else when
        return format_moment(m.group(5)[1:].strip() if m.group(5) else fmt, moment)
    text = _OFFSET.sub(offset, text)
    text = re.sub(r"\{\{\s*yesterday\s*\}\}", lambda m: format_moment(fmt, when - dt.timedelta(days=1)),
                  text, flags=re.I)
    return re.sub(r"\{\{\s*tomorrow\s*\}\}", lambda m: format_moment(fmt, when + dt.timedelta(days=1)),
                  text, flags=re.I)
