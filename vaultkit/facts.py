"""Facts derived from the index for one "today": statuses, keys, interactions, dues.

Pure. Every date rule (statuses by date, what is owed and due, the windows) lives here, so blocks, generated notes,
`status` and the daily note agree.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from .cadence import tier_of
from .config import Config
from .index import Index
from .resolve import stem as note_stem
from .model import CONTACT, INTERVIEW, NoteRecord, Referral

_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


def note_day(rec: NoteRecord) -> str | None:
    """The date a note is about: its `date` property, else a file name that is a date. A
    note dated on or before today that links a contact is a touch (see `last_touch`)."""
    day = rec.fields.get("date")
    if isinstance(day, str) and day:
        return day
    stem = note_stem(rec.path)
    return stem if _ISO_DAY.fullmatch(stem) else None


def status_by_date(date_iso: str | None, today_iso: str) -> str:
    """The status of an interview that has none written: `planned` on or after today (a
    date equal to today is still planned), `done` before it, `planned` with no date. Only
    the day counts: `2026-11-30 14:30` is 2026-11-30. The one rule for notes read
    (`Facts.status_of`) and notes created (`vaultkit new interview`)."""
    if not date_iso:
        return "planned"
    return "planned" if date_iso[:10] >= today_iso[:10] else "done"


_UNKNOWN = object()  # (not in a memo yet)

# How far each contact status goes; `dormant` and `closed` stand apart (the
# notes raise a status along this line, and a stored status ahead of them wins).
STATUS_ORDER = ("prospect", "contacted", "scheduled", "met")


@dataclass(frozen=True)
class Owed:
    """A thank-you not yet sent: to `to` (contact path), for an interview or a referral."""

    key: str
    to: str
    since: str | None  # its trigger: the interview's date, or the day the referral became owed
    interview: str | None
    referral: Referral | None
    draft: str | None  # path of the draft note, when it exists


class Facts:
    """Derived facts over an index for a given today and configuration."""

    def __init__(self, ix: Index, cfg: Config, today: dt.date):
        self.ix = ix
        self.cfg = cfg
        self.today = today
        self.today_iso = today.isoformat()
        # Per contact, asked by its block and again by the daily note (kept
        # for the life of these facts: a Facts is made anew whenever the index changes).
        self._last_interaction: dict[str, str | None] = {}
        self._status: dict[str, str] = {}
        self._met: dict[str, str | None] = {}
        self._sent_dates: dict[str, list[str]] = {}
        self._touch_day: dict[str, str | None] = {}  # path -> `_touch_day_of` (the daily note asks per link)
        # Thank-yous triggered before this day are history: not owed, drafted or listed.
        # (The configuration is checked so that this is a date; `min` keeps a hand-made
        # Config from crashing.)
        try:
            start = today - dt.timedelta(days=cfg.thank_you_window_days)
        except OverflowError:
            start = dt.date.min
        self.window_start = start.isoformat()

    # -- interviews ------------------------------------------------------------------

    def date_of(self, interview: str) -> str | None:
        return self.ix.records[interview].fields.get("date")

    def status_of(self, interview: str) -> str:
        """`planned`, `done` or `cancelled`; when absent, by date against today."""
        f = self.ix.records[interview].fields
        status = f.get("status")
        if status in ("planned", "done", "cancelled"):
            return status
        return status_by_date(f.get("date"), self.today_iso)

    def contact_of(self, interview: str) -> str | None:
        """The first participant (the one the agenda is named after)."""
        contacts = self.ix.contacts_of(interview)
        return contacts[0] if contacts else None

    def participants(self, interview: str) -> list[str]:
        """Every contact in the interview's `contact` and `people`."""
        return self.ix.contacts_of(interview)

    def contact_name_of(self, interview: str) -> str | None:
        return self.ix.contact_name_of(interview)

    def interviews(self) -> list[str]:
        return self.ix.paths_of_kind(INTERVIEW)

    def contacts(self) -> list[str]:
        return self.ix.paths_of_kind(CONTACT)

    # -- keys of generated notes -----------------------------------------------------

    def agenda_key(self, interview: str) -> str | None:
        base = self.ix.interview_key(interview)
        return f"agenda:{base}" if base else None

    def thank_you_key(self, interview: str, contact: str | None = None) -> str | None:
        """The key of the thank-you to `contact` (default: the first participant)."""
        base = self.ix.interview_key(interview, contact)
        return f"thank-you:{base}" if base else None

    def thank_you_keys(self, interview: str) -> list[tuple[str | None, str]]:
        """(participant, key) of each thank-you the interview calls for: one per
        participant; (None, key) for a `contact` that names no note."""
        contacts = self.participants(interview)
        pairs = [(c, self.thank_you_key(interview, c)) for c in contacts] if contacts \
            else [(None, self.thank_you_key(interview))]
        return [(c, k) for c, k in pairs if k]

    def referral_key(self, edge: Referral) -> str:
        return f"thank-you-referral:{self.ix.name(edge.referrer)}>{self.ix.name(edge.referred)}"

    def follow_ups_key(self, day: str | None = None) -> str:
        return f"follow-ups:{day or self.today_iso}"

    def generated(self, key: str | None) -> str | None:
        return self.ix.generated.get(key) if key else None

    # -- thank-yous --------------------------------------------------------------------

    def _sent_value(self, key: str | None):
        path = self.generated(key)
        return self.ix.records[path].fields.get("sent") if path else None

    def thank_you_sent(self, interview: str, contact: str | None = None) -> str | bool | None:
        """The interview's `thank_you_sent` (it speaks for every participant), else the
        draft's `sent` to `contact` (default: the first participant): a date string or True."""
        value = self.ix.records[interview].fields.get("thank_you_sent")
        if value:
            return value
        return self._sent_value(self.thank_you_key(interview, contact)) or None

    def referral_sent(self, edge: Referral) -> str | bool | None:
        return self._sent_value(self.referral_key(edge)) or None

    def met(self, contact: str) -> str | None:
        """The date of the first done interview with the contact, else None."""
        try:
            return self._met[contact]
        except KeyError:
            pass
        found = self._met[contact] = next((self.date_of(i) for i in self.ix.interviews_of(contact)
                                          if self.status_of(i) == "done" and self.date_of(i)), None)
        return found

    def referral_due(self, edge: Referral) -> bool:
        """A referral thank-you is due once B is met or the referral was recorded in an interview with A."""
        return bool(self.met(edge.referred)) or (edge.via is not None and self.status_of(edge.via) == "done")

    def referral_since(self, edge: Referral) -> str | None:
        """The first day the referral thank-you was owed: B met, or the recording interview held."""
        via = self.date_of(edge.via) if edge.via and self.status_of(edge.via) == "done" else None
        dates = [d for d in (self.met(edge.referred), via) if d]
        return min(dates) if dates else None

    def in_window(self, trigger: str | None) -> bool:
        """Whether a thank-you triggered on this day is still owed (the thank-you window);
        one with no date to go by stays owed."""
        return trigger is None or trigger >= self.window_start

    def owed(self) -> list[Owed]:
        """Thank-yous not yet sent and within the window, oldest first."""
        return [o for o in self._all_owed() if self.in_window(o.since)]

    def owed_older(self) -> int:
        """How many unsent thank-yous are older than the window (history: not listed)."""
        return sum(1 for o in self._all_owed() if not self.in_window(o.since))

    def _all_owed(self) -> list[Owed]:
        out: list[Owed] = []
        for i in self.interviews():
            if self.status_of(i) != "done":
                continue
            for contact, key in self.thank_you_keys(i):
                if contact is None or self.thank_you_sent(i, contact):
                    continue
                out.append(Owed(key, contact, self.date_of(i), i, None, self.generated(key)))
        for edge in self.ix.edges():
            if not self.referral_due(edge) or self.referral_sent(edge):
                continue
            key = self.referral_key(edge)
            out.append(Owed(key, edge.referrer, self.referral_since(edge), None, edge, self.generated(key)))
        out.sort(key=lambda o: (o.since or "9999", o.key))
        return out

    # -- interactions and dues ---------------------------------------------------------

    def sent_dates_to(self, contact: str) -> list[str]:
        """Dates of thank-yous sent to the contact (only dated sends count)."""
        dates = self._sent_dates.get(contact)
        if dates is not None:
            return dates
        dates = []
        for i in self.ix.interviews_of(contact):
            sent = self.thank_you_sent(i, contact)
            if isinstance(sent, str):
                dates.append(sent)
        for referred in self.ix.referred_by(contact):
            sent = self.referral_sent(Referral(contact, referred))
            if isinstance(sent, str):
                dates.append(sent)
        self._sent_dates[contact] = dates
        return dates

    def last_interaction(self, contact: str) -> str | None:
        if contact in self._last_interaction:
            return self._last_interaction[contact]
        found = self._last_interaction[contact] = self._find_last_interaction(contact)
        return found

    def _find_last_interaction(self, contact: str) -> str | None:
        rec = self.ix.records.get(contact)  # (none for a person named in a referral without a note)
        f = rec.fields if rec is not None else {}
        dates = [f.get("last_contacted")] if f.get("last_contacted") else []
        dates += [self.date_of(i) for i in self.ix.interviews_of(contact)
                  if self.status_of(i) == "done" and self.date_of(i) and self.date_of(i) <= self.today_iso]
        dates += [d for d in self.sent_dates_to(contact) if d <= self.today_iso]
        return max(dates) if dates else None

    def stored_status(self, contact: str) -> str:
        rec = self.ix.records.get(contact)  # (none for a person named in a referral without a note)
        status = rec.fields.get("status") if rec is not None else None
        return status if isinstance(status, str) and status else "prospect"

    def contact_status(self, contact: str) -> str:
        """The effective status: the furthest of the stored `status` and what the notes
        show (a done interview: `met`; a dated interaction: `contacted`). `dormant`,
        `closed` and a status vaultkit does not know stand as written."""
        found = self._status.get(contact)
        if found is None:
            found = self._status[contact] = self._effective_status(contact)
        return found

    def _effective_status(self, contact: str) -> str:
        stored = self.stored_status(contact)
        if stored not in STATUS_ORDER:
            return stored
        shown = "prospect"
        if any(self.status_of(i) == "done" for i in self.ix.interviews_of(contact)):
            shown = "met"
        elif self._dated_interaction(contact):
            shown = "contacted"
        return max(stored, shown, key=STATUS_ORDER.index)

    def _dated_interaction(self, contact: str) -> bool:
        """`last_contacted` or a thank-you sent with a date, on or before today (a planned
        interview, or a note linking the contact, is no interaction)."""
        rec = self.ix.records.get(contact)  # (none for a person named in a referral without a note)
        last = rec.fields.get("last_contacted") if rec is not None else None
        if last and last <= self.today_iso:
            return True
        return any(d <= self.today_iso for d in self.sent_dates_to(contact))

    def uncontacted_referrals(self) -> list[Referral]:
        """Referred contacts still `prospect` (effective status) with no interview, one
        line per person."""
        out = []
        seen = set()
        for e in self.ix.edges():
            if e.referred in seen:
                continue
            if self.contact_status(e.referred) == "prospect" and not self.ix.interviews_of(e.referred):
                seen.add(e.referred)
                out.append(e)
        return sorted(out, key=lambda e: (self.ix.name(e.referred).casefold(), e.referred))

    def days_between(self, earlier: str, later: str | None = None) -> int:
        return (dt.date.fromisoformat(later or self.today_iso) - dt.date.fromisoformat(earlier)).days

    def note_day(self, path: str) -> str | None:
        rec = self.ix.records.get(path)
        return None if rec is None else note_day(rec)

    def last_touch(self, contact: str) -> str | None:
        """The latest interaction with the contact, or note dated on or before today that
        links it (a daily note, a meeting note). Such a note restarts the contact's quiet and
        cadence intervals and nothing else; an interview's links to the people it referred
        you to, a cancelled interview, and vaultkit's own agendas and drafts are no touch."""
        best = self.last_interaction(contact)
        touch_day = self._touch_day
        today = self.today_iso
        for link in self.ix.inbound.get(contact, ()):
            if link.prop == "referrals" or link.source == contact:
                continue
            source = link.source
            day = touch_day.get(source, _UNKNOWN)
            if day is _UNKNOWN:
                day = touch_day[source] = self._touch_day_of(source)
            if day and day <= today and (best is None or day > best):
                best = day
        return best

    def _touch_day_of(self, source: str) -> str | None:
        """The day a note linking a contact touches them (see `last_touch`), whichever
        contact it links: its day, or None for no touch."""
        rec = self.ix.records.get(source)
        if rec is None:
            return None
        key = rec.fields.get("vaultkit_key")
        if rec.fields.get("generated_by") == "vaultkit" and isinstance(key, str) \
                and key.startswith(("agenda:", "thank-you")):
            return None
        if rec.kind == INTERVIEW and self.status_of(source) == "cancelled":
            return None
        return self.note_day(source)

    def quiet(self) -> list[tuple[str, str | None]]:
        """Contacts `contacted` or `met` with more than quiet_days since the last touch
        (contacts of a cadence tier are followed by their tier instead)."""
        out = []
        for c in self.contacts():
            if self.contact_status(c) not in ("contacted", "met"):
                continue
            if tier_of(self.cfg.cadence, self.ix.records[c].fields) is not None:
                continue
            last = self.last_touch(c)
            if last is None or self.days_between(last) > self.cfg.quiet_days:
                out.append((c, last))
        return sorted(out, key=lambda t: (t[1] or "", self.ix.name(t[0]).casefold()))

    def follow_ups_due(self) -> list[tuple[str, str]]:
        out = []
        for c in self.contacts():
            due = self.ix.records[c].fields.get("next_follow_up")
            if due and due <= self.today_iso:
                out.append((c, due))
        return sorted(out, key=lambda t: (t[1], self.ix.name(t[0]).casefold()))

    def upcoming(self, days: int) -> list[str]:
        end = (self.today + dt.timedelta(days=days)).isoformat()
        found = [i for i in self.interviews()
                 if self.status_of(i) != "cancelled" and self.date_of(i) and self.today_iso <= self.date_of(i) <= end]
        return sorted(found, key=self.ix.interview_sort)

    def week(self) -> dict[str, int]:
        """This week's numbers (today − 6 … today)."""
        start = (self.today - dt.timedelta(days=6)).isoformat()

        def in_week(d) -> bool:
            return isinstance(d, str) and start <= d <= self.today_iso

        held = [i for i in self.interviews() if self.status_of(i) == "done" and in_week(self.date_of(i))]
        referrals = [e for e in self.ix.edges() if e.via is not None and in_week(self.date_of(e.via))]
        sent = sum(1 for i in self.interviews() for c, _ in (self.thank_you_keys(i) or [(None, "")])
                   if in_week(self.thank_you_sent(i, c)))
        sent += sum(1 for e in self.ix.edges() if in_week(self.referral_sent(e)))
        return {"interviews_held": len(held), "referrals_gained": len(referrals), "thank_yous_sent": sent}
