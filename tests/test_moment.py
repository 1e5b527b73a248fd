"""Moment.js formats: a table of patterns and what Moment (default English locale) writes."""

from __future__ import annotations

import datetime as dt

import pytest

from vaultkit.moment import format_moment, ordinal

D = dt.date.fromisoformat


@pytest.mark.parametrize("pattern, day, expected", [
    # Moment's documentation examples (moment().format(...) on 2010-02-14)
    ("dddd, MMMM Do YYYY", D("2010-02-14"), "Sunday, February 14th 2010"),
    ("[Today is] dddd", D("2010-02-14"), "Today is Sunday"),
    ("YYYY [escaped] YYYY", D("2010-02-14"), "2010 escaped 2010"),
    # the daily-note formats: `Do` is one token, not `D` + "o"
    ("dddd, MMMM Do YYYY", D("2026-12-04"), "Friday, December 4th 2026"),
    ("YYYY-MM-DD", D("2026-03-05"), "2026-03-05"),
    ("YY M D", D("2026-03-05"), "26 3 5"),
    ("ddd, dddd MMM MMMM", D("2026-03-05"), "Thu, Thursday Mar March"),
    ("dd d do e E", D("2026-12-04"), "Fr 5 5th 5 5"),
    ("dd d do e E", D("2026-12-06"), "Su 0 0th 0 7"),
    ("DDD DDDD DDDo", D("2026-12-04"), "338 338 338th"),
    ("DDD DDDD DDDo", D("2026-01-09"), "9 009 9th"),
    ("Mo Q Qo", D("2026-12-04"), "12th 4 4th"),
    ("Mo Q Qo", D("2026-02-01"), "2nd 1 1st"),
    ("Y YYYY YY", D("2026-12-04"), "2026 2026 26"),
    ("YYYY", D(f"{5:04d}-01-01"), "0005"),
    ("Do", D("2026-12-11"), "11th"), ("Do", D("2026-12-12"), "12th"), ("Do", D("2026-12-13"), "13th"),
    ("Do", D("2026-12-21"), "21st"), ("Do", D("2026-12-22"), "22nd"), ("Do", D("2026-12-23"), "23rd"),
    ("Do", D("2026-12-31"), "31st"),
    ("YYYY/MM/DD ddd", D("2026-11-28"), "2026/11/28 Sat"),
    # weeks: Sunday-start locale weeks (the week holding 1 January is week 1) and ISO weeks
    ("gggg-[W]ww", D("2026-12-04"), "2026-W49"),
    ("GGGG-[W]WW", D("2026-12-04"), "2026-W49"),
    ("gggg-[W]ww w wo gg", D("2026-12-31"), "2027-W01 1 1st 27"),
    ("GGGG-[W]WW W Wo GG", D("2026-12-31"), "2026-W53 53 53rd 26"),
    ("gggg-[W]ww", D("2027-01-01"), "2027-W01"),
    ("GGGG-[W]WW", D("2027-01-01"), "2026-W53"),
    ("gggg-[W]ww", D("2021-01-01"), "2021-W01"),
    ("GGGG-[W]WW", D("2021-01-01"), "2020-W53"),
    ("gggg-[W]ww", D("2022-01-01"), "2022-W01"),
    ("GGGG-[W]WW-E", D("2022-01-01"), "2021-W52-6"),
    ("gggg-[W]ww e", D("2022-01-02"), "2022-W02 0"),
    ("GGGG-[W]WW E", D("2022-01-02"), "2021-W52 7"),
    ("gggg-[W]ww", D("2024-12-30"), "2025-W01"),
    ("GGGG-[W]WW", D("2024-12-30"), "2025-W01"),
    ("gggg-[W]ww", D("2023-01-01"), "2023-W01"),
    ("GGGG-[W]WW", D("2023-01-01"), "2022-W52"),
    ("gggg-[W]ww", D("2022-12-31"), "2022-W53"),
    # literals: brackets, a backslash escape, characters that are no token
    ("[Week of] YYYY/MM", D("2026-03-05"), "Week of 2026/03"),
    ("[W]W [Q]Q", D("2026-03-05"), "W10 Q1"),
    (r"\D\o YYYY", D("2026-03-05"), "Do 2026"),
    ("[x]y] [", D("2026-03-05"), "x]y ["),
    ("YYYY-MM-DD - [Journal]", D("2026-03-05"), "2026-03-05 - Journal"),
    ("YYYY-MM-DD - Journal", D("2026-03-05"), "2026-03-05 - Journaml"),  # `a` is am/pm, as in Moment
])
def test_moment_table(pattern, day, expected):
    assert format_moment(pattern, day) == expected


@pytest.mark.parametrize("pattern, when, expected", [
    ("dddd, MMMM Do YYYY, h:mm:ss a", dt.datetime(2010, 2, 14, 15, 25, 50), "Sunday, February 14th 2010, 3:25:50 pm"),
    ("ddd, hA", dt.datetime(2010, 2, 14, 15, 25, 50), "Sun, 3PM"),
    ("HH:mm", dt.date(2026, 12, 4), "00:00"),
    ("h:mm A", dt.date(2026, 12, 4), "12:00 AM"),
    ("H h hh k kk m s ss a", dt.datetime(2026, 12, 4, 0, 5, 7), "0 12 12 24 24 5 7 07 am"),
    ("HH:mm:ss", dt.datetime(2026, 12, 4, 23, 59, 9), "23:59:09"),
    ("hh A", dt.datetime(2026, 12, 4, 12, 0), "12 PM"),
])
def test_moment_time_tokens(pattern, when, expected):
    assert format_moment(pattern, when) == expected


def test_every_date_token_is_known():
    tokens = ("YYYY YY Y M MM MMM MMMM Mo D DD Do DDD DDDD d dd ddd dddd do e E w ww wo W WW Wo "
              "gggg gg GGGG GG Q Qo").split()
    day = D("2026-12-04")
    for token in tokens:
        out = format_moment(token, day)
        assert out and not any(c.isalpha() and c in "YMDdeEwWgGQ" for c in out.replace("December", "")
                               .replace("Dec", "").replace("Friday", "").replace("Fri", "")
                               .replace("Fr", "")), (token, out)


def test_ordinals():
    assert [ordinal(n) for n in (0, 1, 2, 3, 4, 11, 12, 13, 101, 111, 112, 122)] == \
        ["0th", "1st", "2nd", "3rd", "4th", "11th", "12th", "13th", "101st", "111th", "112th", "122nd"]
