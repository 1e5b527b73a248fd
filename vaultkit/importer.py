"""`vaultkit import contacts`: contact notes for the people in a vCard file or LinkedIn's
`Connections.csv`.

The file's kind is told by its content: a vCard starts with `BEGIN:VCARD`; LinkedIn's
export has a header row `First Name,Last Name,URL,Email Address,Company,Position,Connected
On`, after a `Notes:` preamble. Each new person becomes a note rendered from the contact
template (the same code path as `vaultkit new contact`); a person who already has a contact
note — the same email, the same LinkedIn URL, else the same name — is left alone. Nothing is
written unless the whole file was read and every note rendered.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import logging
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from .create import contact_note_text, session_for
from .errors import VaultkitError, WriteConflict
from .lock import VaultLock
from .model import CONTACT
from .names import NotePaths
from .write import safe_write
from .resolve import stem as note_stem

log = logging.getLogger(__name__)

LINKEDIN_HEADER = "First Name,Last Name,URL,Email Address,Company,Position,Connected On"
_HEADER_ROWS = 50  # LinkedIn's preamble is a few rows; a header further down is not theirs
_MONTHS = {m: i for i, m in enumerate(
    ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), start=1)}


class ImportFileError(VaultkitError):
    """The contacts file cannot be read: missing, not UTF-8, neither vCard nor LinkedIn."""


@dataclass
class Person:
    """One person as the file describes them; `line` is where their entry starts."""

    name: str
    line: int
    emails: list[str] = field(default_factory=list)
    company: str | None = None
    role: str | None = None
    phone: str | None = None
    linkedin: str | None = None
    connected_on: dt.date | None = None
    note: str | None = None  # for a person of the vault: their contact note

    def absorb(self, other: Person) -> None:
        """Fill what this entry lacks from another entry for the same person."""
        for e in other.emails:
            if _fold(e) not in {_fold(x) for x in self.emails}:
                self.emails.append(e)
        for attr in ("company", "role", "phone", "linkedin", "connected_on"):
            if getattr(self, attr) is None:
                setattr(self, attr, getattr(other, attr))


@dataclass
class ContactsFile:
    """What a contacts file holds: the people, and the entries that were not people."""

    kind: str  # "vcard" or "linkedin"
    people: list[Person]
    skipped: list[tuple[int, str]]  # (line, reason)
    warnings: list[str]


@dataclass
class ImportReport:
    """What an import created (or would create), found already there, and skipped."""

    file: str
    kind: str
    dry_run: bool
    created: list[tuple[str, str]] = field(default_factory=list)  # (path, name)
    existing: list[tuple[str, str, str]] = field(default_factory=list)  # (name, path, why)
    skipped: list[tuple[int, str]] = field(default_factory=list)  # (line, reason)
    merged: int = 0  # entries folded into an earlier entry for the same person
    warnings: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)  # notes that could not be written

    def as_json(self) -> dict:
        """`vaultkit import contacts --json`: every list of the report, and the summary line.
        `created` holds the notes made (with `dry_run`, the ones it would make); `imported`
        counts the notes written, so 0 in a dry run."""
        return {
            "file": self.file, "kind": self.kind, "dry_run": self.dry_run,
            "imported": 0 if self.dry_run else len(self.created),
            "created": [{"path": path, "name": name} for path, name in self.created],
            "existing": [{"name": name, "path": path, "why": why} for name, path, why in self.existing],
            "skipped": [{"line": line, "reason": reason} for line, reason in self.skipped],
            "merged": self.merged, "warnings": list(self.warnings), "failed": list(self.failed),
            "summary": self.summary(),
        }

    def summary(self) -> str:
        """`imported 12 contacts, 3 already in the vault, 1 skipped (no name)`."""
        n = len(self.created)
        head = f"would import {_plural(n, 'contact')}" if self.dry_run else f"imported {_plural(n, 'contact')}"
        parts = [head, f"{len(self.existing)} already in the vault"]
        reasons: dict[str, int] = {"no name": 0}
        for _, reason in self.skipped:
            reasons[reason] = reasons.get(reason, 0) + 1
        parts += [f"{count} skipped ({reason})" for reason, count in reasons.items() if count or reason == "no name"]
        if self.merged:
            parts.append(f"{self.merged} listed twice in the file")
        if self.failed:
            parts.append(f"{len(self.failed)} could not be written")
        return ", ".join(parts)


# --------------------------------------------------------------------------- reading


def read_contacts_file(path: Path) -> ContactsFile:
    """The people in a vCard file or LinkedIn `Connections.csv`; ImportFileError if it is
    neither, or cannot be read."""
    shown = str(path)
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise ImportFileError(f"cannot read the file: {exc.strerror or exc} — nothing was imported",
                              shown) from exc
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ImportFileError("not UTF-8 text — export the contacts as UTF-8 and try again; "
                              "nothing was imported", shown, data[: exc.start].count(b"\n") + 1) from exc
    if re.match(r"\s*BEGIN:VCARD\b", text, re.I):
        return _read_vcards(text, shown)
    found = _read_linkedin(text, shown)
    if found is None:
        raise ImportFileError("neither a vCard file (it would start with BEGIN:VCARD) nor LinkedIn's "
                              f"Connections.csv (it would have the header {LINKEDIN_HEADER}) — nothing "
                              "was imported", shown)
    return found


def _read_vcards(text: str, shown: str) -> ContactsFile:
    import vobject  # only `import contacts` needs it

    starts = [i + 1 for i, line in enumerate(_lines(text)) if re.match(r"BEGIN:VCARD\s*$", line, re.I)]
    people: list[Person] = []
    skipped: list[tuple[int, str]] = []
    try:
        cards = list(vobject.readComponents(text, allowQP=True))
    except Exception as exc:  # vobject raises ParseError, but also ValueError and others on odd input
        raise ImportFileError(f"not a readable vCard file: {_vobject_message(exc)} — nothing was imported",
                              shown, _vobject_line(exc, text)) from exc
    for n, card in enumerate(cards):
        line = starts[n] if n < len(starts) else 1
        if card.name.upper() != "VCARD":
            raise ImportFileError(f"a {card.name} where a vCard was expected — nothing was imported", shown, line)
        person, reason = _vcard_person(card, line)
        if person is None:
            skipped.append((line, reason))
        else:
            people.append(person)
    return ContactsFile("vcard", people, skipped, [])


def _lines(text: str) -> list[str]:
    """The file's lines as an editor numbers them (str.splitlines also breaks at \\x0c, U+2028, …)."""
    return re.split(r"\r\n|\r|\n", text)


def _vobject_message(exc: Exception) -> str:
    return str(getattr(exc, "msg", None) or exc).rstrip(". ")


def _vobject_line(exc: Exception, text: str) -> int | None:
    """The line a vobject error is about: found by its text, since vobject's own count is off."""
    m = re.match(r"Failed to parse line: (.+)", str(getattr(exc, "msg", "")))
    if m:
        for i, line in enumerate(_lines(text), start=1):
            if line.strip() == m.group(1).strip():
                return i
    return None


def _values(card, name: str) -> list:
    return list(card.contents.get(name, []))


def _by_preference(items: list) -> list:
    """vCard properties in the order the card prefers them: `PREF=1` (4.0) or `TYPE=pref`
    (3.0) first, else as written."""
    def rank(item) -> int:
        params = {k.upper(): [str(v).lower() for v in vs] for k, vs in item.params.items()}
        if "pref" in params.get("TYPE", []):
            return 0
        for v in params.get("PREF", []):
            if v.isdigit():
                return int(v)
        return 101
    return sorted(items, key=rank)


def _text(value) -> str | None:
    if isinstance(value, list):
        value = next((v for v in value if str(v).strip()), None)
    if value is None:
        return None
    text = " ".join(str(value).split())
    return unicodedata.normalize("NFC", text) or None


def _joined(part) -> str:
    """A component of `N`, which vCard 4.0 allows to hold several values (`Ann,Marie`)."""
    return " ".join(str(v) for v in part) if isinstance(part, list) else str(part or "")


def _vcard_person(card, line: int) -> tuple[Person | None, str]:
    kind = (_text(card.contents["kind"][0].value) if "kind" in card.contents else None) or "individual"
    shown_as = _text(card.contents["x-abshowas"][0].value) if "x-abshowas" in card.contents else None
    if kind.lower() not in ("individual", "") or (shown_as or "").upper() == "COMPANY":
        return None, "not a person"
    name = _text(card.fn.value) if "fn" in card.contents else None
    if not name and "n" in card.contents:
        n = card.n.value
        name = _text(" ".join(_joined(p) for p in (n.given, n.additional, n.family)))
    if not name:
        return None, "no name"
    person = Person(name=name, line=line)
    for item in _by_preference(_values(card, "email")):
        email = _text(item.value)
        if email and _fold(email) not in {_fold(e) for e in person.emails}:
            person.emails.append(email)
    if "org" in card.contents:
        org = card.org.value
        person.company = _text(org[0] if isinstance(org, list) and org else org)  # the name, not its units
    if "title" in card.contents:
        person.role = _text(card.title.value)
    for item in _by_preference(_values(card, "tel")):
        phone = _text(item.value)
        if phone:
            person.phone = re.sub(r";ext=", " ext. ", re.sub(r"^tel:", "", phone, flags=re.I), flags=re.I)
            break
    for item in _values(card, "url") + _values(card, "x-socialprofile") + _values(card, "socialprofile"):
        url = _text(item.value)
        if url and "linkedin.com/" in url.lower():
            person.linkedin = url
            break
    return person, ""


def _read_linkedin(text: str, shown: str) -> ContactsFile | None:
    """LinkedIn's export, or None when no row of the first few is its header."""
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        for row in reader:
            if reader.line_num > _HEADER_ROWS:
                return None
            cells = [c.strip().lower() for c in row]
            if "first name" in cells and "last name" in cells and (
                    "connected on" in cells or "email address" in cells):
                return _linkedin_rows(reader, cells, shown)
    except csv.Error as exc:
        raise ImportFileError(f"not a readable CSV file: {exc} — nothing was imported", shown,
                              reader.line_num or None) from exc
    return None


def _linkedin_rows(reader, header: list[str], shown: str) -> ContactsFile:
    col = {name: i for i, name in enumerate(header)}
    people: list[Person] = []
    skipped: list[tuple[int, str]] = []
    warnings: list[str] = []

    def cell(row: list[str], name: str) -> str | None:
        i = col.get(name)
        return _text(row[i]) if i is not None and i < len(row) else None

    start = reader.line_num + 1
    try:
        for row in reader:
            line, start = start, reader.line_num + 1
            if not any(c.strip() for c in row):
                continue
            name = _text(" ".join(filter(None, (cell(row, "first name"), cell(row, "last name")))))
            if not name:
                skipped.append((line, "no name"))
                continue
            person = Person(name=name, line=line, company=cell(row, "company"), role=cell(row, "position"),
                            linkedin=cell(row, "url"))
            email = cell(row, "email address")
            if email:
                person.emails.append(email)
            connected = cell(row, "connected on")
            if connected:
                person.connected_on = parse_connected_on(connected)
                if person.connected_on is None:
                    warnings.append(f"{shown}:{line}: Connected On {connected!r} is not a date like "
                                    "07 Dec 2025 — left out of the note")
            people.append(person)
    except csv.Error as exc:
        raise ImportFileError(f"not a readable CSV file: {exc} — nothing was imported", shown,
                              reader.line_num or None) from exc
    return ContactsFile("linkedin", people, skipped, warnings)


def parse_connected_on(text: str) -> dt.date | None:
    """LinkedIn's `07 Dec 2025` (English month names, whatever the locale), or an ISO date."""
    text = text.strip()
    m = re.fullmatch(r"(\d{1,2})[ -]([A-Za-z]{3})[A-Za-z]*\.?[ ,-]*(\d{4})", text)
    try:
        if m and m.group(2).lower() in _MONTHS:
            return dt.date(int(m.group(3)), _MONTHS[m.group(2).lower()], int(m.group(1)))
        return dt.date.fromisoformat(text)
    except ValueError:
        return None


# --------------------------------------------------------------------------- identity


def _fold(text: str) -> str:
    """Text compared the way people's names and addresses are: NFC, case folded, one space."""
    return unicodedata.normalize("NFC", " ".join(unicodedata.normalize("NFC", text).casefold().split()))


def _url_key(url: str) -> str:
    """A LinkedIn URL without what varies between copies of it (scheme, `www.`, query, `/`)."""
    key = _fold(url)
    key = re.sub(r"^[a-z][a-z0-9+.-]*://", "", key)
    key = re.sub(r"^(www\.|[a-z]{2}\.)(?=linkedin\.com/)", "", key)
    return key.split("?", 1)[0].split("#", 1)[0].rstrip("/")


class Directory:
    """People found the way an import recognises them: by a shared email or LinkedIn URL,
    else by name — unless both have a LinkedIn URL and the URLs differ (two connections
    called John Smith are two people; two addresses of Ann Lee are still Ann Lee)."""

    def __init__(self) -> None:
        self.by_email: dict[str, Person] = {}
        self.by_url: dict[str, Person] = {}
        self.by_name: dict[str, list[Person]] = {}

    def add(self, person: Person, names: list[str] = ()) -> None:
        """Let `person` be found by their emails, LinkedIn URL and name (and `names`)."""
        for email in person.emails:
            self.by_email.setdefault(_fold(email), person)
        if person.linkedin:
            self.by_url.setdefault(_url_key(person.linkedin), person)
        for name in {_fold(n) for n in (person.name, *names) if n and n.strip()}:
            found = self.by_name.setdefault(name, [])
            if not any(known is person for known in found):
                found.append(person)

    def find(self, person: Person) -> tuple[Person, str] | None:
        """The person known here who is `person`, and why (`email`, `linkedin`, `name`)."""
        for email in person.emails:
            if _fold(email) in self.by_email:
                return self.by_email[_fold(email)], "email"
        url = _url_key(person.linkedin) if person.linkedin else None
        if url and url in self.by_url:
            return self.by_url[url], "linkedin"
        for known in self.by_name.get(_fold(person.name), []):
            if not (url and known.linkedin and _url_key(known.linkedin) != url):
                return known, "name"
        return None


def merge_duplicates(people: list[Person]) -> tuple[list[Person], int]:
    """One entry per person of the file: a later entry for someone already seen fills in
    what the first lacks; returns the people in file order and how many were folded."""
    merged: list[Person] = []
    seen = Directory()
    folded = 0
    for person in people:
        hit = seen.find(person)
        if hit is None:
            merged.append(person)
            seen.add(person)
        else:
            hit[0].absorb(person)
            seen.add(hit[0], [person.name])
            folded += 1
    return merged, folded


def vault_people(session) -> Directory:
    """Every contact note, findable by its email, LinkedIn URL, name, file name and aliases."""
    ix = session.index
    found = Directory()
    for path in sorted(ix.paths_of_kind(CONTACT)):
        rec = ix.records[path]
        email, linkedin = rec.fields.get("email"), rec.fields.get("linkedin")
        person = Person(name=ix.name(path), line=0, note=path,
                        emails=[email] if isinstance(email, str) and email.strip() else [],
                        linkedin=linkedin if isinstance(linkedin, str) and linkedin.strip() else None)
        found.add(person, [note_stem(path), *rec.aliases])
    return found


_WHY = {"email": "same email", "linkedin": "same LinkedIn URL", "name": "same name"}


# --------------------------------------------------------------------------- importing


def import_contacts(vault: Path, file: Path, today: dt.date, *, dry_run: bool = False,
                    progress: Callable[[int, int], None] | None = None) -> ImportReport:
    """Create a contact note for each new person in `file`; with `dry_run`, only say which.

    Raises ImportFileError (nothing written) for a file that cannot be read, VaultkitError
    for a template error (nothing written) or a held lock.
    """
    contacts = read_contacts_file(file)
    people, folded = merge_duplicates(contacts.people)
    report = ImportReport(str(file), contacts.kind, dry_run, skipped=list(contacts.skipped), merged=folded,
                          warnings=list(contacts.warnings))
    if dry_run:
        _import(vault, today, people, report, dry_run, progress)
    else:
        with VaultLock(vault, owner="vaultkit import contacts"):
            _import(vault, today, people, report, dry_run, progress)
    return report


def _import(vault: Path, today: dt.date, people: list[Person], report: ImportReport, dry_run: bool,
            progress: Callable[[int, int], None] | None) -> None:
    with session_for(vault, today) as session:
        known = vault_people(session)
        paths = NotePaths(vault, session.cfg.contacts_folder)
        planned: list[tuple[Person, str, bytes]] = []
        for person in people:
            hit = known.find(person)
            if hit is not None:
                report.existing.append((person.name, hit[0].note, _WHY[hit[1]]))
                continue
            text, warnings = contact_note_text(
                session, person.name, company=person.company, role=person.role,
                email=person.emails[0] if person.emails else None, phone=person.phone,
                linkedin=person.linkedin, connected_on=person.connected_on)
            report.warnings.extend(warnings)
            path = paths.take(person.name)
            planned.append((person, path, text.encode("utf-8")))
        dropped = _left_out(planned)
        if dropped:
            report.warnings.append(
                f"{session.renderer().source_path('contact.md')}: the contact template has no "
                f"{', '.join(dropped)} — the notes are made without them (vaultkit's own contact.md shows "
                "how to add them)")
        for done, (person, path, data) in enumerate(planned, start=1):
            if not dry_run:
                path = _create(vault, paths, person, path, data, report)
            if path is not None:
                report.created.append((path, person.name))
            if progress is not None:
                progress(done, len(planned))


def _left_out(planned: list[tuple[Person, str, bytes]]) -> list[str]:
    """The properties the file knows that a (user's own) contact template did not write."""
    missing = set()
    for person, _, data in planned:
        head = data.split(b"\n---", 1)[0]
        for prop in ("phone", "linkedin", "connected_on"):
            if getattr(person, prop) is not None and not re.search(rb"^" + prop.encode() + rb"\s*:", head, re.M):
                missing.add(prop)
    return [f"`{p}`" for p in ("phone", "linkedin", "connected_on") if p in missing]


def _create(vault: Path, paths: NotePaths, person: Person, path: str, data: bytes,
            report: ImportReport) -> str | None:
    """Write a new note; a name taken in the meantime (by the user, or a sync) gets the next one."""
    for _ in range(20):
        try:
            safe_write(vault, path, data, None)
            return path
        except WriteConflict:
            path = paths.take(person.name)
        except OSError as exc:
            report.failed.append(f"{path}: cannot write: {exc.strerror or exc} — {person.name} was not imported")
            return None
    report.failed.append(f"{path}: the name keeps being taken — {person.name} was not imported")
    return None


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"
