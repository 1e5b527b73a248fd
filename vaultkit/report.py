"""`vaultkit status` and `vaultkit doctor`: read the vault, write nothing."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from .blocks import days_ago, plural
from .cadence import due as due_by_cadence
from .facts import Facts
from .kinds import KIND_WARNING, KINDS_CLASH
from .model import COMPANY, CONTACT, INTERVIEW, PROPERTY_NAMES, NoteRecord
from .sync import Session


def _load(vault: Path, today: dt.date) -> Session:
    session = Session(vault, today, readonly=True)
    session.load()
    return session


def status_data(vault: Path, today: dt.date) -> dict:
    """Today's follow-ups as plain data (the same facts as the daily note's block)."""
    session = _load(vault, today)
    try:
        return _status(session.facts())
    finally:
        session.close()


def _status(f: Facts) -> dict:
    ix = f.ix

    def person(path: str) -> dict:
        return {"name": ix.name(path), "path": path if path in ix.records else None}

    upcoming = []
    for i in f.upcoming(f.cfg.upcoming_days):
        fields = ix.records[i].fields
        upcoming.append({"date": fields.get("date"), "time": fields.get("time"), "interview": i,
                         "contacts": [person(c) for c in ix.contacts_of(i)] or
                         [{"name": f.contact_name_of(i), "path": None}],
                         "company": ix.interview_company(i)[1], "medium": fields.get("medium"),
                         "agenda": f.generated(f.agenda_key(i))})
    owed = []
    for o in f.owed():
        owed.append({"to": person(o.to), "for": "interview" if o.interview else "referral",
                     "interview": o.interview, "referred": person(o.referral.referred) if o.referral else None,
                     "since": o.since, "days": f.days_between(o.since) if o.since else None, "draft": o.draft})
    referrals = [{"contact": person(e.referred), "referred_by": [person(r) for r in ix.referrers_of(e.referred)]}
                 for e in f.uncontacted_referrals()]
    due = [{"contact": person(c), "due": d} for c, d in f.follow_ups_due()]
    quiet = [{"contact": person(c), "last_interaction": last, "days": f.days_between(last) if last else None}
             for c, last in f.quiet()]
    overdue, soon = due_by_cadence(f)
    keep_in_touch = {name: [{"contact": person(d.contact), "tier": d.tier, "ideal": d.ideal, "max": d.max,
                             "last_touch": d.last_touch, "days": d.days} for d in items]
                     for name, items in (("overdue", overdue), ("due_soon", soon))}
    return {"today": f.today_iso, "upcoming_days": f.cfg.upcoming_days, "quiet_days": f.cfg.quiet_days,
            "upcoming": upcoming, "thank_yous_owed": owed, "thank_yous_older": f.owed_older(),
            "thank_you_window_days": f.cfg.thank_you_window_days, "referrals_not_contacted": referrals,
            "follow_ups_due": due, "keep_in_touch": keep_in_touch, "quiet": quiet, "week": f.week()}


def status_text(data: dict, color: bool = False) -> str:
    """The follow-ups for a terminal: one section each, readable at a glance."""
    def head(title: str, n: int) -> str:
        text = f"{title} ({n})"
        return f"\033[1m{text}\033[0m" if color else text

    out = [f"vaultkit status — {data['today']}", ""]
    sections = [
        ("Upcoming interviews", data["upcoming"],
         lambda u: f"{u['date']}{' ' + u['time'] if u['time'] else ''}  "
                   f"{', '.join(c['name'] or '?' for c in u['contacts'])}"
                   f"{' (' + u['company'] + ')' if u['company'] else ''}"
                   f"{'' if u['agenda'] else '  — no agenda yet'}"),
        ("Thank-yous owed", data["thank_yous_owed"],
         lambda o: f"{o['to']['name']} — " + (f"interview {o['since']}" if o["for"] == "interview"
                                              else f"referral of {o['referred']['name']}")
                   + (f", {days_ago(o['days'])}" if o["days"] is not None else "")),
        ("Referrals not yet contacted", data["referrals_not_contacted"],
         lambda r: f"{r['contact']['name']} (referred by {', '.join(p['name'] for p in r['referred_by'])})"),
        ("Follow-ups due", data["follow_ups_due"], lambda d: f"{d['contact']['name']} — due {d['due']}"),
        *[(title, data["keep_in_touch"][name],
           lambda d: f"{d['contact']['name']} ({d['tier']}: every {d['ideal']}–{d['max']} days) — "
                     + (f"last touch {d['last_touch']}, {days_ago(d['days'])}" if d["last_touch"]
                        else "no touch recorded"))
          for title, name in (("Keep in touch: overdue", "overdue"), ("Keep in touch: due soon", "due_soon"))
          if data["keep_in_touch"]["overdue"] or data["keep_in_touch"]["due_soon"]],
        (f"Quiet contacts (> {data['quiet_days']} days)", data["quiet"],
         lambda q: f"{q['contact']['name']} — " + (f"last interaction {q['last_interaction']} ({days_ago(q['days'])})"
                                                   if q["last_interaction"] else "no interaction recorded")),
    ]
    for title, items, fmt in sections:
        out.append(head(title, len(items)))
        out += [f"  • {fmt(item)}" for item in items] or ["  nothing"]
        older = data.get("thank_yous_older", 0) if title == "Thank-yous owed" else 0
        if older:
            out.append(f"  {plural(older, 'older thank-you')} not listed (more than "
                       f"{data['thank_you_window_days']} days ago)")
        out.append("")
    w = data["week"]
    out.append(f"This week: {plural(w['interviews_held'], 'interview')} held · "
               f"{plural(w['referrals_gained'], 'referral')} gained · {plural(w['thank_yous_sent'], 'thank-you')} sent")
    return "\n".join(out) + "\n"


def doctor_findings(vault: Path, today: dt.date, everything: bool = False, only: tuple[str, ...] = ()) -> list[dict]:
    """Everything worth fixing, sorted by path and line (see `doctor_report`)."""
    return doctor_report(vault, today, everything, only)["findings"]


def doctor_report(vault: Path, today: dt.date, everything: bool = False, only: tuple[str, ...] = ()) -> dict:
    """doctor's findings and their counts by kind.

    By default only what concerns vaultkit: its notes (contacts, interviews, companies,
    generated notes) and the links from them, every note that cannot be read or has broken
    markers, a note meant to have a kind that vaultkit does not know, and the vault-wide
    checks. A link from an ordinary note to a note not yet written is, in Obsidian, a
    placeholder, not a mistake: `everything` adds those. `only` keeps the findings of those
    kinds. `outside` counts the findings left out by the scope.
    """
    session = _load(vault, today)
    try:
        found = _doctor(session)
    finally:
        session.close()
    if only:
        found = [d for d in found if d["kind"] in only]
    kept = [d for d in found if everything or d.get("_scope", True)]
    for d in found:
        d.pop("_scope", None)
    outside = len(found) - len(kept)
    counts: dict[str, int] = {}
    for d in kept:
        counts[d["kind"]] = counts.get(d["kind"], 0) + 1
    counts = dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))
    return {"findings": kept, "count": len(kept), "counts": counts,
            "scope": "all" if everything else "vaultkit", "outside_scope": outside}


def doctor_summary(report: dict) -> str:
    """The last line: `doctor: 3 findings — 2 unresolved-link, 1 property`."""
    n = report["count"]
    if n:
        line = f"doctor: {plural(n, 'finding')} — " + ", ".join(f"{c} {k}" for k, c in report["counts"].items())
    else:
        line = "doctor: nothing to report — the vault is in good shape"
    if report["outside_scope"]:
        line += (f" ({plural(report['outside_scope'], 'more finding')}, such as links from ordinary notes "
                 "to notes not written yet: --all shows them)")
    return line


def _finding(path: str, kind: str, message: str, line: int | None = None, scope: bool = True) -> dict:
    found = {"path": path, "line": line, "kind": kind, "message": message}
    if not scope:
        found["_scope"] = False  # outside doctor's default scope (see `doctor_report`)
    return found


_CLASSIFYING = frozenset({"categories", "category", "type", "tags"})


def _concerns_vaultkit(rec: NoteRecord) -> bool:
    return rec.kind in (CONTACT, INTERVIEW, COMPANY) or rec.fields.get("generated_by") == "vaultkit"


def _doctor(session: Session) -> list[dict]:
    ix = session.index
    out: list[dict] = []
    ours = {p for p, rec in session.records.items() if _concerns_vaultkit(rec)}
    ours.add(session.cfg.referral_index)
    for rec in session.records.values():
        if session.excluded(rec.path):
            continue  # a template's placeholders, an archived note: not vaultkit's concern
        for p in rec.problems:
            out.append(_finding(p.path, p.kind, p.message, p.line))
        for line, w, *kind in rec.fields.get("_warnings", ()):
            # (a front-matter that is no mapping, like a read problem, concerns every note)
            out.append(_finding(rec.path, kind[0] if kind else "property", w, line,
                                scope=rec.path in ours or KIND_WARNING in w or KINDS_CLASH in w
                                or kind[:1] == ["frontmatter"]))
    for p in session.folder_problems():  # a file where a configured folder should be
        out.append(_finding(p.path, p.kind, p.message, p.line, scope=True))
    today = session.today.isoformat()
    for i in ix.paths_of_kind(INTERVIEW):
        fields = ix.records[i].fields
        if fields.get("status") == "done" and (fields.get("date") or "") > today:
            out.append(_finding(i, "property", f"status: done, but the interview is dated {fields['date']}, "
                                               "after today — fix the date, or set `status: planned`",
                                _property_line(session.vault, i, "status")))
    for source, links in ix.unresolved.items():
        for link in links:
            # A plain-text value is text unless a note matches it; only an interview's
            # contact is worth a warning then (the interview cannot be connected).
            if link.style == "plain" and link.prop not in PROPERTY_NAMES["contact"]:
                continue
            shown = link.target
            where = f" (property `{link.prop}`)" if link.prop else ""
            # A category or type written as a link (kepano's `type: [[Authors]]`) classifies
            # the note; a category note not written yet is a placeholder, as in Obsidian.
            scope = source in ours and link.prop not in _CLASSIFYING
            out.append(_finding(source, "unresolved-link", f"[[{shown}]]{where} does not resolve to any note",
                                link.line, scope=scope))
    for source in sorted(ix.records):
        rec = ix.records[source]
        for link in rec.links:
            if ix.resolver.is_ambiguous(link, source):
                target = ix.resolver.resolve(link, source)
                out.append(_finding(source, "ambiguous-link",
                                    f"[[{link.target}]] matches several notes; it resolves to {target} — "
                                    "use a path like [[folder/Name]] to choose", link.line, scope=source in ours))
    # Duplicate contacts: the same email, or the same name.
    by_email: dict[str, list[str]] = {}
    by_name: dict[str, list[str]] = {}
    for c in ix.paths_of_kind(CONTACT):
        email = ix.records[c].fields.get("email")
        if isinstance(email, str) and email.strip():
            by_email.setdefault(email.strip().casefold(), []).append(c)
        by_name.setdefault(ix.name(c).casefold(), []).append(c)
    for what, groups in (("email", by_email), ("name", by_name)):
        for value, paths in sorted(groups.items()):
            if len(paths) > 1:
                for p in paths:
                    others = ", ".join(o for o in paths if o != p)
                    out.append(_finding(p, "duplicate-contact", f"same {what} as {others}"))
    for cycle in referral_cycles(session):
        names = ", ".join(ix.name(p) for p in cycle)
        out.append(_finding(cycle[0], "referral-cycle",
                            f"referral cycle among {names}: each was referred by another of them"))
    for p in session.scan_result.problems:
        out.append(_finding(p.path, p.kind, p.message, p.line))
    for link, target in session.scan_result.aliases.items():
        out.append(_finding(link, "symlink", f"a symlink to the note {target}: vaultkit takes them "
                                             "as one note, the target, and never writes the link"))
    for path in session.scan_result.conflicts:
        out.append(_finding(path, "sync-conflict", "a sync conflict copy: merge it into the original and "
                                                   "delete it (vaultkit ignores it)"))
    out.sort(key=lambda d: (d["path"], d["line"] or 0, d["kind"], d["message"]))
    return out


def _property_line(vault: Path, path: str, key: str) -> int | None:
    """The line of a front-matter property, read from the note (records keep no lines)."""
    try:
        text = (vault / path).read_text("utf-8-sig")
    except (OSError, UnicodeDecodeError):
        return None
    lines = text.splitlines()
    for n, line in enumerate(lines[1:], 2):
        if line.rstrip() in ("---", "..."):
            break
        if line.split(":", 1)[0].strip().lower() == key and ":" in line:
            return n
    return None


def referral_cycles(session: Session) -> list[list[str]]:
    """Strongly connected components of the referral graph with 2+ people (Tarjan, iterative)."""
    ix = session.index
    graph: dict[str, list[str]] = {}
    for e in ix.edges():
        graph.setdefault(e.referrer, []).append(e.referred)
        graph.setdefault(e.referred, [])
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    comps: list[list[str]] = []
    counter = 0
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(graph[start]))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, it = work[-1]
            advanced = False
            for nxt in it:
                if nxt not in index:
                    index[nxt] = low[nxt] = counter
                    counter += 1
                    stack.append(nxt)
                    on_stack.add(nxt)
                    work.append((nxt, iter(graph[nxt])))
                    advanced = True
                    break
                if nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
            if advanced:
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                comp = []
                while True:
                    w = stack.pop()
                    on_stack.discard(w)
                    comp.append(w)
                    if w == node:
                        break
                if len(comp) > 1:
                    comps.append(sorted(comp, key=ix.name_sort))
    return sorted(comps, key=lambda c: ix.name_sort(c[0]))
