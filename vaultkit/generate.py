"""Generated notes: agendas, thank-you drafts, the daily follow-up note.

Each is rendered from a template once, carries `generated_by: vaultkit` and a stable
`vaultkit_key`, and is remembered in the ledger; after that it is the user's. This module
decides what is due and renders it; the session writes it through the safe writer.
"""

from __future__ import annotations

import os
import datetime as dt
import logging
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .errors import Problem, TemplateProblem, UnsafePath
from .daily import plan_daily
from .facts import Facts
from .markers import FRONTMATTER_CLOSE
from .model import INTERVIEW, NoteRecord, PlannedWrite
from .names import fitted_stem, safe_filename, unique_note_path
from .values import yaml_one_line
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


def _earlier(f: Facts, interview: str, contacts: list[str]) -> list[dict]:
    """Earlier interviews with any of the participants, or at the company."""
    ix = f.ix
    date = f.date_of(interview) or ""
    found: set[str] = set()
    for contact in contacts:
        found.update(ix.interviews_of(contact))
    company_path, company = ix.interview_company(interview)
    if company_path:
        found |= set(ix.interviews_at(company_path))
    found |= set(ix.interviews_at_name(company))  # plain-text companies too
    out = []
    for i in sorted(found, key=ix.interview_sort):
        if i == interview or (f.date_of(i) or "") >= date:
            continue
        out.append({"date": f.date_of(i), "target": ix.target(i),
                    "contact_name": _names_text(ix.participant_names(i)),
                    "status": f.status_of(i), "company": ix.interview_company(i)[1]})
    return out


def _names_text(names: list[str]) -> str:
    """`Ann`, `Ann and Bo`, `Ann, Bo and Cy`."""
    if len(names) <= 1:
        return names[0] if names else ""
    return ", ".join(names[:-1]) + " and " + names[-1]


def agenda_stem(date: str, names: list[str]) -> str:
    """The agenda's file stem: every participant when they all fit the name limit, else
    the first one (cut to fit)."""
    if len(names) > 1:
        whole = fitted_stem(f"{date} {{}} - agenda", ", ".join(names))
        if fitted_stem(f"{date} {{}} - agenda", ", ".join(names), max_bytes=1 << 30) == whole:
            return whole
    return fitted_stem(f"{date} {{}} - agenda", names[0])


def _agenda_context(f: Facts, i: str, name: str) -> dict:
    """What the agenda template gets: `contact` is the first participant (a user's
    template written for one person keeps working); `participants` lists every one, each
    with the referral chain that led to him or her."""
    contacts = f.participants(i)
    people = []
    for c in contacts:
        person = _person(f, c)
        person["chain"] = _chain(f, c)
        people.append(person)
    first = contacts[0] if contacts else None
    return {"interview": _interview(f, i), "contact": _person(f, first, name),
            "chain": _chain(f, first) if first else [], "earlier": _earlier(f, i, contacts),
            "participants": people, "names": _names_text([p["name"] for p in people]) or name}


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
               path: str | None = None) -> str | None:
        context = {"today": self.f.today_iso, "key": key, **context}
        try:
            text = self.s.renderer().render(template, context)
        except TemplateProblem as exc:
            if exc.message.startswith("cannot read the templates folder"):
                # One line for the folder, not one per note that needed it.
                if not any(p.path == exc.path and p.kind == "template" and "templates folder" in p.message
                           for p in self.out.problems):
                    self.out.problems.append(Problem(exc.path, exc.message, "template"))
                return None
            self.out.problems.append(Problem(exc.path or template, f"template error: {exc.message} — "
                                             f"{key} was not created", "template", exc.line))
            return None
        try:
            text = ensure_keys(text, key)
            path = path or self.path_for(folder, stem)
            data = text.encode("utf-8")
            rec = parse_note(path, data)
            if not rec.ok or rec.fields.get("vaultkit_key") != key:
                raise TemplateProblem("the rendered front-matter does not read back with its "
                                      "vaultkit_key — check the template's front-matter")
        except TemplateProblem as exc:
            where = self.s.renderer().source_path(template)
            self.out.problems.append(Problem(where, f"template error: {exc.message} — {key} was "
                                             "not created", "template", exc.line))
            return None
        except UnsafePath as exc:  # e.g. the folder is a symlink out of the vault
            self.out.problems.append(Problem(exc.path or folder, f"{exc.message} — {key} was not "
                                             "created", "write"))
            return None
        self.out.writes.append(PlannedWrite(path, data, None, f"new {template.removesuffix('.md')}", key=key))
        self.out.records.append(rec)
        return path


# A top-level line setting one of the keys vaultkit owns (any case, quoted or not).
_OWN_KEY_LINE = re.compile(r"""^(["']?)(generated_by|vaultkit_key)\1[ \t]*:.*$""", re.M | re.I)


def ensure_keys(text: str, key: str) -> str:
    """The rendered note with `generated_by: vaultkit` and the real `vaultkit_key`.

    The rendered front-matter must be a YAML mapping (else TemplateProblem). A template
    that leaves the two keys out gets them added at the top; one that sets them (to
    anything) gets those lines replaced. The rest of the front-matter is kept as rendered,
    never re-dumped.
    """
    head = f"generated_by: vaultkit\nvaultkit_key: {yaml_one_line(key)}\n"
    if not text.startswith("---\n"):
        return "---\n" + head + "---\n" + text
    close = FRONTMATTER_CLOSE.search(text, 3)
    if close is None:
        raise TemplateProblem("the rendered front-matter has no closing `---` line")
    fm = text[4:close.start() + 1]
    _load_rendered(fm)  # a mapping, else TemplateProblem
    own = list(_OWN_KEY_LINE.finditer(fm))
    if not own:
        return "---\n" + head + text[4:]
    lines = {"generated_by": "generated_by: vaultkit",
             "vaultkit_key": f"vaultkit_key: {yaml_one_line(key)}"}
    pieces, pos, done = [], 0, set()
    for m in own:
        name = m.group(2).lower()
        pieces.append(fm[pos:m.start()])
        if name not in done:  # a key written twice keeps one line
            pieces.append(lines[name])
            done.add(name)
        elif fm[m.end():m.end() + 1] == "\n":
            pos = m.end() + 1
            continue
        pos = m.end()
    pieces.append(fm[pos:])
    new_fm = "".join(pieces)
    missing = "".join(lines[k] + "\n" for k in ("generated_by", "vaultkit_key") if k not in done)
    new_fm = missing + new_fm
    meta = _load_rendered(new_fm)
    if meta.get("vaultkit_key") != key or meta.get("generated_by") != "vaultkit":
        raise TemplateProblem("the template sets generated_by or vaultkit_key in a form vaultkit "
                              "cannot replace — leave both out, vaultkit adds them")
    return "---\n" + new_fm + text[close.start() + 1:]


def _load_rendered(fm: str) -> dict:
    """The rendered front-matter as a mapping, else TemplateProblem (with the line)."""
    import yaml  # noqa: PLC0415 - only when a note is created (a catch-up may need no YAML)
    try:
        meta = yaml.safe_load(fm)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f" (line {mark.line + 2} of the rendered note)" if mark is not None else ""
        raise TemplateProblem(f"the rendered front-matter is not valid YAML: "
                              f"{exc.problem or exc.context or 'invalid YAML'}{where}") from exc
    except (yaml.YAMLError, ValueError, TypeError, OverflowError, RecursionError) as exc:
        raise TemplateProblem(f"the rendered front-matter is not valid YAML: {exc}") from exc
    if meta is None:
        return {}
    if not isinstance(meta, dict):
        raise TemplateProblem(f"the rendered front-matter is a {type(meta).__name__}, not a mapping "
                              "of properties — write `key: value` lines")
    return meta


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
        name = f.contact_name_of(i)
        if not date or not name:
            continue
        if status == "planned" and f.today_iso <= date <= horizon:
            key = f.agenda_key(i)
            if p.due(key):
                p.create("agenda.md", key, cfg.agendas_folder, agenda_stem(date, ix.participant_names(i)),
                         _agenda_context(f, i, name))
        elif status == "done" and not ix.records[i].fields.get("thank_you_sent") and f.in_window(date):
            for contact, key in f.thank_you_keys(i):
                if p.due(key):
                    _plan_thank_you(p, i, contact, key)
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
        if not f.referral_due(edge) or not f.in_window(f.referral_since(edge)):
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
    plan_daily(p)
    _plan_review(p)
    return p.out


def _plan_thank_you(p: _Planner, i: str, contact: str | None, key: str) -> None:
    """The thank-you draft to one participant of a done interview."""
    f, ix = p.f, p.f.ix
    fields = ix.records[i].fields
    name = ix.name(contact) if contact else f.contact_name_of(i) or ""
    referrals = [{"name": ix.name(r), "target": ix.target(r)}
                 for r in sorted(ix.referred_in(i), key=ix.name_sort)]
    iv = _interview(f, i)
    ctx = {"interview": {k: iv[k] for k in ("target", "date", "company", "medium")},
           "contact": _person(f, contact, name), "referrals": referrals,
           "discussed": list(fields.get("discussed") or []), "goals": list(fields.get("goals") or [])}
    p.create("thank-you.md", key, p.s.cfg.thank_yous_folder,
             fitted_stem(f"{iv['date']} {{}} - thank-you", name), ctx)


# -- the weekly review ---------------------------------------------------------------------

def review_note_path(session: "Session", f: Facts) -> str | None:
    """This week's review note: the one generated for this week, else where it goes;
    None when weekly reviews are off (`reviews_folder = ""`)."""
    from .review import review_key, week_label
    if not session.cfg.reviews_folder:
        return None
    existing = f.generated(review_key(f.today))
    if existing:
        return existing
    return f"{session.cfg.reviews_folder}/{week_label(f.today)}.md"


def _plan_review(p: _Planner) -> None:
    from .review import review_key, week_label
    f, s = p.f, p.s
    key = review_key(f.today)
    path = review_note_path(s, f)
    if path is None or path in f.ix.records or os.path.lexists(s.vault / path) or not p.due(key):
        return
    if not f.contacts() and not f.interviews():
        return  # no job search in this vault (yet): nothing to review
    week = week_label(f.today)
    p.create("review.md", key, s.cfg.reviews_folder, week, {"week": week, "date": f.today_iso}, path=path)
