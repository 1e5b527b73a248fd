"""The graph of the vault: resolved links, backlinks, referrals, interviews per contact.

Pure: built from NoteRecords, updated one changed note at a time (`update`), so that the
watcher's work per batch does not grow with the size of the vault.
"""

from __future__ import annotations

from typing import Callable, Iterable

from .links import nameable, note_link, styled_link, wikilink
from .keys import InterviewKeys
from .referrals import PHANTOM, ReferralEdges
from .resolve import (Named, Resolver, bucket_add, bucket_discard, bucket_paths, company_key, link_keys, names_of,
                      stem as note_stem)
from .model import COMPANY, CONTACT, INTERVIEW, PROPERTY_NAMES, Link, NoteRecord, Records, Referral, ResolvedLink

_new = tuple.__new__


class Index(ReferralEdges, InterviewKeys):
    """Backlinks, referral edges and typed views over a set of notes."""

    def __init__(self, records: Iterable[NoteRecord] = (), attachments: Iterable[str] = (),
                 named: Named | None = None):
        """`named`: a resolver that already holds some of `records` (added while they were
        read), and those records by path: each is not added again (see `Named`)."""
        self.records: Records = Records()
        self.resolver = Resolver((), attachments) if named is None else named.resolver
        if named is not None:
            for path in attachments:
                self.resolver.add_attachment(path)
        added = named.records if named is not None else {}
        self.out: dict[str, list[ResolvedLink]] = {}
        self.unresolved: dict[str, list[Link]] = {}
        # target -> the links to it (a list: most notes have a few, and a set costs 200+
        # bytes; a link written twice on one line is there twice, as in `out`)
        self.inbound: dict[str, list[ResolvedLink]] = {}
        # lower-cased name -> notes with a link that name can capture (a str for one note,
        # else a set: see resolve.bucket_add). Only `update` needs it, and only when names come or
        # go: made by `track_names` for a long-lived index (watch).
        self._by_key: dict[str, str | set[str]] | None = None
        self._stale: set[str] | None = None  # what the last `update` made stale (None: all)
        # Referral edges, built on first use and then kept up to date by `update`: what
        # each contact or interview records (referrer, referred, interview or None), the
        # recorders of each (referrer, referred) pair, the edges, and per-contact views.
        self._edges_built = False
        self._edge_parts: dict[str, tuple[tuple[str, str, str | None], ...]] = {}
        self._pair_sources: dict[tuple[str, str], dict[str, str | None]] = {}
        self._edge_map: dict[tuple[str, str], Referral] = {}
        self._edges_sorted: list[Referral] | None = None
        # (lists, not sets: most contacts have one or two, and a set costs 200+ bytes)
        self._referrers: dict[str, list[str]] = {}  # referred -> referrers
        self._referred: dict[str, list[str]] = {}   # referrer -> referred
        self.generated: dict[str, str] = {}
        # Answers to queries asked again and again (a note's wikilink, a contact's
        # interviews...), per note; `update` drops those of the notes it reports affected
        # (every note whose answers can differ is among them: the same set tells which
        # blocks to render again, see the property tests).
        self._memo: dict[str, dict[tuple, tuple[str, ...]]] = {}
        self._kind_memo: dict[str, list[str]] = {}
        self._by_company: dict[str, list[str]] | None = None  # company_key -> interviews (`interviews_at_name`)
        self._links: dict[str, str] = {}
        self._sort_keys: dict[str, str] = {}  # path: its name, casefolded
        self._updating = False
        # Interviews' key bases ("date:participant name"): see keys.InterviewKeys.
        self._base: dict[str, tuple[str, ...]] = {}
        self._base_groups: dict[str, list[tuple[str, int]]] = {}
        records = list(records)
        for rec in records:
            self.records[rec.path] = rec
            if added.get(rec.path) is not rec:
                self.resolver.add(rec.path, rec.name, rec.aliases)
            self._note_generated(rec, add=True)
        self._link_out(records, *self.resolver.fixed_names_resolve())
        for rec in records:
            if rec.kind == INTERVIEW:
                self._rebase(rec.path)

    # -- building --------------------------------------------------------------------

    def _note_generated(self, rec: NoteRecord, add: bool) -> None:
        key = rec.fields.get("vaultkit_key")
        if not key or rec.fields.get("generated_by") != "vaultkit":
            return
        if add:
            # Two notes claiming one key: the first in path order wins, deterministically.
            current = self.generated.get(key)
            if current is None or rec.path < current:
                self.generated[key] = rec.path
        elif self.generated.get(key) == rec.path:
            del self.generated[key]
            for other in sorted(self.records.values(), key=lambda r: r.path):
                if other.path != rec.path and other.fields.get("vaultkit_key") == key \
                        and other.fields.get("generated_by") == "vaultkit":
                    self.generated[key] = other.path
                    break

    def _link_out(self, records: Iterable[NoteRecord], memo: dict[str, str] | None = None,
                  resolve: Callable[[Link, str], str | None] | None = None) -> None:
        """Resolve the links of `records` into `out`, `inbound` and `unresolved`: with the
        current names, or with a build's `memo` and `resolve` (`Resolver.fixed_names_resolve`:
        while no name comes or goes, a wikilink is looked up in the memo first). Written
        for speed: this loop runs once per link of the vault."""
        memo = {} if memo is None else memo
        resolve = resolve or self.resolver.resolve
        inbound, out, unresolved_of = self.inbound, self.out, self.unresolved
        for rec in records:
            path = rec.path
            if self._by_key is not None:
                self._key_links(rec)
            resolved: list[ResolvedLink] = []
            unresolved = None
            for link in rec.links:  # (link[0] is its target, [1] its style, [3] its property)
                found = memo.get(link[0]) if link[1] == "wiki" else None
                if found is None:
                    found = resolve(link, path)
                    if found is None:
                        if unresolved is None:
                            unresolved = [link]
                        else:
                            unresolved.append(link)
                        continue
                if found != path or link[3] is not None:
                    r = _new(ResolvedLink, (path, found, link[3]))  # (as ResolvedLink(...), faster)
                    resolved.append(r)
                    bucket = inbound.get(found)
                    if bucket is None:
                        inbound[found] = [r]
                    else:
                        bucket.append(r)
            out[path] = resolved
            if unresolved is not None:
                unresolved_of[path] = unresolved
            else:
                unresolved_of.pop(path, None)

    def track_names(self) -> None:
        """Keep, from now on, a map from names to the notes whose links they can capture,
        so that a note coming, going or renamed costs no pass over every link (`watch`:
        a long-lived index; a one-pass sync does without it and its memory)."""
        if self._by_key is None:
            self._by_key = {}
            for rec in self.records.values():
                self._key_links(rec)

    def _linking(self, keys: set[str]) -> set[str]:
        """The notes with a link that one of these names (lookup keys) can capture."""
        found: set[str] = set()
        if self._by_key is not None:
            for key in keys:
                found.update(bucket_paths(self._by_key, key) or ())
            return found
        for path, rec in self.records.items():  # one pass over every link
            for link in rec.links:
                base, whole = link_keys(link)
                if base in keys or whole in keys:
                    found.add(path)
                    break
        return found

    def _key_links(self, rec: NoteRecord) -> None:
        by_key = self._by_key
        path = rec.path
        for link in rec.links:
            base, whole = link_keys(link)
            bucket_add(by_key, base, path)
            if whole is not None:
                bucket_add(by_key, whole, path)

    def _unlink_out(self, path: str) -> set[str]:
        old_targets: set[str] = set()
        for r in self.out.pop(path, ()):
            old_targets.add(r.target)
        for target in old_targets:
            bucket = self.inbound.get(target)
            if bucket is not None:
                bucket[:] = [r for r in bucket if r.source != path]
                if not bucket:
                    del self.inbound[target]
        self.unresolved.pop(path, None)
        rec = self.records.get(path)
        if rec is not None and self._by_key is not None:
            for link in rec.links:
                for key in link_keys(link):
                    if key is not None:
                        bucket_discard(self._by_key, key, path)
        return old_targets

    def update(self, changed: dict[str, NoteRecord | None]) -> set[str]:
        """Apply changed notes (None: deleted); return every note whose output may change."""
        self._updating = True  # queries asked halfway through must not be remembered
        self._stale = self._by_company = None
        try:
            return self._update(changed)
        finally:
            self._updating = False
            self._forget(self._stale)

    def _forget(self, paths: set[str] | None) -> None:
        """Drop remembered answers about `paths` (None: about every note)."""
        if paths is None:
            for remembered in (self._memo, self._kind_memo, self._links, self._sort_keys):
                remembered.clear()
            return
        for path in paths:
            self._memo.pop(path, None)
            self._links.pop(path, None)
            self._sort_keys.pop(path, None)

    def _update(self, changed: dict[str, NoteRecord | None]) -> set[str]:
        affected: set[str] = set()
        rekeys: set[str] = set()
        # Notes whose link (as other notes' blocks show it) or name may change: the changed
        # notes, and the notes sharing a base name with one that comes or goes (a link to
        # them is then written as a path, or no longer needs to be). Their blocks' readers
        # are found before the change and again after it.
        shown = set(changed)
        generated_keys: set[str] = set()
        kinds = [(self.records.get(path), rec) for path, rec in changed.items()]
        for path, rec in changed.items():
            old = self.records.get(path)
            if (old is None) != (rec is None):
                shown.update(self.resolver.notes_with_stem_of(path))
            for r in (old, rec):
                if r is not None and r.fields.get("generated_by") == "vaultkit" and r.fields.get("vaultkit_key"):
                    generated_keys.add(r.fields["vaultkit_key"])
        if not self._edges_built:
            self.edges()  # as they stand before the change (the next plan needs them anyway)
        for path in shown:
            affected |= self._shown_in(path)
        for path, rec in changed.items():
            old = self.records.get(path)
            affected.add(path)
            # (a note that stays under the same names leaves the resolver as it is)
            renamed = old is None or rec is None or (old.name, old.aliases) != (rec.name, rec.aliases)
            if old is not None:
                affected |= self._unlink_out(path)
                affected |= {r.source for r in self.inbound.get(path, ())}
                affected |= self._second_hop(old)
                self._note_generated(old, add=False)
                if renamed:
                    rekeys |= names_of(old)
                    self.resolver.remove(path)
                del self.records[path]
            if rec is not None:
                if renamed:
                    rekeys |= names_of(rec)
                    self.resolver.add(path, rec.name, rec.aliases)
                self.records[path] = rec
                self._note_generated(rec, add=True)
        # Links elsewhere whose resolution may differ now that names came or went.
        relink: set[str] = set(p for p, r in changed.items() if r is not None)
        if rekeys:
            relink |= self._linking(rekeys)
        for path in relink:
            rec = self.records.get(path)
            if rec is None:
                continue
            if path not in changed:
                affected |= self._unlink_out(path)
            self._link_out((rec,))
            affected.add(path)
            affected |= {r.target for r in self.out.get(path, ())}
        for path, rec in changed.items():
            if rec is not None:
                affected |= {r.source for r in self.inbound.get(path, ())}
                affected |= self._second_hop(rec)
        # What each contact or interview records can change only for notes among these:
        # their own links or the kinds of the notes they link to changed.
        affected |= self._set_edge_parts(affected | changed.keys())
        # Interviews whose key base may have changed are all among `affected` (their own
        # note, or a contact link that was re-resolved or whose target changed). When a
        # group of same-base interviews changes, its members' `:2`, `:3` suffixes may too.
        for group in self._rebase_all(affected | changed.keys()):
            for path in group:
                affected.add(path)
                affected.update(self.contacts_of(path))
                affected |= self._second_hop(self.records[path])
        for path in changed:
            shown.update(self.resolver.notes_with_stem_of(path))
        for path in shown:
            if path in self.records:
                affected |= self._shown_in(path, edges=False)
        # A generated note came, went or changed (its `sent` date, its path): the blocks
        # that show it or count it.
        for key in generated_keys:
            affected |= self._subjects_of_key(key)
        if any(old is None or rec is None or (old.kind, old.ok) != (rec.kind, rec.ok)
               for old, rec in kinds):
            self._kind_memo.clear()
        self._stale = affected | shown | changed.keys()
        return {p for p in affected if p in self.records}

    def _shown_in(self, path: str, edges: bool = True) -> set[str]:
        """The notes whose blocks may show this note's link or name: those it links to,
        those linking to it, its interviews' companies, and (from the referral edges as
        they stand, when `edges`) whom it referred and who referred it."""
        found = {r.target for r in self.out.get(path, ())}
        for r in self.inbound.get(path, ()):
            found.add(r.source)
            source = self.records.get(r.source)
            if source is not None and source.kind == INTERVIEW:
                found |= self._second_hop(source)  # a company block: "interview, with [[this]]"
        rec = self.records.get(path)
        if rec is not None:
            found |= self._second_hop(rec)
        if edges:
            found.update(self._referrers.get(path, ()))
            for referred in self._referred.get(path, ()):
                found.add(referred)
                found.update(self.interviews_of(referred))  # "B was referred by: this"
        if rec is not None and rec.fields.get("generated_by") == "vaultkit" and rec.fields.get("vaultkit_key"):
            found |= self._subjects_of_key(rec.fields["vaultkit_key"])
        return found

    def _second_hop(self, rec: NoteRecord) -> set[str]:
        """An interview also shows in its own company's block and its contacts' companies'."""
        if rec.kind != INTERVIEW or rec.path not in self.out:
            return set()
        out = set(self._out_prop(rec.path, "company", COMPANY))
        for c in self.contacts_of(rec.path):
            out.update(p for p in (self.company_of(c),) if p)
            out.update(self._in_prop(c, "contact", COMPANY))  # companies listing them in `people`
        return out

    # -- queries ---------------------------------------------------------------------

    def kind(self, path: str) -> str | None:
        rec = self.records.get(path)
        return rec.kind if rec else None

    def name(self, path: str) -> str:
        rec = self.records.get(path)
        if rec is not None:
            return rec.name
        if path.startswith(PHANTOM):
            return path[1:]
        return note_stem(path)

    # None: wikilinks; else the Markdown link format (shortest, relative, absolute)
    markdown_links: str | None = None

    def link(self, path: str, source: str | None = None) -> str:
        """A link to the note that resolves back to it, showing its display name: a
        wikilink, or for a file name no wikilink can spell (`C#D.md`) a Markdown link
        relative to `source`, the note that holds the link (a person without a note: the
        name alone)."""
        if path.startswith(PHANTOM):
            return path[1:]
        if self.markdown_links is not None:  # Obsidian set to Markdown links: always those
            return styled_link(path, self.resolver.link_target_for(path), self.name(path), source,
                               self.markdown_links)
        found = None if self._updating else self._links.get(path)
        if found is None:
            target = self.resolver.link_target_for(path)
            name = self.name(path)
            if not nameable(target):
                return note_link(path, target, name, source)
            found = wikilink(target, None if name == target else name)
            if not self._updating:
                self._links[path] = found
        return found

    def target(self, path: str) -> str:
        if path.startswith(PHANTOM):
            return path[1:]  # (a link to the note that `vaultkit new contact` would make)
        return self.resolver.link_target_for(path)

    def paths_of_kind(self, kind: str) -> list[str]:
        found = None if self._updating else self._kind_memo.get(kind)
        if found is None:
            found = self.records.of_kind(kind)
            if not self._updating:
                self._kind_memo[kind] = found
        return list(found)

    def _remember(self, path: str, key: tuple, found: list[str]) -> None:
        # Kept as tuples, with one copy of each key: a 50k-note vault remembers ~100k.
        if not self._updating:
            memo = self._memo.get(path)
            if memo is None:
                memo = self._memo[path] = {}
            memo[_MEMO_KEYS.setdefault(key, key)] = tuple(found) if found else ()

    def _out_prop(self, path: str, prop: str, kind: str | None) -> list[str]:
        key = ("out", prop, kind)
        memo = None if self._updating else self._memo.get(path)
        found = memo.get(key) if memo else None
        if found is None:
            found, props = [], PROPERTY_NAMES.get(prop, (prop,))
            for r in self.out.get(path, ()):
                if r.prop in props and (kind is None or self.kind(r.target) == kind) and r.target not in found:
                    found.append(r.target)
            self._remember(path, key, found)
        return list(found)

    def _in_prop(self, path: str, prop: str, kind: str) -> list[str]:
        key, props = ("in", prop, kind), PROPERTY_NAMES.get(prop, (prop,))
        memo = None if self._updating else self._memo.get(path)
        found = memo.get(key) if memo else None
        if found is None:
            found = sorted({r.source for r in self.inbound.get(path, ())
                            if r.prop in props and self.kind(r.source) == kind})
            self._remember(path, key, found)
        return list(found)

    def contacts_of(self, interview: str) -> list[str]:
        """The interview's participants: every contact in `contact` and `people`."""
        found = self._out_prop(interview, "contact", CONTACT)
        for c in self._out_prop(interview, "people", CONTACT):
            if c not in found:
                found.append(c)
        return found

    def interviews_of(self, contact: str) -> list[str]:
        """Interviews with this contact, by date then path."""
        key = ("interviews",)
        memo = None if self._updating else self._memo.get(contact)
        found = memo.get(key) if memo else None
        if found is None:
            found = self._in_prop(contact, "contact", INTERVIEW)
            found += [i for i in self._in_prop(contact, "people", INTERVIEW) if i not in found]
            found.sort(key=self.interview_sort)
            self._remember(contact, key, found)
        return list(found)

    def interview_sort(self, path: str) -> tuple:
        f = self.records[path].fields
        return (f.get("date") or "", f.get("time") or "", path)

    def company_of(self, contact: str) -> str | None:
        found = self._out_prop(contact, "company", COMPANY)
        return found[0] if found else None

    def company_name(self, path: str) -> str | None:
        """The company of a contact or interview as text (a note's name or the plain value)."""
        company = self.company_of(path)
        if company:
            return self.name(company)
        rec = self.records.get(path)
        text = rec.fields.get("company_text") if rec else None
        return text or None

    def interview_company(self, interview: str) -> tuple[str | None, str | None]:
        """(company note path or None, company name or None): own company, else the contact's."""
        own = self.company_of(interview)
        if own:
            return own, self.name(own)
        text = self.records[interview].fields.get("company_text")
        if text:
            return None, text
        for c in self.contacts_of(interview):
            cp = self.company_of(c)
            if cp:
                return cp, self.name(cp)
            name = self.company_name(c)
            if name:
                return None, name
        return None, None

    def interviews_at_name(self, company: str | None) -> list[str]:
        """Interviews whose company (their own, else their contact's; a note or plain text)
        is this one by name, compared as `company_key` does: plain-text companies connect."""
        by_company = self._by_company
        if by_company is None:  # (one pass over the interviews, not one per question)
            by_company = {}
            for i in self.paths_of_kind(INTERVIEW):
                by_company.setdefault(company_key(self.interview_company(i)[1]), []).append(i)
            if not self._updating:
                self._by_company = by_company
        return sorted(by_company.get(company_key(company) or None, ()), key=self.interview_sort)

    def contacts_at(self, company: str) -> list[str]:  # those naming it, and its own `people`
        return sorted({*self._in_prop(company, "company", CONTACT), *self._out_prop(company, "contact", CONTACT)})

    def interviews_at(self, company: str) -> list[str]:
        found = set(self._in_prop(company, "company", INTERVIEW))
        for c in self.contacts_at(company):
            for i in self.interviews_of(c):
                if not self.company_of(i) and not self.records[i].fields.get("company_text"):
                    found.add(i)
        return sorted(found, key=self.interview_sort)

    def name_sort(self, path: str) -> tuple[str, str]:
        folded = None if self._updating else self._sort_keys.get(path)
        if folded is None:
            folded = self.name(path).casefold()
            if not self._updating:
                self._sort_keys[path] = folded
        return folded, path


# The keys of `Index._memo`, shared by every note's memo.
_MEMO_KEYS: dict[tuple, tuple] = {}
