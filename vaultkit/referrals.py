"""Referral edges: who introduced you to whom, from both ways of recording it (a contact's
`referred_by`, an interview's `referrals`), kept up to date one changed note at a time.
A mixin of `index.Index`, whose records and link queries it reads.
"""

from __future__ import annotations

from typing import Iterable

from .model import CONTACT, INTERVIEW, Referral

# A person named in a referral who has no note yet (`referrals: ["[[Cara Diaz]]"]`, or a
# `referred_by` naming nobody) is a node of the referral graph all the same: its "path" is
# this prefix and the name as written. It is never in `records`; blocks show it as a name.
PHANTOM = "\x00"


def is_phantom(path: str) -> bool:
    return path.startswith(PHANTOM)


class ReferralEdges:
    """The referral-edge part of the index."""

    def edges(self) -> list[Referral]:
        """Every referral edge referrer -> referred, from both ways of recording it,
        by (referrer, referred) path.

        One Referral per (referrer, referred) pair; `via` is the earliest interview that
        recorded it, or None when only `referred_by` did.
        """
        if not self._edges_built:
            self._edges_built = True
            self._set_edge_parts((p for p, r in self.records.items() if r.kind in (CONTACT, INTERVIEW)),
                                 ends=False)
        if self._edges_sorted is None:
            self._edges_sorted = [self._edge_map[pair] for pair in sorted(self._edge_map)]
        return self._edges_sorted

    def _edge_parts_of(self, path: str) -> tuple[tuple[str, str, str | None], ...]:
        """The edges one note records: a contact its `referred_by`, an interview its
        `referrals` (each referred by the interview's contacts)."""
        rec = self.records.get(path)
        if rec is None or not rec.ok:
            return ()
        if rec.kind == CONTACT:
            referrers = self._out_prop(path, "referred_by", CONTACT) + self._nobody(path, "referred_by")
            return tuple((referrer, path, None) for referrer in referrers if referrer != path)
        if rec.kind == INTERVIEW:
            referred = self._out_prop(path, "referrals", CONTACT) + self._nobody(path, "referrals")
            if referred:
                return tuple((a, b, path) for a in self.contacts_of(path) for b in referred if b != a)
        return ()

    def referred_in(self, interview: str) -> list[str]:
        """The people an interview's `referrals` name: contact notes, then phantoms."""
        return self._out_prop(interview, "referrals", CONTACT) + self._nobody(interview, "referrals")

    def _nobody(self, path: str, prop: str) -> list[str]:
        """The people a property names who have no note (its unresolved links), as phantoms."""
        found: list[str] = []
        for link in self.unresolved.get(path, ()):
            if link.prop == prop:
                name = " ".join(link.target.rsplit("/", 1)[-1].split())
                if name and PHANTOM + name not in found:
                    found.append(PHANTOM + name)
        return found

    def _set_edge_parts(self, paths: Iterable[str], ends: bool = True) -> set[str]:
        """Redo what these notes record, then the pairs it touches (all the old parts go
        first: a pair's `via` is picked among notes that still record it); the notes that
        show an edge that came, went or changed (not asked when every edge is new)."""
        pairs = set()
        redo = []
        for path in paths:
            old = self._edge_parts.pop(path, ())
            for a, b, _ in old:
                sources = self._pair_sources.get((a, b))
                if sources is not None:
                    sources.pop(path, None)
                pairs.add((a, b))
            redo.append(path)
        for path in redo:
            new = self._edge_parts_of(path)
            if new:
                self._edge_parts[path] = new
            for a, b, via in new:
                self._pair_sources.setdefault((a, b), {})[path] = via
                pairs.add((a, b))
        # Every pair is redone, even one whose recorders did not change: an interview's
        # date picks `via`. Both ends of an edge that came, went or changed show it, and so
        # do the interviews of the one referred ("B was referred by: A").
        shown: set[str] = set()
        for pair in pairs:
            if self._set_edge(pair) and ends:
                shown.update(pair)
                shown.update(self.interviews_of(pair[1]))
        return shown

    def _set_edge(self, pair: tuple[str, str]) -> bool:
        """Redo one pair's edge from its recorders; whether it changed."""
        a, b = pair
        sources = self._pair_sources.get(pair)
        if not sources:
            self._pair_sources.pop(pair, None)
            if self._edge_map.pop(pair, None) is not None:
                self._edges_sorted = None
                _unlist(self._referrers, b, a)
                _unlist(self._referred, a, b)
                return True
            return False
        vias = [v for v in sources.values() if v is not None]
        edge = Referral(a, b, min(vias, key=self.interview_sort) if vias else None)
        if self._edge_map.get(pair) != edge:
            self._edge_map[pair] = edge
            self._edges_sorted = None
            _list(self._referrers, b, a)
            _list(self._referred, a, b)
            return True
        return False

    def edges_touching(self, contacts: Iterable[str]) -> list[Referral]:
        """The edges whose referrer or referred is one of `contacts`, in `edges()` order."""
        if not self._edges_built:
            self.edges()
        pairs = set()
        for c in contacts:
            pairs.update((c, b) for b in self._referred.get(c, ()))
            pairs.update((a, c) for a in self._referrers.get(c, ()))
        return [self._edge_map[pair] for pair in sorted(pairs)]

    def referrers_of(self, contact: str) -> list[str]:
        """Who referred you to this contact, by name."""
        if not self._edges_built:
            self.edges()
        return sorted(self._referrers.get(contact, ()), key=self.name_sort)

    def referred_by(self, contact: str) -> list[str]:
        """Whom this contact referred you to, by name."""
        if not self._edges_built:
            self.edges()
        return sorted(self._referred.get(contact, ()), key=self.name_sort)


def _list(index: dict[str, list[str]], key: str, value: str) -> None:
    found = index.get(key)
    if found is None:
        index[key] = [value]
    elif value not in found:
        found.append(value)


def _unlist(index: dict[str, list[str]], key: str, value: str) -> None:
    found = index.get(key)
    if found is not None and value in found:
        found.remove(value)
        if not found:
            del index[key]
