"""Keep-in-touch cadence: how long each contact may go without a touch.

The config table `[cadence]` maps a tier — a tag of the contact, or the value of its
`relationship` property — to `{ ideal = DAYS, max = DAYS }`. A contact of a tier is *due
soon* once more than `ideal` days passed since the last touch, and *overdue* once more
than `max` did. Contacts of no tier keep the plain quiet rule (`quiet_days`).

A touch is any interaction (a done interview, a dated thank-you, `last_contacted`) or any
note dated on or before today that links the contact (a daily note, a meeting note): the
interval restarts from it. Such a note raises no status; an interview's links to the
people it referred you to, a cancelled interview, and vaultkit's own drafts and agendas
are no touch. Pure: facts in, lists out.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .facts import Facts


@dataclass(frozen=True)
class Due:
    """A contact whose tier's interval has run out (or soon will)."""

    contact: str
    tier: str
    ideal: int
    max: int
    last_touch: str | None
    days: int | None  # days since the last touch; None when there was none


def tier_of(tiers: tuple[tuple[str, int, int], ...], fields: dict) -> tuple[str, int, int] | None:
    """The tier of a contact with these fields (by tag or `relationship`); of several,
    the strictest."""
    if not tiers:
        return None
    names = {str(t).lstrip("#").casefold() for t in fields.get("tags") or ()}
    relationship = fields.get("relationship")
    if isinstance(relationship, str):
        names.add(relationship.strip().casefold())
    found = [t for t in tiers if t[0].casefold() in names]
    return min(found, key=lambda t: (t[2], t[1], t[0])) if found else None


def due(f: Facts) -> tuple[list[Due], list[Due]]:
    """(overdue, due soon): contacts of a tier past `max`, and past `ideal` but not `max`,
    oldest touch first. Contacts set `dormant` or `closed` are left out."""
    overdue: list[Due] = []
    soon: list[Due] = []
    for c in f.contacts():
        tier = tier_of(f.cfg.cadence, f.ix.records[c].fields)
        if tier is None or f.contact_status(c) in ("dormant", "closed"):
            continue
        last = f.last_touch(c)
        days = None if last is None else (f.today - dt.date.fromisoformat(last)).days
        item = Due(c, tier[0], tier[1], tier[2], last, days)
        if days is None or days > tier[2]:
            overdue.append(item)
        elif days > tier[1]:
            soon.append(item)

    def order(d: Due) -> tuple:
        return (d.last_touch or "", f.ix.name(d.contact).casefold(), d.contact)
    return sorted(overdue, key=order), sorted(soon, key=order)
