"""Facts derived from the index for one "today": statuses, keys, interactions, dues.

Pure. Every date rule of SPEC §2 and §4.3–§4.4 lives here, so blocks, generated notes,
`status` and the daily note agree.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from .config import Config
from .index import Index
from .model import CONTACT, INTERVIEW, Referral


@dataclass(frozen=True)
class Owed:
    """A thank-you not yet sent: to `to` (contact path), for an interview or a referral."""

    key: str
    to: str
    since: str | None  # the interview's (or meeting's) date
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

    # -- interviews ------------------------------------------------------------------

    def date_of(self, interview: str) -> str | None:
        return self.ix.records[interview].fields.get("date")

    def status_of(self, interview: str) -> str:
        """`planned`, `done` or `cancelled`; when absent, by date against today."""
        f = self.ix.records[interview].fields
        status = f.get("status")
        if status in ("planned", "done", "cancelled"):
            return status
        date = f.get("date")
        if date is None:
            return "planned"
        return "planned" if date >= self.today_iso else "done"

    def contact_of(self, interview: str) -> str | None:
        contacts = self.ix.contacts_of(interview)
        return contacts[0] if contacts else None

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

    def thank_you_key(self, interview: str) -> str | None:
        base = self.ix.interview_key(interview)
        return f"thank-you:{base}" if base else None

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

    def thank_you_sent(self, interview: str) -> str | bool | None:
        """The interview's `thank_you_sent`, else its draft's `sent` (a date string or True)."""
        value = self.ix.records[interview].fields.get("thank_you_sent")
        if value:
            return value
        return self._sent_value(self.thank_you_key(interview)) or None

    def referral_sent(self, edge: Referral) -> str | bool | None:
        return self._sent_value(self.referral_key(edge)) or None

    def met(self, contact: str) -> str | None:
        """The date of the first done interview with the contact, else None."""
        for i in self.ix.interviews_of(contact):
            if self.status_of(i) == "done" and self.date_of(i):
                return self.date_of(i)
        return None

    def referral_due(self, edge: Referral) -> bool:
        """A referral thank-you is due once B is met or the referral was recorded in an interview with A."""
        return bool(self.met(edge.referred)) or (edge.via is not None and self.status_of(edge.via) == "done")

    def referral_since(self, edge: Referral) -> str | None:
        dates = [d for d in (self.met(edge.referred), self.date_of(edge.via) if edge.via else None) if d]
        return min(dates) if dates else None

    def owed(self) -> list[Owed]:
        """Thank-yous not yet sent, oldest first."""
        out: list[Owed] = []
        for i in self.interviews():
            if self.status_of(i) != "done" or self.thank_you_sent(i):
                continue
            contact = self.contact_of(i)
            key = self.thank_you_key(i)
            if contact is None or key is None:
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
        dates = []
        for i in self.ix.interviews_of(contact):
            sent = self.thank_you_sent(i)
            if isinstance(sent, str):
                dates.append(sent)
        for referred in self.ix.referred_by(contact):
            sent = self.referral_sent(Referral(contact, referred))
            if isinstance(sent, str):
                dates.append(sent)
        return dates

    def last_interaction(self, contact: str) -> str | None:
        if contact in self._last_interaction:
            return self._last_interaction[contact]
        found = self._last_interaction[contact] = self._find_last_interaction(contact)
        return found

    def _find_last_interaction(self, contact: str) -> str | None:
        f = self.ix.records[contact].fields
        dates = [f.get("last_contacted")] if f.get("last_contacted") else []
        dates += [self.date_of(i) for i in self.ix.interviews_of(contact)
                  if self.status_of(i) == "done" and self.date_of(i) and self.date_of(i) <= self.today_iso]
        dates += [d for d in self.sent_dates_to(contact) if d <= self.today_iso]
        return max(dates) if dates else None

    def contact_status(self, contact: str) -> str:
        rec = self.ix.records.get(contact)  # (none for a person named in a referral without a note)
        status = rec.fields.get("status") if rec is not None else None
        return status if isinstance(status, str) and status else "prospect"

    def uncontacted_referrals(self) -> list[Referral]:
        """Referred contacts still `prospect` with no interview, one line per person."""
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

    def quiet(self) -> list[tuple[str, str | None]]:
        """Contacts `contacted` or `met` with more than quiet_days since the last interaction."""
        out = []
        for c in self.contacts():
            if self.contact_status(c) not in ("contacted", "met"):
                continue
            last = self.last_interaction(c)
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
        return sorted(found, key=self.ix._interview_sort)

    def week(self) -> dict[str, int]:
        """This week's numbers (today − 6 … today)."""
        start = (self.today - dt.timedelta(days=6)).isoformat()

        def in_week(d) -> bool:
            return isinstance(d, str) and start <= d <= self.today_iso

        held = [i for i in self.interviews() if self.status_of(i) == "done" and in_week(self.date_of(i))]
        referrals = [e for e in self.ix.edges() if e.via is not None and in_week(self.date_of(e.via))]
        sent = sum(1 for i in self.interviews() if in_week(self.thank_you_sent(i)))
        sent += sum(1 for e in self.ix.edges() if in_week(self.referral_sent(e)))
        return {"interviews_held": len(held), "referrals_gained": len(referrals), "thank_yous_sent": sent}
