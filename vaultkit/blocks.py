"""The Markdown inside vaultkit's managed blocks. Pure: index + facts in, text out.

Output is sorted and carries no clock time, so two machines produce the same bytes.
Each function returns the block's inner text with `\\n` line endings, ending in `\\n`.
"""

from __future__ import annotations

import datetime as dt

from .facts import Facts
from .referrals import is_phantom
from .outcome import plural
from .model import CONTACT, INTERVIEW

_NONE = "_none_"




def days_ago(n: int) -> str:
    """A day count in words: "today", "yesterday", "2 days ago", "tomorrow", "in 2 days"."""
    if n == 0:
        return "today"
    if n == 1:
        return "yesterday"
    if n == -1:
        return "tomorrow"
    return f"{n} days ago" if n > 0 else f"in {-n} days"


def _shell_quoted(text: str) -> str:
    """`text` in double quotes for a POSIX shell (`"`, `\\`, `$` and backquotes escaped)."""
    for c in ("\\", '"', "$", "`"):
        text = text.replace(c, "\\" + c)
    return f'"{text}"'


def create_command(f: Facts, person: str) -> str:
    """The command that makes the note of a person named in a referral who has none yet."""
    ix = f.ix
    cmd = f"vaultkit new contact {_shell_quoted(ix.name(person))}"
    referrers = [r for r in ix.referrers_of(person) if not is_phantom(r)]
    if referrers:
        cmd += f" --referred-by {_shell_quoted(ix.name(referrers[0]))}"
    return f"`{cmd}`" if "`" not in cmd else f"`` {cmd} ``"


def _lines(title: str, items: list[str]) -> list[str]:
    if not items:
        return []
    return [f"**{title}**", *[f"- {item}" for item in items], ""]


def _finish(lines: list[str], empty: str) -> str:
    while lines and lines[-1] == "":
        lines.pop()
    if not lines:
        lines = [empty]
    return "\n".join(lines) + "\n"


def _interview_line(f: Facts, i: str, holder: str, with_contact: bool = False,
                    contact: str | None = None) -> str:
    """One interview: date, status, link, agenda, and the thank-you to `contact` (in that
    contact's block: nobody's block links another person's draft), else every participant's."""
    ix = f.ix
    rec = ix.records[i]
    parts = [rec.fields.get("date") or "no date"]
    if rec.fields.get("time"):
        parts[0] += f" {rec.fields['time']}"
    parts.append(f.status_of(i))
    parts.append(ix.link(i, holder))
    if with_contact:
        names = [ix.link(c, holder) for c in ix.contacts_of(i)]
        if names:
            parts.append("with " + ", ".join(names))
    agenda = f.generated(f.agenda_key(i))
    if agenda:
        parts.append(f"agenda {ix.link(agenda, holder)}")
    if contact is not None:
        drafts = [f.generated(f.thank_you_key(i, contact))]
    else:
        drafts = [f.generated(key) for _, key in f.thank_you_keys(i)]
    drafts = [ix.link(d, holder) for d in drafts if d]
    if drafts:
        parts.append(f"thank-you {', '.join(drafts)}")
    return " · ".join(parts)


def _backlink_lines(f: Facts, path: str, shown: set[str]) -> tuple[list[str], list[str]]:
    """Other notes linking here: (body links, property links), each sorted by name."""
    ix = f.ix
    holder = path
    body: dict[str, None] = {}
    props: dict[str, set[str]] = {}
    for r in ix.inbound.get(path, ()):
        if r.source in shown or r.source == path:
            continue
        if r.prop is None:
            body[r.source] = None
        else:
            props.setdefault(r.source, set()).add(r.prop)
    key = ix.name_sort
    # A note that names this one in a property and links it in its text is listed once,
    # under the properties (which say more: the property names).
    body_items = [ix.link(s, holder) for s in sorted(body, key=key) if s not in props]
    prop_items = [f"{ix.link(s, holder)} ({', '.join(f'`{p}`' for p in sorted(props[s]))})" for s in sorted(props, key=key)]
    return body_items, prop_items


def _backlink_sections(f: Facts, path: str, shown: set[str]) -> list[str]:
    """The "Linked from" and "Named in properties of" sections of a block."""
    body, props = _backlink_lines(f, path, shown)
    return _lines("Linked from", body) + _lines("Named in properties of", props)


def contact_block(f: Facts, path: str) -> str:
    """Block `connections` of a contact note."""
    ix = f.ix
    holder = path
    lines: list[str] = []
    last = f.last_interaction(path)
    lines += [f"**Last interaction:** {last or _NONE}", ""]
    interviews = ix.interviews_of(path)
    lines += _lines("Interviews", [_interview_line(f, i, holder, contact=path) for i in interviews])
    referrers = ix.referrers_of(path)
    referred = ix.referred_by(path)
    lines += _lines("Referred by", [ix.link(p, holder) for p in referrers])
    lines += _lines("Referred you to", [ix.link(p, holder) for p in referred])
    shown = set(interviews) | set(referrers) | set(referred)
    for i in interviews:
        for key in (f.agenda_key(i), f.thank_you_key(i, path)):
            g = f.generated(key)
            if g:
                shown.add(g)
    lines += _backlink_sections(f, path, shown)
    return _finish(lines, "")


def company_block(f: Facts, path: str) -> str:
    """Block `connections` of a company note."""
    ix = f.ix
    holder = path
    lines: list[str] = []
    contacts = sorted(ix.contacts_at(path), key=ix.name_sort)
    items = []
    for c in contacts:
        role = ix.records[c].fields.get("role")
        items.append(f"{ix.link(c, holder)}" + (f" · {role}" if role else "") + f" · {f.contact_status(c)}")
    lines += _lines("Contacts", items)
    interviews = ix.interviews_at(path)
    lines += _lines("Interviews", [_interview_line(f, i, holder, with_contact=True) for i in interviews])
    lines += _backlink_sections(f, path, set(contacts) | set(interviews))
    return _finish(lines, "_No contacts or interviews yet._")


def interview_block(f: Facts, path: str) -> str:
    """Block `links` of an interview note: its agenda and thank-you, the contact's referrer."""
    ix = f.ix
    holder = path
    lines: list[str] = []
    agenda = f.generated(f.agenda_key(path))
    lines.append(f"**Agenda:** {ix.link(agenda, holder) if agenda else _NONE}")
    keys = f.thank_you_keys(path) or [(None, None)]
    for contact, key in keys:
        # One line per participant when there are several, each with his or her draft.
        label = f"Thank-you to {ix.name(contact)}" if len(keys) > 1 and contact else "Thank-you"
        thanks = f.generated(key)
        sent = f.thank_you_sent(path, contact)
        state = f"sent {sent}" if isinstance(sent, str) else "sent" if sent else ""
        if thanks:
            lines.append(f"**{label}:** {ix.link(thanks, holder)}" + (f" ({state})" if state else ""))
        else:
            lines.append(f"**{label}:** {state or _NONE}")
    for c in ix.contacts_of(path):
        referrers = ix.referrers_of(c)
        if referrers:
            who = ", ".join(ix.link(r, holder) for r in referrers)
            lines.append(f"**{ix.name(c)} was referred by:** {who}")
    referred = ix.referred_in(path)
    if referred:
        lines.append("**Referrals from this interview:** " + ", ".join(ix.link(r, holder) for r in sorted(referred, key=ix.name_sort)))
    return _finish(lines, "")


_MERMAID_ENTITIES = {"#": "#35;", '"': "#quot;", "&": "#amp;", "<": "#lt;", ">": "#gt;", "`": "#96;"}


def _mermaid_label(name: str) -> str:
    """A name as the text of a quoted Mermaid label: `#` first (so that a name holding
    `#…;` stays text, not an entity), then the characters Mermaid or the code fence would
    read as syntax; control characters become spaces."""
    out = []
    for ch in name:
        if ch in _MERMAID_ENTITIES:
            out.append(_MERMAID_ENTITIES[ch])
        elif ord(ch) < 32 or ord(ch) == 127:
            out.append(" ")
        else:
            out.append(ch)
    return "".join(out)


def referral_index_block(f: Facts, holder: str | None = None) -> str:
    """Block `referrals` of the referral index note `holder` (default: the configured one)."""
    ix = f.ix
    holder = holder or f.cfg.referral_index
    edges = ix.edges()
    children: dict[str, list[str]] = {}
    has_parent: set[str] = set()
    people: set[str] = set()
    for e in edges:
        children.setdefault(e.referrer, []).append(e.referred)
        has_parent.add(e.referred)
        people |= {e.referrer, e.referred}
    key = ix.name_sort
    for kids in children.values():
        kids.sort(key=key)

    lines = ["## Referral tree", ""]
    if not edges:
        lines.append("_No referrals recorded yet._")
    shown: set[str] = set()

    def walk(root: str) -> None:
        # Iterative depth-first walk: deep chains must not hit the recursion limit.
        stack = [(root, 0)]
        while stack:
            node, depth = stack.pop()
            pad = "  " * depth
            if node in shown:
                lines.append(f"{pad}- {ix.link(node, holder)} ↩ _(shown above)_")
                continue
            shown.add(node)
            lines.append(f"{pad}- {ix.link(node, holder)}")
            for child in reversed(children.get(node, [])):
                stack.append((child, depth + 1))

    for root in sorted(people - has_parent, key=key):
        walk(root)
    # Cycles with no root: start at the member whose name sorts first.
    for node in sorted(people, key=key):
        if node not in shown:
            walk(node)

    lines += ["", "## Referrers", ""]
    if children:
        lines += ["| Referrer | Referred | Met |", "| --- | ---: | ---: |"]
        for referrer in sorted(children, key=key):
            kids = children[referrer]
            met = sum(1 for k in kids if f.met(k) or f.contact_status(k) == "met")
            cell = ix.link(referrer, holder).replace("|", "\\|")  # a pipe inside a table cell must be escaped
            lines.append(f"| {cell} | {len(kids)} | {met} |")
    else:
        lines.append(_NONE)

    lines += ["", "## Not yet contacted", ""]
    pending = f.uncontacted_referrals()
    if pending:
        for e in pending:
            by = ", ".join(ix.link(r, holder) for r in ix.referrers_of(e.referred))
            new = f" · no note yet: {create_command(f, e.referred)}" if is_phantom(e.referred) else ""
            lines.append(f"- {ix.link(e.referred, holder)} — referred by {by}{new}")
    else:
        lines.append(_NONE)
    nobody = sorted((p for p in children if is_phantom(p)), key=key)
    if nobody:  # referrers named by a `referred_by` that no note answers to
        lines += ["", "## Referrers without a note", ""]
        for p in nobody:
            whom = ", ".join(ix.link(k, holder) for k in children[p])
            lines.append(f"- {ix.link(p, holder)} — referred you to {whom} · {create_command(f, p)}")

    lines += ["", "## Graph", "", "```mermaid", "flowchart LR"]
    ids = {p: f"p{n}" for n, p in enumerate(sorted(people, key=key))}
    for p in sorted(people, key=key):
        lines.append(f'  {ids[p]}["{_mermaid_label(ix.name(p))}"]')
    for e in sorted(edges, key=lambda e: (key(e.referrer), key(e.referred))):
        lines.append(f"  {ids[e.referrer]} --> {ids[e.referred]}")
    lines.append("```")
    return _finish(lines, "")


def _cadence_lines(f: Facts, holder: str) -> list[str]:
    """The keep-in-touch sections of the daily note: overdue, then due soon."""
    from .cadence import due
    overdue, soon = due(f)
    lines: list[str] = []
    for title, items in (("Keep in touch: overdue", overdue), ("Keep in touch: due soon", soon)):
        lines.append(f"**{title}**")
        for d in items:
            since = f"last touch {d.last_touch} ({days_ago(d.days)})" if d.last_touch else "no touch recorded"
            lines.append(f"- [ ] {f.ix.link(d.contact, holder)} ({d.tier}: every {d.ideal}–{d.max} days) — {since}")
        if not items:
            lines.append(f"- {_NONE}")
        lines.append("")
    return lines


def follow_ups_block(f: Facts, holder: str = "") -> str:
    """Block `follow-ups` of today's daily note `holder`; links that must be Markdown links
    are relative to its folder (the vault root when not given)."""
    ix = f.ix
    cfg = f.cfg
    lines: list[str] = []

    items = []
    for i in f.upcoming(cfg.upcoming_days):
        rec = ix.records[i]
        when = rec.fields.get("date") + (f" {rec.fields['time']}" if rec.fields.get("time") else "")
        who = ", ".join(ix.link(c, holder) for c in ix.contacts_of(i)) or (f.contact_name_of(i) or "?")
        _, company = ix.interview_company(i)
        agenda = f.generated(f.agenda_key(i))
        item = f"{when} · {who}" + (f" ({company})" if company else "") + f" · {ix.link(i, holder)}"
        item += f" · agenda {ix.link(agenda, holder)}" if agenda else " · no agenda yet"
        items.append(item)
    lines += [f"**Upcoming interviews** (next {cfg.upcoming_days} days)"]
    lines += [f"- {x}" for x in items] or [f"- {_NONE}"]
    lines.append("")

    items = []
    for o in f.owed():
        what = f"interview {o.since}" if o.interview else f"referral of {ix.link(o.referral.referred, holder)}"
        days = f" — {days_ago(f.days_between(o.since))}" if o.since else ""
        draft = f" · draft {ix.link(o.draft, holder)}" if o.draft else ""
        new = f" · no note yet: {create_command(f, o.to)}" if is_phantom(o.to) else ""
        items.append(f"[ ] thank {ix.link(o.to, holder)} for the {what}{days}{draft}{new}")
    lines += ["**Thank-yous owed**"] + ([f"- {x}" for x in items] or [f"- {_NONE}"]) + [""]

    items = []
    for e in f.uncontacted_referrals():
        by = ", ".join(ix.link(r, holder) for r in ix.referrers_of(e.referred))
        new = f" · no note yet: {create_command(f, e.referred)}" if is_phantom(e.referred) else ""
        items.append(f"[ ] contact {ix.link(e.referred, holder)} (referred by {by}){new}")
    lines += ["**Referrals not yet contacted**"] + ([f"- {x}" for x in items] or [f"- {_NONE}"]) + [""]

    items = [f"[ ] {ix.link(c, holder)} — follow-up due {due}" for c, due in f.follow_ups_due()]
    lines += ["**Follow-ups due**"] + ([f"- {x}" for x in items] or [f"- {_NONE}"]) + [""]

    if cfg.cadence:
        lines += _cadence_lines(f, holder)

    items = []
    for c, last in f.quiet():
        if not last:
            since = "no interaction recorded"
        elif last == f.last_interaction(c):
            since = f"last interaction {last} ({days_ago(f.days_between(last))})"
        else:
            since = f"last linked in a note dated {last} ({days_ago(f.days_between(last))})"
        items.append(f"{ix.link(c, holder)} — {since}")
    lines += [f"**Quiet contacts** (more than {cfg.quiet_days} days)"]
    lines += [f"- {x}" for x in items] or [f"- {_NONE}"]
    lines.append("")

    w = f.week()
    lines.append(f"**This week** ({(f.today - dt.timedelta(days=6)).isoformat()} … {f.today_iso}): "
                 f"{plural(w['interviews_held'], 'interview')} held · "
                 f"{plural(w['referrals_gained'], 'referral')} gained · "
                 f"{plural(w['thank_yous_sent'], 'thank-you')} sent")
    return _finish(lines, "")


BLOCK_OF_KIND = {CONTACT: ("connections", contact_block), "company": ("connections", company_block),
                 INTERVIEW: ("links", interview_block)}
