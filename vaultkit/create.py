"""`vaultkit init` and `vaultkit new`: notes the user asks for, rendered from templates."""

from __future__ import annotations

import datetime as dt
import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from .config import CONFIG_PATH, blocked_folders, default_config_text, load_config
from .errors import TemplateProblem, VaultkitError, WriteConflict
from .facts import status_by_date
from .model import CONTACT, Link
from .names import _key, safe_filename, unique_note_path
from .sync import Session
from .lock import VaultLock
from .write import safe_write
from .resolve import stem as note_stem

log = logging.getLogger(__name__)


def init_vault(vault: Path) -> tuple[list[str], list[str]]:
    """Write config.toml, the default templates and Contacts.base where they are missing."""
    from .render import packaged_dir, template_names
    created: list[str] = []
    kept: list[str] = []
    config_exists = (vault / CONFIG_PATH).exists()
    cfg = load_config(vault)  # an existing but broken config is an error, not overwritten
    with VaultLock(vault, owner="vaultkit init"):
        wanted: list[tuple[str, bytes]] = [] if config_exists else [(CONFIG_PATH, default_config_text().encode())]
        if config_exists:
            kept.append(CONFIG_PATH)
        pkg = packaged_dir()
        for name in template_names():
            if name == "Contacts.base":
                continue
            wanted.append((f"{cfg.templates_folder}/{name}", (pkg / name).read_bytes()))
        wanted.append(("Contacts.base", (pkg / "Contacts.base").read_bytes()))
        for rel, data in wanted:
            try:
                safe_write(vault, rel, data, None)
                created.append(rel)
            except WriteConflict:
                kept.append(rel)
    return created, kept


@contextmanager
def session_for(vault: Path, today: dt.date) -> Iterator[Session]:
    """A read-only session over the vault, closed however the command ends."""
    session = Session(vault, today, readonly=True)
    try:
        session.load()
        yield session
    finally:
        session.close()


def _contact_names(session: Session) -> list[tuple[str, str, str]]:
    """(path, display name, file name) of every contact note."""
    ix = session.index
    return [(p, ix.name(p), note_stem(p)) for p in ix.paths_of_kind(CONTACT)]


def _find_contact(session: Session, name: str) -> str | None:
    """The contact a name given on the command line means.

    The exact name first (display name, file name or vault path, exact case), then the
    same case-insensitively, then the way a plain-text `referred_by` value resolves (which
    knows aliases). More than one contact at the first step that finds any is ambiguous:
    a VaultkitError lists them (exit 2), since linking the wrong person is worse.
    """
    wanted = name.strip()
    contacts = _contact_names(session)
    for same in (lambda a, b: a == b, lambda a, b: a.casefold() == b.casefold()):
        found = sorted({p for p, display, stem in contacts
                        if same(display, wanted) or same(stem, wanted) or same(p.removesuffix(".md"), wanted)})
        if len(found) == 1:
            return found[0]
        if found:
            shown = "; ".join(f"{p} ({session.index.name(p)})" for p in found)
            raise VaultkitError(f"{wanted!r} names more than one contact: {shown} — name one by its path, "
                                f"for example {found[0].removesuffix('.md')!r}; nothing was created")
    return session.index.resolver.resolve(Link(wanted, "plain", 1, "referred_by"), "")


def _existing_contact(session: Session, name: str) -> str | None:
    """A note that `new contact NAME` would duplicate: a contact with that display or file
    name, or a file the new note's name would take in the contacts folder (compared as
    the file system may: case-folded, NFC, an iCloud placeholder as its note)."""
    key = _key(name.strip())
    for path, display, stem in _contact_names(session):
        if _key(display) == key or _key(stem) == key:
            return path
    folder = session.cfg.contacts_folder.strip("/")
    path = unique_note_path(session.vault, folder, safe_filename(name))
    wanted = _key(safe_filename(name) + ".md")
    if _key(path.rsplit("/", 1)[-1]) == wanted:
        return None
    try:
        names = sorted(os.listdir(session.vault / folder))
    except OSError:
        return path
    for entry in names:
        unwrapped = entry[1:-len(".icloud")] if entry.startswith(".") and entry.endswith(".icloud") else entry
        if _key(entry) == wanted or _key(unwrapped) == wanted:
            return f"{folder}/{entry}" if folder else entry
    return path


def _check_folder(session: Session, folder: str) -> None:
    """A file standing where the note's configured folder should be: exit 2, naming it."""
    blocked = blocked_folders(session.vault, session.cfg).get(folder.strip("/"))
    if blocked is not None:
        key, rel = blocked
        raise VaultkitError(f"is a file, but {key} in .vaultkit/config.toml names {folder!r} as a folder — "
                            "rename the file or change the key; nothing was created", rel)


def _render(session: Session, template: str, context: dict) -> str:
    try:
        return session.renderer().render(template, context)
    except TemplateProblem as exc:
        raise VaultkitError(f"template error: {exc.message} — nothing was created", exc.path, exc.line) from exc


def create_contact(vault: Path, name: str, today: dt.date, *, company: str | None = None, role: str | None = None,
                   email: str | None = None, referred_by: list[str] = ()) -> tuple[str, list[str]]:
    """Create a contact note; return its path and any warnings."""
    if not name.strip():
        raise VaultkitError("a contact needs a name")
    with VaultLock(vault, owner="vaultkit new contact"), session_for(vault, today) as session:
        existing = _existing_contact(session, name)
        if existing is not None:
            raise VaultkitError(f"a contact named {name.strip()!r} exists already: {existing} — open that note, "
                                "or give the new person a name that tells them apart (for example "
                                f"\"{name.strip()} (Company)\"); nothing was created")
        text, warnings = contact_note_text(session, name, company=company, role=role, email=email,
                                           referred_by=referred_by)
        _check_folder(session, session.cfg.contacts_folder)
        path = unique_note_path(vault, session.cfg.contacts_folder, safe_filename(name))
        safe_write(vault, path, text.encode("utf-8"), None)
    return path, warnings


def contact_note_text(session: Session, name: str, *, company: str | None = None, role: str | None = None,
                      email: str | None = None, phone: str | None = None, linkedin: str | None = None,
                      connected_on: dt.date | None = None, referred_by: list[str] = ()) -> tuple[str, list[str]]:
    """A new contact note's text, rendered from the contact template, and any warnings.

    The one way vaultkit makes a contact note (`new contact` and `import contacts`): a
    company that has a note becomes a link to it, a referrer a link to theirs.
    """
    ix = session.index
    warnings: list[str] = []
    referrers = []
    for person in referred_by:
        found = _find_contact(session, person)
        if found is None:
            warnings.append(f"no note for {person!r} yet; the link stays unresolved until you create one")
            referrers.append({"name": person, "target": safe_filename(person)})
        else:
            referrers.append({"name": ix.name(found), "target": ix.target(found)})
    company_name, company_target = company, None
    if company:
        found = ix.resolver.resolve(Link(company.strip(), "plain", 1, "company"), "")
        if found is not None:
            company_name, company_target = ix.name(found), ix.target(found)
    context = {"today": session.today.isoformat(), "key": None, "name": name, "company": company_name,
               "company_target": company_target, "role": role, "email": email, "phone": phone,
               "linkedin": linkedin, "connected_on": connected_on.isoformat() if connected_on else None,
               "referred_by": referrers}
    return _render(session, "contact.md", context), warnings


def create_interview(vault: Path, contact: str, date: dt.date, today: dt.date, *, time: str | None = None,
                     medium: str | None = None) -> tuple[str, list[str]]:
    """Create an interview note with a contact; return its path and any warnings."""
    warnings: list[str] = []
    with VaultLock(vault, owner="vaultkit new interview"), session_for(vault, today) as session:
        ix = session.index
        found = _find_contact(session, contact)
        if found is None:
            warnings.append(f"no contact note for {contact!r} yet; create it with "
                            f"`vaultkit new contact {contact!r}`")
            person = {"name": contact, "target": safe_filename(contact)}
            company, company_target = None, None
        else:
            person = {"name": ix.name(found), "target": ix.target(found)}
            company = ix.company_name(found)
            company_path = ix.company_of(found)
            company_target = ix.target(company_path) if company_path else None
        # As an interview without a status is read: planned from today on, else done.
        status = status_by_date(date.isoformat(), session.today.isoformat())
        context = {"today": session.today.isoformat(), "key": None, "contact": person, "date": date.isoformat(),
                   "time": time, "medium": medium, "company": company, "company_target": company_target,
                   "status": status}
        text = _render(session, "interview.md", context)
        _check_folder(session, session.cfg.interviews_folder)
        path = unique_note_path(vault, session.cfg.interviews_folder,
                                safe_filename(f"{date.isoformat()} {person['name']}"))
        safe_write(vault, path, text.encode("utf-8"), None)
    return path, warnings
