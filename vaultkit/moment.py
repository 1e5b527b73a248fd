"""Moment.js date formats, as Obsidian's daily notes and templates use them.

One tokenizer, built like Moment's own: `[literal]` and `\\x` escapes first, then the
tokens longest first (`Do` before `D`, `DDDD` before `DD`), anything else verbatim. Names
are English, weeks as in Moment's default locale: `w`/`ww`/`gggg` count weeks that start
on Sunday, the week holding 1 January being week 1 (Moment's `dow = 0, doy = 6`);
`W`/`WW`/`GGGG`/`E` are ISO 8601.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Callable

_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December")
_DAYS = ("Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday")
_MIN_DAYS = ("Su", "Mo", "Tu", "We", "Th", "Fr", "Sa")

# Moment's own token pattern, cut to the tokens a date (and a time of day) can use.
_TOKENS = re.compile(
    r"(\[[^\[]*\])|(\\)?(Mo|MM?M?M?|Do|DDDo|DD?D?D?|ddd?d?|do?|w[ow]?|W[oW]?|Qo?"
    r"|YYYYYY|YYYYY|YYYY|YY|Y|gg(?:ggg?)?|GG(?:GGG?)?|e|E|a|A|hh?|HH?|kk?|mm?|ss?|.)",
    re.S)


def ordinal(n: int) -> str:
    """English ordinal as Moment writes it: 1st, 2nd, 3rd, 4th, 11th, 12th, 13th, 21st."""
    if (n % 100) // 10 == 1:
        return f"{n}th"
    suffix = {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _js_day(day: dt.date) -> int:
    """Day of the week as JavaScript counts it: Sunday 0 … Saturday 6."""
    return (day.weekday() + 1) % 7


def _first_week_offset(year: int, dow: int, doy: int) -> int:
    fwd = 7 + dow - doy  # the day of January that is always in week 1
    fwdlw = (7 + _js_day(dt.date(year, 1, fwd)) - dow) % 7
    return -fwdlw + fwd - 1


def _weeks_in_year(year: int, dow: int, doy: int) -> int:
    days = 366 if dt.date(year, 12, 31).timetuple().tm_yday == 366 else 365
    return (days - _first_week_offset(year, dow, doy) + _first_week_offset(year + 1, dow, doy)) // 7


def week_of_year(day: dt.date, dow: int, doy: int) -> tuple[int, int]:
    """(week-year, week) by Moment's rule; (0, 6) is its default locale, (1, 4) ISO 8601."""
    week = (day.timetuple().tm_yday - _first_week_offset(day.year, dow, doy) - 1) // 7 + 1
    if week < 1:
        return day.year - 1, week + _weeks_in_year(day.year - 1, dow, doy)
    if week > _weeks_in_year(day.year, dow, doy):
        return day.year + 1, week - _weeks_in_year(day.year, dow, doy)
    return day.year, week


def _pad(n: int, width: int) -> str:
    sign = "-" if n < 0 else ""
    return sign + str(abs(n)).zfill(width)


def _signed_year(y: int) -> str:
    return ("-" if y < 0 else "+") + str(abs(y)).zfill(6)


def _year(y: int) -> str:
    return _pad(y, 4) if y <= 9999 else f"+{y}"


def _hour12(h: int) -> int:
    return h % 12 or 12


_Fn = Callable[[dt.datetime], str]

_FORMATTERS: dict[str, _Fn] = {
    "YYYYYY": lambda t: _signed_year(t.year),
    "YYYYY": lambda t: _pad(t.year, 5),
    "YYYY": lambda t: _pad(t.year, 4) if t.year <= 9999 else f"+{t.year}",
    "YY": lambda t: _pad(t.year % 100, 2),
    "Y": lambda t: _year(t.year),
    "M": lambda t: str(t.month),
    "MM": lambda t: _pad(t.month, 2),
    "Mo": lambda t: ordinal(t.month),
    "MMM": lambda t: _MONTHS[t.month - 1][:3],
    "MMMM": lambda t: _MONTHS[t.month - 1],
    "Q": lambda t: str((t.month - 1) // 3 + 1),
    "Qo": lambda t: ordinal((t.month - 1) // 3 + 1),
    "D": lambda t: str(t.day),
    "DD": lambda t: _pad(t.day, 2),
    "Do": lambda t: ordinal(t.day),
    "DDD": lambda t: str(t.timetuple().tm_yday),
    "DDDD": lambda t: _pad(t.timetuple().tm_yday, 3),
    "DDDo": lambda t: ordinal(t.timetuple().tm_yday),
    "d": lambda t: str(_js_day(t)),
    "do": lambda t: ordinal(_js_day(t)),
    "dd": lambda t: _MIN_DAYS[_js_day(t)],
    "ddd": lambda t: _DAYS[_js_day(t)][:3],
    "dddd": lambda t: _DAYS[_js_day(t)],
    "e": lambda t: str(_js_day(t)),  # the locale's day of week; the default week starts on Sunday
    "E": lambda t: str(t.isoweekday()),
    "w": lambda t: str(week_of_year(t, 0, 6)[1]),
    "ww": lambda t: _pad(week_of_year(t, 0, 6)[1], 2),
    "wo": lambda t: ordinal(week_of_year(t, 0, 6)[1]),
    "W": lambda t: str(week_of_year(t, 1, 4)[1]),
    "WW": lambda t: _pad(week_of_year(t, 1, 4)[1], 2),
    "Wo": lambda t: ordinal(week_of_year(t, 1, 4)[1]),
    "gg": lambda t: _pad(week_of_year(t, 0, 6)[0] % 100, 2),
    "gggg": lambda t: _pad(week_of_year(t, 0, 6)[0], 4),
    "ggggg": lambda t: _pad(week_of_year(t, 0, 6)[0], 5),
    "GG": lambda t: _pad(week_of_year(t, 1, 4)[0] % 100, 2),
    "GGGG": lambda t: _pad(week_of_year(t, 1, 4)[0], 4),
    "GGGGG": lambda t: _pad(week_of_year(t, 1, 4)[0], 5),
    "H": lambda t: str(t.hour),
    "HH": lambda t: _pad(t.hour, 2),
    "h": lambda t: str(_hour12(t.hour)),
    "hh": lambda t: _pad(_hour12(t.hour), 2),
    "k": lambda t: str(t.hour or 24),
    "kk": lambda t: _pad(t.hour or 24, 2),
    "m": lambda t: str(t.minute),
    "mm": lambda t: _pad(t.minute, 2),
    "s": lambda t: str(t.second),
    "ss": lambda t: _pad(t.second, 2),
    "A": lambda t: "AM" if t.hour < 12 else "PM",
    "a": lambda t: "am" if t.hour < 12 else "pm",
}


def format_moment(pattern: str, when: dt.date | dt.datetime) -> str:
    """`when` written in the Moment.js format `pattern`; a plain date is taken at 00:00."""
    if not isinstance(when, dt.datetime):
        when = dt.datetime(when.year, when.month, when.day)

    def sub(m: re.Match) -> str:
        literal, escaped, token = m.group(1), m.group(2), m.group(3)
        if literal is not None:
            return literal[1:-1]
        if escaped:
            return token
        fn = _FORMATTERS.get(token)
        return fn(when) if fn is not None else token
    return _TOKENS.sub(sub, pattern)
