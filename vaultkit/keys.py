"""The keys of interviews' generated notes (`date:Name`), kept up to date one changed
interview at a time: a mixin of `index.Index`, whose records and queries it uses.

An interview's bases are `date:participant name`, one per participant; interviews that
share a base (case-insensitively) are numbered in path order (`:2`, `:3`…), so a key costs
no pass over all interviews. From a generated note's key, `_subjects_of_key` finds back
the notes whose blocks show that note.
"""

from __future__ import annotations

import bisect
from typing import Iterable

from .model import CONTACT, INTERVIEW, PROPERTY_NAMES

# The properties naming an interview's participants (`people`: Obsidian's convention).
_PARTICIPANT_PROPS = PROPERTY_NAMES["contact"]


class InterviewKeys:
    """Interview keys; the index holds `_base` (interview -> its bases) and `_base_groups`
    (casefolded base -> the (interview, participant slot) pairs sharing it, in path order)."""

    def contact_name_of(self, interview: str) -> str | None:
        """The interview's first participant's name; for an unresolved `contact` link, its
        target's name."""
        names = self.participant_names(interview)
        return names[0] if names else None

    def participant_names(self, interview: str) -> list[str]:
        """The names of the interview's participants (`contacts_of`); when none resolves,
        the name its first `contact`/`people` link points at, else nothing."""
        contacts = self.contacts_of(interview)
        if contacts:
            return [self.name(c) for c in contacts]
        for link in self.records[interview].links:
            if link.prop in _PARTICIPANT_PROPS:
                return [link.target.rsplit("/", 1)[-1]]
        return []

    def _bases_of(self, path: str) -> tuple[str, ...]:
        rec = self.records.get(path)
        if rec is None or rec.kind != INTERVIEW or not rec.ok:
            return ()
        date = rec.fields.get("date")
        if not date:
            return ()
        return tuple(f"{date}:{name}" for name in self.participant_names(path))

    def _rebase(self, path: str) -> set[str]:
        """Recompute one note's key bases; return the casefolded bases whose groups changed."""
        new = self._bases_of(path)
        old = self._base.get(path, ())
        if new == old:
            return set()
        touched = set()
        for slot, base in enumerate(old):
            key = base.casefold()
            group = self._base_groups[key]
            group.remove((path, slot))
            if not group:
                del self._base_groups[key]
            touched.add(key)
        self._base.pop(path, None)
        for slot, base in enumerate(new):
            key = base.casefold()
            bisect.insort(self._base_groups.setdefault(key, []), (path, slot))
            touched.add(key)
        if new:
            self._base[path] = new
        return touched

    def _rebase_all(self, paths: Iterable[str]) -> list[list[str]]:
        touched: set[str] = set()
        for path in paths:
            if path in self._base or self.kind(path) == INTERVIEW:
                touched |= self._rebase(path)
        return [[p for p, _ in self._base_groups[k]] for k in touched if k in self._base_groups]

    def _slot_key(self, interview: str, slot: int) -> str | None:
        bases = self._base.get(interview)
        if bases is None or slot >= len(bases):
            return None
        base = bases[slot]
        n = self._base_groups[base.casefold()].index((interview, slot)) + 1
        return base if n == 1 else f"{base}:{n}"

    def interview_key(self, interview: str, contact: str | None = None) -> str | None:
        """`date:Name` for the interview's generated notes: of its first participant (the
        agenda), or of `contact` among its participants (that person's thank-you). The
        second and later interviews sharing a base (case-insensitively, in path order)
        get `:2`, `:3`…"""
        slot = 0
        if contact is not None:
            contacts = self.contacts_of(interview)
            if contact not in contacts:
                return None
            slot = contacts.index(contact)
        return self._slot_key(interview, slot)

    def _subjects_of_key(self, key: str) -> set[str]:
        """The notes whose blocks show the generated note with this key (or count its `sent`)."""
        kind, _, rest = key.partition(":")
        found: set[str] = set()
        if kind in ("agenda", "thank-you"):
            for base in (rest, rest.rpartition(":")[0]):
                found.update(i for i, slot in self._base_groups.get(base.casefold(), ())
                             if self._slot_key(i, slot) == rest)
        elif kind == "thank-you-referral":
            referrer, _, referred = rest.partition(">")
            found.update(self.resolver.notes_named(referrer))
            found.update(self.resolver.notes_named(referred))
        for path in list(found):
            if self.kind(path) == INTERVIEW:
                found.update(self.contacts_of(path))
                found |= self._second_hop(self.records[path])
        for path in list(found):
            if self.kind(path) == CONTACT:
                # A dated send raises the contact's status, which its company's block shows.
                company = self.company_of(path)
                if company:
                    found.add(company)
        return found
