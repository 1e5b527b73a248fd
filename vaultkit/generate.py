"""Generated notes (SPEC §4.3–§4.4): agendas, thank-you drafts, the daily follow-up note.

Each is rendered from a template once, carries `generated_by: vaultkit` and a stable
`vaultkit_key`, and is remembered in the ledger; after that it is the user's. This module
decides what is due and renders it; the session writes it through the safe writer.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import yaml

from .errors import Problem, TemplateProblem, UnsafePath
from .facts import Facts
from .model import CONTACT, INTERVIEW, NoteRecord, PlannedWrite
from .names import fitted_stem, safe_filename, unique_note_path
from .vault import parse_note

if TYPE_CHECKING:
    from .sync import Session

log = logging.getLogger(__name__)


@dataclass
class Generated:
    writes: list[PlannedWrite] = field(default_factory=list)
    records: list[NoteRecord] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


def first_name(name: str, given: object = None) -> str:
    """What a letter's greeting calls a person: `first_name` when set, else the first word
    of the name ("Marcus Oyelaran" -> "Marcus")."""
    if isinstance(given, str) and given.strip():
        return given.strip()
    words = name.split()
    return words[0] if words else name


def _person(f: Facts, path: str | None, fallback: str | None = None) -> dict:
    ix = f.ix
    if path is not None and path not in ix.records:  # a person without a note yet
        path, fallback = None, ix.name(path)
    if path is None:
        name = fallback or ""
        return {"name": name, "first_name": first_name(name), "target": safe_filename(fallback or "unnamed"),
                "company": None, "role": None, "field": None, "email": None, "linkedin": None}
    fields = ix.records[path].fields
    name = ix.name(path)
    return {"name": name, "first_name": first_name(name, fields.get("first_name")), "target": ix.target(path),
            "company": ix.company_name(path), "role": fields.get("role"), "field": fields.get("field"),
            "email": fields.get("email"), "linkedin": fields.get("linkedin")}


def _interview(f: Facts, i: str) -> dict:
    ix = f.ix
    fields = ix.records[i].fields
    company_path, company = ix.interview_company(i)
    return {"target": ix.target(i), "date": fields.get("date"), "time": fields.get("time"),
            "medium": fields.get("medium"), "company": company,
            "company_target": ix.target(company_path) if company_path else None,
            "goals": list(fields.get("goals") or []), "title": ix.name(i), "status": f.status_of(i)}


def _chain(f: Facts, contact: str) -> list[dict]:
    """The referral chain down to the person who introduced you: first referrer first."""
    ix = f.ix
    chain: list[str] = []
    node = contact
    seen = {contact}
    while True:
        referrers = ix.referrers_of(node)
        if not referrers or referrers[0] in seen:
            break
        node = referrers[0]
        seen.add(node)
        chain.append(node)
    return [{"name": ix.name(p), "target": ix.target(p)} for p in reversed(chain)]


def _earlier(f: Facts, interview: str, contact: str | None) -> list[dict]:
    ix = f.ix
    date = f.date_of(interview) or ""
    found = set(ix.interviews_of(contact)) if contact else set()
    company_path, company = ix.interview_company(interview)
    if company_path:
        found |= set(ix.interviews_at(company_path))
    found |= set(ix.interviews_at_name(company))  # plain-text companies too
    out = []
    for i in sorted(found, key=ix._interview_sort):
        if i == interview or (f.date_of(i) or "") >= date:
            continue
        c = f.contact_of(i)
        out.append({"date": f.date_of(i), "target": ix.target(i), "contact_name": ix.name(c) if c else "",
                    "status": f.status_of(i), "company": ix.interview_company(i)[1]})
    return out


class _Planner:
    def __init__(self, session: "Session", f: Facts, regenerate: set[str]):
        self.s = session
        self.f = f
        self.regenerate = regenerate
        self.out = Generated()
        self.reserved: set[str] = set()

    def due(self, key: str | None) -> bool:
        if key is None:
            return False
        if self.f.generated(key):
            return False
        if key in self.regenerate:
            return True
        return key not in self.s.ledger

    def path_for(self, folder: str, stem: str) -> str:
        base = safe_filename(stem)
        n = 1
        while True:
            candidate_stem = base if n == 1 else f"{base} {n}"
            path = unique_note_path(self.s.vault, folder, candidate_stem)
            if path.casefold() not in self.reserved:
                self.reserved.add(path.casefold())
                return path
            n += 1

    def create(self, template: str, key: str, folder: str, stem: str, context: dict,
               block: tuple[str, str] | None = None, path: str | None = None) -> str | None:
        context = {"today": self.f.today_iso, "key": key, **context}
        try:
            text = self.s.renderer().render(template, context)
        except TemplateProblem as exc:
            self.out.problems.append(Problem(exc.path or template, f"template error: {exc.message} — "
                                             f"{key} was not created", "template", exc.line))
            return None
        text = ensure_keys(text, key)
        try:
            path = path or self.path_for(folder, stem)
        except UnsafePath as exc:  # e.g. the folder is a symlink out of the vault
            self.out.problems.append(Problem(exc.path or folder, f"{exc.message} — {key} was not "
                                             "created", "write"))
            return None
        data = text.encode("utf-8")
        rec = parse_note(path, data)
        self.out.writes.append(PlannedWrite(path, data, None, f"new {template.removesuffix('.md')}", key=key))
        self.out.records.append(rec)
        return path


def ensure_keys(text: str, key: str) -> str:
    """A user's template may leave out `generated_by`/`vaultkit_key`: add them, never re-dumping."""
    head = f"generated_by: vaultkit\nvaultkit_key: {yaml_scalar(key)}\n"
    if text.startswith("---\n"):
        end = text.find("\n---", 3)
        fm = text[4:end] if end > 0 else ""
        if re.search(r"^vaultkit_key\s*:", fm, re.M):
            return text
        return "---\n" + head + text[4:]
    return "---\n" + head + "---\n" + text


def yaml_scalar(value) -> str:
    return yaml.safe_dump(value, default_flow_style=True, allow_unicode=True, width=10**9) \
        .removesuffix("\n").removesuffix("\n...").strip()


def plan_generated(session: "Session", f: Facts, regenerate: set[str], only: set[str] | None) -> Generated:
    """Every generated note now due that neither the vault nor the ledger knows."""
    p = _Planner(session, f, regenerate)
    ix = f.ix
    cfg = session.cfg
    horizon = (f.today + dt.timedelta(days=cfg.agenda_horizon_days)).isoformat()
    interviews = f.interviews() if only is None else sorted(i for i in only if ix.kind(i) == INTERVIEW)
    for i in interviews:
        status = f.status_of(i)
        date = f.date_of(i)
        contact = f.contact_of(i)
        name = f.contact_name_of(i)
        if not date or not name:
            continue
        if status == "planned" and f.today_iso <= date <= horizon:
            key = f.agenda_key(i)
            if p.due(key):
                ctx = {"interview": _interview(f, i), "contact": _person(f, contact, name),
                       "chain": _chain(f, contact) if contact else [], "earlier": _earlier(f, i, contact)}
                p.create("agenda.md", key, cfg.agendas_folder,
                         fitted_stem(f"{date} {{}} - agenda", name), ctx)
        elif status == "done" and not ix.records[i].fields.get("thank_you_sent"):
            key = f.thank_you_key(i)
            if p.due(key):
                fields = ix.records[i].fields
                referrals = [{"name": ix.name(r), "target": ix.target(r)}
                             for r in sorted(ix._out_prop(i, "referrals", CONTACT) + ix._nobody(i, "referrals"),
                                             key=ix._name_sort)]
                iv = _interview(f, i)
                ctx = {"interview": {k: iv[k] for k in ("target", "date", "company", "medium")},
                       "contact": _person(f, contact, name), "referrals": referrals,
                       "discussed": list(fields.get("discussed") or []), "goals": list(fields.get("goals") or [])}
                p.create("thank-you.md", key, cfg.thank_yous_folder,
                         fitted_stem(f"{date} {{}} - thank-you", name), ctx)
    if only is None:
        edges = ix.edges()
    else:
        # Edges touching the changed notes, or recorded in a changed interview (whose
        # contact is then the referrer).
        touched = set(only)
        for i in only:
            if ix.kind(i) == INTERVIEW:
                touched.update(ix.contacts_of(i))
        edges = ix.edges_touching(touched)
    for edge in edges:
        if not f.referral_due(edge):
            continue
        key = f.referral_key(edge)
        if not p.due(key):
            continue
        met = f.met(edge.referred)
        recorded = {"target": ix.target(edge.via), "date": f.date_of(edge.via)} if edge.via else None
        ctx = {"referrer": _person(f, edge.referrer), "referred": _person(f, edge.referred),
               "met_on": met, "recorded_in": recorded}
        p.create("thank-you-referral.md", key, cfg.thank_yous_folder,
                 fitted_stem("{} - referral of {}", ix.name(edge.referrer), ix.name(edge.referred)), ctx)
    _plan_daily(p)
    return p.out


# -- the daily note --------------------------------------------------------------------

_MOMENT = re.compile(r"\[([^\]]*)\]|YYYY|YY|MMMM|MMM|MM|M|DDDD|DD|D|dddd|ddd|Do")


def moment_format(pattern: str, day: dt.date) -> str:
    """Format a date with the common Moment.js tokens Obsidian uses (`[...]` is literal)."""
    def sub(m: re.Match) -> str:
        if m.group(1) is not None:
            return m.group(1)
        tok = m.group(0)
        return {
            "YYYY": f"{day.year:04d}", "YY": f"{day.year % 100:02d}", "MMMM": day.strftime("%B"),
            "MMM": day.strftime("%b"), "MM": f"{day.month:02d}", "M": str(day.month),
            "DDDD": f"{day.timetuple().tm_yday:03d}", "DD": f"{day.day:02d}", "D": str(day.day),
            "dddd": day.strftime("%A"), "ddd": day.strftime("%a"), "Do": _ordinal(day.day),
        }[tok]
    return _MOMENT.sub(sub, pattern)


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def obsidian_daily_settings(session: "Session") -> dict | None:
    """Obsidian's daily-note settings (core plugin, else Periodic Notes), or None."""
    core = session.vault / ".obsidian" / "daily-notes.json"
    periodic = session.vault / ".obsidian" / "plugins" / "periodic-notes" / "data.json"
    for path, pick in ((core, lambda d: d), (periodic, lambda d: d.get("daily") or {})):
        try:
            data = json.loads(path.read_text("utf-8"))
        except FileNotFoundError:
            continue
        except (OSError, ValueError) as exc:
            log.warning("%s: cannot read Obsidian's daily-note settings (%s)", path, exc)
            continue
        if isinstance(data, dict):
            settings = pick(data)
            if isinstance(settings, dict):
                return settings
    return None


def daily_note_path(session: "Session", f: Facts, day: dt.date | None = None) -> str | None:
    """Where today's follow-up block goes: our daily note, or Obsidian's in obsidian mode."""
    day = day or f.today
    if session.cfg.daily == "obsidian":
        settings = obsidian_daily_settings(session)
        if settings is not None:
            folder = str(settings.get("folder") or "").strip("/")
            fmt = str(settings.get("format") or "YYYY-MM-DD")
            stem = moment_format(fmt, day)
            parts = [safe_filename(part) for part in stem.split("/") if part]
            rel = "/".join(([folder] if folder else []) + parts) + ".md"
            return rel
    key = f.follow_ups_key(day.isoformat())
    existing = f.generated(key)
    if existing:
        return existing
    return f"{session.cfg.follow_ups_folder}/{day.isoformat()}.md".lstrip("/")


def _plan_daily(p: _Planner) -> None:
    f, s = p.f, p.s
    key = f.follow_ups_key()
    path = daily_note_path(s, f)
    if path is None or path in f.ix.records or (s.vault / path).exists():
        return
    if s.cfg.daily == "obsidian" and obsidian_daily_settings(s) is not None:
        if key in s.ledger and key not in p.regenerate:
            return
        text = _obsidian_template(s, f, path)
        data = text.encode("utf-8")
        p.out.writes.append(PlannedWrite(path, data, None, "new daily note", key=key))
        p.out.records.append(parse_note(path, data))
        return
    if not p.due(key):
        return
    p.create("follow-ups.md", key, s.cfg.follow_ups_folder, f.today_iso, {"date": f.today_iso}, path=path)


def _obsidian_template(s: "Session", f: Facts, path: str) -> str:
    """Obsidian's own daily template, with its {{date}}, {{title}} and {{time}} filled."""
    settings = obsidian_daily_settings(s) or {}
    template = str(settings.get("template") or "").strip()
    text = ""
    if template:
        tpath = (s.vault / (template if template.endswith(".md") else template + ".md"))
        try:
            if tpath.resolve().is_relative_to(s.root):
                text = tpath.read_text("utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            log.warning("%s: cannot read the daily-note template (%s)", template, exc)
    title = path.rsplit("/", 1)[-1].removesuffix(".md")
    fmt = str(settings.get("format") or "YYYY-MM-DD")

    def fill(m: re.Match) -> str:
        word, arg = m.group(1).lower(), m.group(2)
        if word == "title":
            return title
        if word == "date":
            return moment_format(arg or fmt, f.today)
        return m.group(0)  # {{time}} would put a clock time in the note: left as written
    return re.sub(r"\{\{\s*(title|date|time)\s*(?::([^}]*))?\}\}", fill, text, flags=re.I)
