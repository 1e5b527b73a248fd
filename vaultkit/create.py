"""`vaultkit init` and `vaultkit new`: notes the user asks for, rendered from templates."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from .config import CONFIG_PATH, default_config_text, load_config
from .errors import TemplateProblem, VaultkitError, WriteConflict
from .model import Link
from .names import safe_filename, unique_note_path
from .sync import Session
from .lock import VaultLock
from .write import safe_write

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


def _find_contact(session: Session, name: str) -> str | None:
    """A contact note by name, the way a plain-text `referred_by` value is matched."""
    path = session.index.resolver.resolve(Link(name.strip(), "plain", 1, "referred_by"), "")
    return path


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
        text, warnings = contact_note_text(session, name, company=company, role=role, email=email,
                                           referred_by=referred_by)
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
        # As SPEC §2 reads an interview without a status: planned from today on, else done.
        status = "planned" if date >= session.today else "done"
        context = {"today": session.today.isoformat(), "key": None, "contact": person, "date": date.isoformat(),
                   "time": time, "medium": medium, "company": company, "company_target": company_target,
                   "status": status}
        text = _render(session, "interview.md", context)
        path = unique_note_path(vault, session.cfg.interviews_folder,
                                safe_filename(f"{date.isoformat()} {person['name']}"))
        safe_write(vault, path, text.encode("utf-8"), None)
    return path, warnings
