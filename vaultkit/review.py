"""The weekly networking review: the figures of the current ISO week and the eleven before it.

Pure: facts in, the text of block `review` out. One note a week, `Reviews/YYYY-Www.md`,
is created by the first sync of the week and refreshed by every sync of that week; the
notes of past weeks are never touched again. Every figure counts only what is dated on or
before today, so the block of a week still running grows day by day and then stays.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from .facts import Facts
from .model import Referral

WEEKS = 12  # the current week and the eleven before it
STALE_DAYS = 14  # a referral not contacted within this many days has gone stale
TOP_CONNECTORS = 5
_NONE = "_none_"


def week_label(day: dt.date) -> str:
    """`2026-W49`: the ISO year and week of `day`."""
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def week_start(day: dt.date) -> dt.date:
    """The Monday of the ISO week of `day`."""
    return day - dt.timedelta(days=day.weekday())


def review_key(day: dt.date) -> str:
    return f"review:{week_label(day)}"


@dataclass(frozen=True)
class Week:
    """The figures of one ISO week (only what is dated on or before today counts)."""

    label: str
    start: dt.date
    outreach: int
    interviews: int
    referrals: int
    thank_you_days: float | None  # median days from interview to thank-you sent
    first_contact_days: float | None  # median days from referral to first contact


def _day(value) -> dt.date | None:
    if isinstance(value, str) and len(value) == 10:
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            return None
    return None


def median(values: list[int]) -> float:
    """The median of `values` (not empty), as `statistics.median` gives it: the middle
    one, or the mean of the two middle ones (that module costs ~6 ms to import)."""
    ordered = sorted(values)
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2


class _Dates:
    """The dated events the review counts, gathered once from the facts."""

    def __init__(self, f: Facts):
        self.f = f
        today = f.today
        ix = f.ix
        self.held: list[tuple[dt.date, str]] = []  # (date, interview) of done interviews
        self.first_touch: dict[str, dt.date] = {}  # contact -> first dated interaction
        self.thanked: list[tuple[dt.date, int]] = []  # (interview date, days to thank-you)
        for i in f.interviews():
            day = _day(f.date_of(i))
            if day is None or day > today or f.status_of(i) != "done":
                continue
            self.held.append((day, i))
            sent = _day(f.thank_you_sent(i))
            if sent is not None and day <= sent <= today:
                self.thanked.append((day, (sent - day).days))
            for c in ix.contacts_of(i):
                self._touch(c, day)
        for c in f.contacts():
            fields = ix.records[c].fields
            last = _day(fields.get("last_contacted"))
            if last is not None and last <= today:
                self._touch(c, last)
            for sent in f.sent_dates_to(c):
                day = _day(sent)
                if day is not None and day <= today:
                    self._touch(c, day)
        # Referral edges with the date they were recorded (the interview that recorded them).
        self.referrals: list[tuple[dt.date, Referral]] = []
        for edge in ix.edges():
            day = _day(f.date_of(edge.via)) if edge.via else None
            if day is not None and day <= today and f.status_of(edge.via) == "done":
                self.referrals.append((day, edge))

    def _touch(self, contact: str, day: dt.date) -> None:
        first = self.first_touch.get(contact)
        if first is None or day < first:
            self.first_touch[contact] = day

    def week(self, start: dt.date) -> Week:
        end = min(start + dt.timedelta(days=6), self.f.today)

        def inside(day: dt.date) -> bool:
            return start <= day <= end

        outreach = sum(1 for day in self.first_touch.values() if inside(day))
        interviews = sum(1 for day, _ in self.held if inside(day))
        referred = [(day, e) for day, e in self.referrals if inside(day)]
        thank_you = [days for day, days in self.thanked if inside(day)]
        first = []
        for day, e in referred:
            touched = self.first_touch.get(e.referred)
            if touched is not None and touched >= day:
                first.append((touched - day).days)
        return Week(week_label(start), start, outreach, interviews, len(referred),
                    median(thank_you) if thank_you else None,
                    median(first) if first else None)

    def stale(self) -> list[tuple[dt.date, Referral]]:
        """Referrals recorded more than STALE_DAYS ago whose person was never contacted."""
        out = []
        limit = self.f.today - dt.timedelta(days=STALE_DAYS)
        seen: set[str] = set()
        for day, e in sorted(self.referrals, key=lambda t: (t[0], t[1].referred)):
            if e.referred in seen or day >= limit or e.referred in self.first_touch:
                continue
            if self.f.ix.interviews_of(e.referred):
                continue
            seen.add(e.referred)
            out.append((day, e))
        return out

    def connectors(self) -> list[tuple[str, int]]:
        """Referrers whose referrals led to an interview held, most first."""
        counts: dict[str, set[str]] = {}
        met = {c for _, i in self.held for c in self.f.ix.contacts_of(i)}
        for e in self.f.ix.edges():
            if e.referred in met:
                counts.setdefault(e.referrer, set()).add(e.referred)
        ranked = sorted(counts.items(), key=lambda t: (-len(t[1]), self.f.ix.name(t[0]).casefold(), t[0]))
        return [(path, len(people)) for path, people in ranked[:TOP_CONNECTORS]]


def _days(value: float | None) -> str:
    if value is None:
        return "–"
    return f"{value:g} day" if value == 1 else f"{value:g} days"


def _ratio(referrals: int, interviews: int) -> str:
    return "–" if not interviews else f"{referrals / interviews:.1f}"


def weeks(f: Facts) -> list[Week]:
    """The current week and the eleven before it, oldest first."""
    dates = _Dates(f)
    start = week_start(f.today)
    return [dates.week(start - dt.timedelta(weeks=n)) for n in range(WEEKS - 1, -1, -1)]


def review_block(f: Facts) -> str:
    """Block `review` of this week's review note."""
    dates = _Dates(f)
    this = week_start(f.today)
    history = [dates.week(this - dt.timedelta(weeks=n)) for n in range(WEEKS - 1, -1, -1)]
    now = history[-1]
    ix = f.ix
    lines = [f"**Week {now.label}** ({now.start.isoformat()} … {f.today_iso})", "",
             f"- Outreach started: {now.outreach}",
             f"- Interviews held: {now.interviews}",
             f"- Referrals gained: {now.referrals} ({_ratio(now.referrals, now.interviews)} per interview)",
             f"- Median days from interview to thank-you sent: {_days(now.thank_you_days)}",
             f"- Median days from referral to first contact: {_days(now.first_contact_days)}",
             ""]
    stale = dates.stale()
    lines.append(f"**Referrals gone stale** (not contacted within {STALE_DAYS} days)")
    if stale:
        for day, e in stale:
            lines.append(f"- {ix.link(e.referred)}, referred by {ix.link(e.referrer)} on {day.isoformat()}")
    else:
        lines.append(f"- {_NONE}")
    lines.append("")
    lines.append("**Top connectors** (whose referrals led to interviews)")
    connectors = dates.connectors()
    if connectors:
        for path, n in connectors:
            lines.append(f"- {ix.link(path)}: {n} " + ("person" if n == 1 else "people") + " met")
    else:
        lines.append(f"- {_NONE}")
    lines += ["", f"**The last {WEEKS} weeks**", "",
              "| Week | Outreach | Interviews | Referrals | Referrals per interview | Days to thank-you | Days to first contact |",
              "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for w in reversed(history):
        lines.append(f"| {w.label} | {w.outreach} | {w.interviews} | {w.referrals} | "
                     f"{_ratio(w.referrals, w.interviews)} | {_days(w.thank_you_days)} | "
                     f"{_days(w.first_contact_days)} |")
    top = max([1, *(max(w.interviews, w.referrals) for w in history)])
    labels = ", ".join(f'"{w.label[5:]}"' for w in history)
    lines += ["", "```mermaid", "xychart-beta",
              '  title "Interviews and referrals per week"',
              f"  x-axis [{labels}]",
              f'  y-axis "Count" 0 --> {top}',
              f"  bar [{', '.join(str(w.interviews) for w in history)}]",
              f"  line [{', '.join(str(w.referrals) for w in history)}]",
              "```"]
    return "\n".join(lines) + "\n"
