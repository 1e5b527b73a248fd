"""The calendar feed: planned interviews and follow-up dates as an iCalendar file (RFC 5545).

Off by default; config `calendar = "interviews.ics"` names the file (inside the vault), which
every pass brings up to date, so a calendar app can subscribe to it. Written with the
`icalendar` library, the only user of it. Like every generated text the feed is a pure
function of the vault and today: events sorted, UIDs derived from the generated notes'
keys, no clock time (each event's DTSTAMP is its own date), so it is byte-identical when
nothing changed.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from urllib.parse import quote

from .facts import Facts

DURATION = dt.timedelta(hours=1)  # an interview with a time but no end: one hour
PRODID = "-//vaultkit//vaultkit interviews//EN"


def _uid(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:32] + "@vaultkit"


def obsidian_url(vault_name: str, path: str) -> str:
    """`obsidian://open?vault=…&file=…`: opens the note in Obsidian."""
    return f"obsidian://open?vault={quote(vault_name, safe='')}&file={quote(path, safe='')}"


def _start(date: str, time: str | None) -> tuple[dt.date | dt.datetime, dt.date | dt.datetime]:
    day = dt.date.fromisoformat(date)
    if time:
        try:
            hour, minute = (int(p) for p in time.split(":", 1))
            start = dt.datetime(day.year, day.month, day.day, hour, minute)
            return start, start + DURATION
        except ValueError:
            pass  # a time vaultkit cannot read (`doctor` reports it): an all-day event
    return day, day + dt.timedelta(days=1)


def _valid_date(value) -> bool:
    try:
        dt.date.fromisoformat(value)
    except (TypeError, ValueError):
        return False
    return True


def calendar_feed(f: Facts, vault_name: str) -> bytes:
    """The iCalendar file: every planned interview and every contact's `next_follow_up`."""
    import icalendar  # noqa: PLC0415 - only a vault with a calendar pays for the import

    ix = f.ix
    events: list[tuple[tuple, icalendar.Event]] = []
    for i in f.interviews():
        date = f.date_of(i)
        if f.status_of(i) != "planned" or not _valid_date(date):
            continue
        fields = ix.records[i].fields
        names = [ix.name(c) for c in ix.contacts_of(i)] or [f.contact_name_of(i) or "?"]
        key = f.agenda_key(i) or f"interview:{i}"
        start, end = _start(date, fields.get("time"))
        _, company = ix.interview_company(i)
        event = icalendar.Event()
        event.add("uid", _uid(key))
        event.add("dtstamp", dt.datetime.combine(dt.date.fromisoformat(date), dt.time(), dt.timezone.utc))
        event.add("dtstart", start)
        event.add("dtend", end)
        event.add("summary", "Informational interview with " + ", ".join(names)
                  + (f" ({company})" if company else ""))
        if fields.get("medium"):
            event.add("location", str(fields["medium"]))
        lines = [f"Interview note: {obsidian_url(vault_name, i)}"]
        agenda = f.generated(f.agenda_key(i))
        if agenda:
            lines.append(f"Agenda: {obsidian_url(vault_name, agenda)}")
        event.add("description", "\n".join(lines))
        event.add("url", obsidian_url(vault_name, agenda or i))
        events.append(((date, str(start), _uid(key)), event))
    for c in f.contacts():
        due = ix.records[c].fields.get("next_follow_up")
        if not _valid_date(due):
            continue
        key = f"follow-up:{ix.name(c)}:{due}"
        day = dt.date.fromisoformat(due)
        event = icalendar.Event()
        event.add("uid", _uid(key))
        event.add("dtstamp", dt.datetime.combine(day, dt.time(), dt.timezone.utc))
        event.add("dtstart", day)
        event.add("dtend", day + dt.timedelta(days=1))
        event.add("summary", f"Follow up with {ix.name(c)}")
        event.add("description", f"Contact note: {obsidian_url(vault_name, c)}")
        event.add("url", obsidian_url(vault_name, c))
        events.append(((due, str(day), _uid(key)), event))
    cal = icalendar.Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", f"Interviews ({vault_name})")
    for _, event in sorted(events, key=lambda t: t[0]):
        cal.add_component(event)
    return cal.to_ical()
