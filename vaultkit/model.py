"""Plain values that flow through the pipeline: links, notes, referrals, planned writes.

Everything here is frozen and hashable where it goes into sets, and JSON-friendly where it
goes into the cache (dates are ISO strings, never `datetime.date`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

# Note kinds.
CONTACT = "contact"
INTERVIEW = "interview"
COMPANY = "company"
PLAIN = "note"

CONTACT_STATUSES = ("prospect", "contacted", "scheduled", "met", "dormant", "closed")
INTERVIEW_STATUSES = ("planned", "done", "cancelled")

# Front-matter properties whose values are links even when written as plain text.
LINK_PROPERTIES = frozenset({"company", "org", "referred_by", "contact", "people", "referrals"})
# The names each of vaultkit's link properties goes by: a link keeps the name the user wrote
# (blocks show it), and the index reads them all as one.
PROPERTY_NAMES: dict[str, tuple[str, ...]] = {"company": ("company", "org"), "contact": ("contact", "people")}


class Link(NamedTuple):
    """A link as written in a note, before resolution. (A named tuple: every note's
    parse and every cached record's load make several, and a frozen dataclass is made
    field by field, four times slower.)

    `target` has alias, heading and block reference stripped and a trailing `.md` removed
    (`[[People/Ann Lee.md#Intro|Ann]]` -> `People/Ann Lee`); for a Markdown link it is the
    percent-decoded path as written (`Some%20Note.md` -> `Some Note`), relative to the
    linking note's folder. `style` is `wiki` (also embeds), `md` (a Markdown link) or
    `plain` (plain text in a link-valued property, matched by file name, `name`, aliases).
    `prop` is the lower-cased property name for a front-matter link, None in the body.
    `line` is 1-based in the whole file (front-matter lines count).
    """

    target: str
    style: str
    line: int
    prop: str | None = None
    embed: bool = False

    @property
    def in_property(self) -> bool:
        return self.prop is not None


class ResolvedLink(NamedTuple):
    """A link from `source` that resolved to the note at `target` (vault-relative paths).
    A named tuple: the index makes one per link of the vault, twice as fast as a frozen
    dataclass. (No line: no block shows one, and the record's `Link` keeps it.)"""

    source: str
    target: str
    prop: str | None


@dataclass(frozen=True, slots=True)
class Referral:
    """The edge referrer -> referred, between contact note paths. `via` is the interview
    note that recorded it (None when it came from the contact's `referred_by`)."""

    referrer: str
    referred: str
    via: str | None = None


@dataclass(frozen=True, slots=True)
class FileState:
    """What a file was when vaultkit read it; a write is skipped unless it still is."""

    size: int
    mtime_ns: int
    sha256: str


@dataclass(frozen=True, slots=True)
class PlannedWrite:
    """One write the plan wants: the new bytes for `path` (vault-relative).

    `expect` is the state the file had when read (None: create a new file, never
    overwrite). `old` is the old bytes, for `--dry-run` diffs (None for a new file).
    `edit` = (block name, new content): a managed block to set in the note as the writer
    reads it (`data` is then empty; see `edits.py`). `streamed`: written, and its `data`
    dropped so that a pass does not hold every note it wrote.
    """

    path: str
    data: bytes
    expect: FileState | None
    reason: str
    old: bytes | None = None
    key: str | None = None
    streamed: bool = False
    edit: tuple[str, str] | None = None


@dataclass(slots=True)
class NoteRecord:
    """A parsed note: what the index needs of it, and nothing of its body text.

    `fields` holds the recognised front-matter properties under their lower-cased names,
    normalised to JSON-friendly values (dates as ISO strings, link properties as lists of
    `Link`s kept in `links`). `blocks` maps a managed block's name to the sha256 of its
    inner text as found on disk; `marker_error` is set when the markers are broken.
    `ok` is False when the note could not be read or parsed: it is then never written.
    """

    path: str
    size: int
    mtime_ns: int
    kind: str = PLAIN
    name: str = ""
    aliases: tuple[str, ...] = ()
    fields: dict = field(default_factory=dict)
    links: tuple[Link, ...] = ()
    blocks: dict = field(default_factory=dict)
    marker_error: str | None = None
    ok: bool = True
    problems: tuple = ()
    bom: bool = False
    crlf: bool = False
    sha256: str = ""


def same_output(old: NoteRecord, new: NoteRecord) -> bool:
    """Whether two records of one note make the same index and so the same output: they
    may differ only in the note's hash, size and mtime (an edit of body text outside links
    and managed blocks; a touch). A managed block's content is compared by its hash."""
    return (old.kind == new.kind and old.name == new.name and old.aliases == new.aliases
            and old.fields == new.fields and old.links == new.links and old.blocks == new.blocks
            and old.marker_error == new.marker_error and old.ok == new.ok
            and old.problems == new.problems and old.bom == new.bom and old.crlf == new.crlf)


class Records(dict):
    """The records of a pass, by path. Two questions asked across every note go through
    these methods, so that a map that decodes its records on first use
    (`stored.LazyRecords`) can answer them from what it stored instead."""

    def of_kind(self, kind: str) -> list[str]:
        """The paths of the good notes of this kind, sorted."""
        return sorted(p for p, r in self.items() if r.kind == kind and r.ok)

    def with_problems(self) -> list[NoteRecord]:
        """The records that carry problems."""
        return [r for r in self.values() if r.problems]
