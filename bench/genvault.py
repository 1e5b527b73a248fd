"""Generate a deterministic synthetic vault for benchmarking vaultkit.

    python bench/genvault.py OUT_DIR --notes N [--seed S]

or, from Python, ``generate(Path(out), n, seed)``. The same (n, seed) always gives the same
bytes. About 30 % of the notes are contacts, 20 % interviews, 5 % companies and the rest
plain notes, spread over nested folders. The vault exercises every link form of docs/links.md,
non-links (code fences, inline code, HTML comments, external URLs), unresolved links,
duplicate base names, referral chains (recorded through ``referred_by`` and through
interviews' ``referrals``) with a few cycles, and interview dates within a year either
side of 2026-11-28 with consistent statuses.

No managed blocks are written: to get a vault whose blocks are already current, run
``vaultkit sync`` on it once and delete ``.vaultkit/`` (bench/run.py does that).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
import unicodedata
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import quote

BASE_DATE = date(2026, 11, 28)

FIRST = (
    "Ada Alan Alice Amara Ana Andre Anika Ari Ayesha Beatriz Ben Bianca Bruno Camille Carlos "
    "Chen Chloe Daniel Dana Deepa Diego Dmitri Elena Elif Emeka Emma Erik Fatima Felix Fiona "
    "Gabriel Grace Hana Hannah Hugo Ibrahim Ines Isaac Ivy Jamal Jana Jonah José Julia Kai "
    "Kamala Kenji Kwame Lara Leo Lena Liam Lucia Malik Marco Maria Marcus Maya Mei Mila "
    "Nadia Nell Nico Noor Olga Omar Owen Paolo Priya Quinn Rafael Rania Ravi Rosa Ruth Sam "
    "Sana Sofia Stefan Tariq Tess Theo Tomás Uma Vera Victor Wen Yara Yusuf Zara Zoë Aiden Bea"
).split()
LAST = (
    "Abara Adeyemi Alvarez Andersen Asante Bakker Bello Berg Brooks Castellanos Chen Cho Costa "
    "Dahl Diaz Dubois Eriksen Evans Farah Ferreira Fitzgerald Fischer Garcia Gupta Haddad "
    "Hansen Herrera Hoffman Ibarra Ivanova Jensen Johansson Kamau Kato Khan Kim Kowalski "
    "Lindqvist Lopez Marsh Martins Mendes Meyer Moreau Murphy Nakamura Nguyen Novak Nowak "
    "Okafor Oliveira Ortega Osei Oyelaran Park Patel Pereira Petrov Pierce Quinn Raman Reyes "
    "Rossi Russo Sato Schmidt Silva Singh Sousa Tanaka Torres Ueda Varga Vasquez Wagner "
    "Walsh Weber Whitaker Whitfield Wong Yamamoto Young Zhang Ziegler O'Brien Nyström Çelik "
    "Dupont Lam Moreno Rahman Santos Tran Ward Yilmaz Zhou"
).split()
COMPANY_A = (
    "Kestrel Fernway Harborline Bluebird Northwind Lumen Cedar Juniper Meridian Beacon Summit "
    "Riverbend Brightleaf Oakmont Tidewater Copperline Silverpine Granite Willow Aster Quill "
    "Lantern Compass Horizon Evergreen Foxglove Marigold Stonebridge Larkspur Redwood"
).split()
COMPANY_B = (
    "Education|Studio|Health|Labs|Learning|Analytics|Design|Collective|Systems|Works|"
    "Partners|Institute|Foundation|Digital|Research|Academy"
).split("|")
FIELDS = (
    "UX research|Learning design|Instructional design|Service design|Research operations|"
    "Ed-tech product|Learning science|Content design|Accessibility|Data analysis|"
    "Curriculum development|Program evaluation"
).split("|")
ROLES = (
    "UX Researcher|Senior UX Researcher|Research Operations Lead|Instructional Designer|"
    "Learning Experience Designer|Product Manager|Design Manager|Learning Scientist|"
    "Service Designer|Content Strategist|Program Director|Curriculum Lead|Research Director|"
    "Accessibility Specialist|Research Coordinator"
).split("|")
CONTACT_STATUSES = ("prospect", "contacted", "scheduled", "met", "dormant", "closed")
CONTACT_STATUS_WEIGHTS = (30, 20, 10, 30, 7, 3)
MEDIA = ("Video call", "Phone", "Coffee", "Lunch", "Office visit", "Zoom", "Google Meet")
TAGS = (
    "ux-research learning-design edtech healthtech public-sector mentor hiring-manager "
    "former-colleague bootcamp higher-ed k12 accessibility research-ops freelance"
).split()
HEADINGS = ("Notes", "Background", "Questions", "Follow-ups", "Ideas", "Summary", "Next steps")
TOPICS = (
    "research ops|portfolio case studies|diary studies|usability testing|backward design|"
    "assessment design|stakeholder interviews|survey design|card sorting|onboarding courses|"
    "plain-language consent|informational interviews|salary negotiation|CV rewrite|"
    "cover letters|learning analytics|accessibility audits|journey mapping|synthesis|"
    "facilitation"
).split("|")
PROJECTS = (
    "Portfolio site|Case study - parent survey|Case study - rubric redesign|Bootcamp research|"
    "Open course module|Job board tracking|Networking plan|Reading group|Conference talks|"
    "Certification"
).split("|")
AREAS = ("Career", "Learning", "Research", "Writing", "Admin")
# Base names reused by several plain notes in different folders (ambiguous links).
DUPLICATE_NAMES = (
    "Portfolio", "Ideas", "Inbox", "Meeting notes", "Questions", "Reading list", "Retro", "Plan",
)
SENTENCES = (
    "Talked through how the team decides what to research next and who gets a say.",
    "The first ninety days are mostly shadowing, note-taking and recruiting participants.",
    "Hiring picks up in January; most roles are posted internally for two weeks first.",
    "Classroom experience reads as facilitation, synthesis and stakeholder management.",
    "A portfolio with one deep case study beats five thin ones, everyone agrees on that.",
    "Research operations covers consent, compensation, the participant panel and the repository.",
    "Ask about the difference between learning design for adults and for teenagers.",
    "She recommended the local ReOps chapter and the evaluation association's newsletter.",
    "The job ads ask for three years of experience but they hire career changers anyway.",
    "Follow up in two weeks with the rewritten case study and a short note of thanks.",
    "Diary studies are popular here because the product is used over months, not minutes.",
    "The curriculum team pilots each unit in partner classrooms before it ships.",
    "Salary bands are public for government roles; consultancies are harder to read.",
    "Most of the week is spent in synthesis, turning notes into something a team can act on.",
    "Bootcamps help with vocabulary and a first project, less with getting hired.",
    "They value people who can run a usability test alone by month three.",
    "Contract-to-hire is common for instructional designers in the spring.",
    "A good question to close with: who else should I talk to, and may I use your name?",
    "Their accessibility work started with plain-language consent forms for patients.",
    "Learning science and UX research sit on the same floor and share a research guild.",
    "Bring a one-page summary of the portfolio and the question list to every call.",
    "Public-sector service design moves slowly, but the problems are worth the wait.",
    "Write the notes the same day, while the details are still there.",
    "The interview guide matters more than the script; follow the interesting answer.",
    "Send the thank-you within a day, and copy the person who made the introduction.",
    "Freelance work could bridge the gap while the portfolio comes together.",
    "The research repository is a mess; everybody says so and nobody has time to fix it.",
    "Grading rubrics are evaluation instruments, and that framing lands well in interviews.",
    "Good researchers are curious about the answer they did not expect.",
    "Parent conferences are semi-structured interviews with very high stakes.",
)
LINK_FORM_WEIGHTS = (
    ("wiki", 30), ("alias", 12), ("heading", 8), ("block", 4), ("path", 8), ("dotmd", 4),
    ("embed", 4), ("md_name", 6), ("md_rel", 6), ("lower", 3),
)


def _weighted_table(pairs: tuple[tuple[str, int], ...]) -> list[str]:
    table: list[str] = []
    for name, weight in pairs:
        table.extend([name] * weight)
    return table


LINK_FORMS = _weighted_table(LINK_FORM_WEIGHTS)


class _Note:
    """A planned note: its kind, display name (file base name) and vault-relative path."""

    __slots__ = ("kind", "name", "rel", "idx", "fm")

    def __init__(self, kind: str, name: str, rel: str, idx: int):
        self.kind = kind
        self.name = name
        self.rel = rel  # vault-relative path, with .md
        self.idx = idx  # index within its kind
        self.fm: list[str] = []


def _q(value: str) -> str:
    """A YAML double-quoted scalar (JSON strings are valid YAML)."""
    return json.dumps(value, ensure_ascii=False)


def _ascii(s: str) -> str:
    """Lower-case ASCII letters and digits of `s` (for e-mail addresses and slugs)."""
    decomposed = unicodedata.normalize("NFKD", s.lower())
    return "".join(ch for ch in decomposed if ch.isascii() and ch.isalnum())


class _Generator:
    def __init__(self, n: int, seed: int):
        self.rng = random.Random(seed)
        self.n = n
        self.notes: list[_Note] = []
        self.used: set[str] = set()  # lower-cased paths (case-insensitive file systems)
        self.contacts: list[_Note] = []
        self.companies: list[_Note] = []
        self.interviews: list[_Note] = []
        self.plain: list[_Note] = []

    # -- planning --------------------------------------------------------------------------

    def _add(self, kind: str, name: str, folder: str, idx: int) -> _Note | None:
        rel = f"{folder}/{name}.md" if folder else f"{name}.md"
        key = rel.lower()
        if key in self.used:
            return None
        self.used.add(key)
        note = _Note(kind, name, rel, idx)
        self.notes.append(note)
        return note

    def plan(self) -> None:
        rng, n = self.rng, self.n
        n_contacts = max(1, n * 30 // 100)
        n_interviews = max(1, n * 20 // 100)
        n_companies = max(1, n * 5 // 100)
        n_plain = max(0, n - n_contacts - n_interviews - n_companies)

        for i, name in enumerate(self._company_names(n_companies)):
            self.companies.append(self._add("company", name, "Companies", i))

        for i, name in enumerate(self._person_names(n_contacts)):
            folder = f"People/{_ascii(name[0]) or 'x'}"
            note = self._add("contact", name, folder, i)
            if note is None:  # same name in another case: keep it, numbered
                note = self._add("contact", f"{name} {i}", folder, i)
            self.contacts.append(note)

        # Category notes for the kepano-style `categories: [[People]]` convention.
        categories = [self._add("plain", c, "Categories", -1) for c in ("People", "Meetings", "Companies")]
        n_plain_rest = max(0, n_plain - len(categories))
        self.plain.extend(categories)

        for i in range(n_interviews):
            contact = self.contacts[self._skewed(len(self.contacts))]
            day = BASE_DATE + timedelta(days=rng.randint(-365, 365))
            folder = f"Interviews/{day.year}/{day.month:02d}"
            base = f"{day.isoformat()} {contact.name}"
            note = self._add("interview", base, folder, i)
            k = 2
            while note is None:
                note = self._add("interview", f"{base} ({k})", folder, i)
                k += 1
            note.fm = [day.isoformat(), contact]  # type: ignore[list-item]
            self.interviews.append(note)

        for i in range(n_plain_rest):
            r = rng.random()
            if r < 0.03:
                name = DUPLICATE_NAMES[rng.randrange(len(DUPLICATE_NAMES))]
            elif r < 0.035 and self.contacts:
                name = self.contacts[rng.randrange(len(self.contacts))].name  # same name as a person
            elif r < 0.15:
                name = f"{rng.choice(TOPICS).replace(' ', '-')}-{i}"  # zk-style slug, no spaces
            else:
                name = f"{rng.choice(('Notes on', 'Thoughts on', 'Reading -', 'Draft -'))} {rng.choice(TOPICS)} {i}"
            note = None
            for _ in range(20):  # a duplicate name needs a folder that does not have it yet
                note = self._add("plain", name, self._plain_folder(), i)
                if note is not None:
                    break
            else:
                note = self._add("plain", f"{name} {i}", self._plain_folder(), i)
            self.plain.append(note)

    def _plain_folder(self) -> str:
        rng = self.rng
        r = rng.random()
        if r < 0.05:
            return ""
        if r < 0.65:
            return f"Notes/{rng.randint(2024, 2026)}/{rng.randint(1, 12):02d}"
        if r < 0.85:
            return f"Projects/{rng.choice(PROJECTS)}"
        return f"Areas/{rng.choice(AREAS)}/{rng.choice(TOPICS)}"

    def _skewed(self, size: int) -> int:
        """An index in [0, size) favouring low indexes a little (some people met often)."""
        x = self.rng.random()
        return min(size - 1, int(size * x * x)) if self.rng.random() < 0.3 else self.rng.randrange(size)

    def _person_names(self, count: int) -> list[str]:
        rng = self.rng
        nf, nl = len(FIRST), len(LAST)
        plain = nf * nl
        picks = rng.sample(range(plain), min(count, plain))
        names = [f"{FIRST[p % nf]} {LAST[p // nf]}" for p in picks]
        if count > plain:  # beyond the pairs: middle initials
            extra = rng.sample(range(plain * 26), count - plain)
            for p in extra:
                pair, initial = divmod(p, 26)
                names.append(f"{FIRST[pair % nf]} {chr(65 + initial)}. {LAST[pair // nf]}")
        return names

    def _company_names(self, count: int) -> list[str]:
        na, nb = len(COMPANY_A), len(COMPANY_B)
        picks = self.rng.sample(range(na * nb), min(count, na * nb))
        names = [f"{COMPANY_A[p % na]} {COMPANY_B[p // na]}" for p in picks]
        names += [f"{COMPANY_A[i % na]} {COMPANY_B[i % nb]} {i}" for i in range(count - len(names))]
        return names

    # -- referrals --------------------------------------------------------------------------

    def plan_referrals(self) -> None:
        """referred_by for contacts: a random forest of chains, a few extra edges and cycles."""
        rng = self.rng
        c = len(self.contacts)
        self.referred_by: list[list[int]] = [[] for _ in range(c)]
        for i in range(1, c):
            r = rng.random()
            if r < 0.55:
                self.referred_by[i].append(i - rng.randint(1, min(i, 40)))
                if rng.random() < 0.03 and i > 1:
                    j = rng.randrange(i)
                    if j not in self.referred_by[i]:
                        self.referred_by[i].append(j)
            elif r < 0.56 and i + 1 < c:
                self.referred_by[i].append(rng.randrange(i + 1, c))  # forward edge: may close a cycle
        # Explicit small cycles: one every ~300 contacts, of length 2 or 3.
        for start in range(7, c - 3, 300):
            length = 2 + (start // 300) % 2
            members = list(range(start, start + length))
            for k, m in enumerate(members):
                self.referred_by[m] = [members[k - 1]]
        self.referred: list[list[int]] = [[] for _ in range(c)]
        for i, refs in enumerate(self.referred_by):
            for j in refs:
                self.referred[j].append(i)

    # -- rendering --------------------------------------------------------------------------

    def link(self, source: _Note, target: _Note, form: str | None = None) -> str:
        rng = self.rng
        form = form or LINK_FORMS[rng.randrange(len(LINK_FORMS))]
        name = target.name
        if form == "wiki":
            return f"[[{name}]]"
        if form == "alias":
            return f"[[{name}|{name.split(' ')[0]}]]"
        if form == "heading":
            return f"[[{name}#{HEADINGS[rng.randrange(len(HEADINGS))]}]]"
        if form == "block":
            return f"[[{name}#^b{target.idx % 97}]]"
        if form == "path":
            return f"[[{target.rel[:-3]}]]"
        if form == "dotmd":
            return f"[[{name}.md]]"
        if form == "embed":
            return f"![[{name}]]"
        if form == "md_name":  # by name, percent-encoded: [t](Some%20Note.md)
            return f"[{name}]({quote(name)}.md)"
        if form == "md_rel":  # relative to the linking note's folder
            rel = os.path.relpath(target.rel, os.path.dirname(source.rel) or ".").replace(os.sep, "/")
            return f"[{name}]({quote(rel)})"
        if form == "lower":  # resolves case-insensitively
            return f"[[{name.lower()}]]"
        raise ValueError(form)

    def body(self, note: _Note, extra_links: list[str]) -> str:
        rng = self.rng
        target = rng.randint(300, 3000)
        parts: list[str] = [f"# {note.name}\n"]
        size = len(parts[0])
        links = list(extra_links)
        n_random = rng.randint(1, 3 + target // 400)
        all_notes = self.notes
        contacts = self.contacts
        for _ in range(n_random):
            pool = contacts if rng.random() < 0.5 else all_notes
            t = pool[rng.randrange(len(pool))]
            if t is not note:
                links.append(self.link(note, t))
        if rng.random() < 0.03:
            links.append(f"[[Missing note {rng.randrange(200)}]]")  # unresolved
        if rng.random() < 0.05:
            links.append(f"[[#{HEADINGS[0]}]]")  # same note: no backlink
        if rng.random() < 0.1:
            links.append(f"[the careers page](https://example.com/careers/{rng.randrange(1000)})")
        rng.shuffle(links)
        heading_i = 0
        first_para = True
        while size < target or links:
            if rng.random() < 0.25 and heading_i < len(HEADINGS):
                h = f"\n## {HEADINGS[heading_i]}\n"
                heading_i += 1
                parts.append(h)
                size += len(h)
            sentences = [SENTENCES[rng.randrange(len(SENTENCES))] for _ in range(rng.randint(2, 5))]
            if links:
                sentences.append(f"See {links.pop()}.")
            para = "\n" + " ".join(sentences)
            if first_para:
                para += f" ^b{note.idx % 97}"
                first_para = False
            para += "\n"
            parts.append(para)
            size += len(para)
            if size > 4000:  # links left over: a compact list
                parts.append("\n" + "".join(f"- {l}\n" for l in links))
                links = []
                break
        r = rng.random()
        if r < 0.10:
            parts.append(
                "\n```markdown\nA template: [[Not A Link]] and [also not](Not%20A%20Link.md)\n"
                "contact: \"[[Not A Link Either]]\"\n```\n"
            )
        elif r < 0.20:
            parts.append("\nWrite `[[Person Name]]` to link someone; `![[x]]` embeds.\n")
        elif r < 0.25:
            parts.append("\n<!-- TODO: ask about [[Hidden Link]] -->\n")
        return "".join(parts)

    def ref_value(self, names: list[str]) -> str:
        """referred_by in one of the forms people write it."""
        rng = self.rng
        r = rng.random()
        if len(names) > 1 or r < 0.03:
            return "\n" + "".join(f"  - {_q(f'[[{x}]]')}\n" for x in names)
        name = names[0]
        if r < 0.73:
            return f" {_q(f'[[{name}]]')}\n"
        if r < 0.88:
            return f" {_q(name)}\n"  # plain text, matched by name
        if r < 0.96 and "]" not in name:
            return f" [[{name}]]\n"  # unquoted: YAML reads a nested list
        return f" {_q(f'[[{name}|{name.split()[0]}]]')}\n"

    def contact_text(self, note: _Note) -> str:
        rng = self.rng
        i = note.idx
        first, *_, last = note.name.split()
        kepano = rng.random() < 0.1
        lines = ["---\n"]
        if kepano:
            lines.append('categories: ["[[People]]"]\n')
        else:
            lines.append("type: contact\n")
            lines.append(f"name: {_q(note.name)}\n")
        company_key = "org" if kepano else "company"
        if self.companies and rng.random() < 0.7:
            comp = self.companies[rng.randrange(len(self.companies))]
            lines.append(f"{company_key}: {_q(f'[[{comp.name}]]')}\n")
        else:
            lines.append(f"{company_key}: {_q(rng.choice(COMPANY_A) + ' School District')}\n")
        lines.append(f"role: {_q(rng.choice(ROLES))}\n")
        lines.append(f"field: {_q(rng.choice(FIELDS))}\n")
        lines.append(f"email: {_ascii(first)}.{_ascii(last)}{i}@example.com\n")
        lines.append(f"linkedin: https://www.linkedin.com/in/{_ascii(first)}-{_ascii(last)}-{i}\n")
        if rng.random() < 0.1:
            lines.append(f"aliases: [{_q(first + ' ' + last[0] + '.')}]\n")
        refs = self.referred_by[i]
        if refs:
            lines.append("referred_by:" + self.ref_value([self.contacts[j].name for j in refs]))
        status = rng.choices(CONTACT_STATUSES, CONTACT_STATUS_WEIGHTS)[0]
        lines.append(f"status: {status}\n")
        if status != "prospect" or rng.random() < 0.3:
            lines.append(f"last_contacted: {BASE_DATE - timedelta(days=rng.randint(0, 200))}\n")
        if rng.random() < 0.4:
            lines.append(f"next_follow_up: {BASE_DATE + timedelta(days=rng.randint(-30, 30))}\n")
        lines.append(f"tags: [{', '.join(rng.sample(TAGS, rng.randint(1, 3)))}]\n")
        lines.append("---\n\n")
        extra = [self.link(note, self.contacts[j], "wiki") for j in self.referred[i][:3]]
        return "".join(lines) + self.body(note, extra)

    def interview_text(self, note: _Note) -> str:
        rng = self.rng
        day_iso, contact = note.fm  # type: ignore[misc]
        day = date.fromisoformat(day_iso)
        kepano = rng.random() < 0.1
        lines = ["---\n"]
        if kepano:
            lines.append('categories: ["[[Meetings]]"]\n')
            lines.append(f"people: [{_q(f'[[{contact.name}]]')}]\n")
        else:
            lines.append("type: interview\n")
            lines.append(f"contact: {_q(f'[[{contact.name}]]')}\n")
        lines.append(f"date: {day_iso}\n")
        lines.append(f'time: "{rng.randint(8, 18):02d}:{rng.choice((0, 15, 30, 45)):02d}"\n')
        lines.append(f"medium: {rng.choice(MEDIA)}\n")
        past = day < BASE_DATE
        r = rng.random()
        if past:
            status = "done" if r < 0.88 else ("cancelled" if r < 0.95 else None)
        else:
            status = "planned" if r < 0.9 else None
        if status:
            lines.append(f"status: {status}\n")
        goals = rng.sample(TOPICS, rng.randint(1, 3))
        lines.append("goals:\n" + "".join(f"  - Ask about {g}\n" for g in goals))
        # Referrals this interview recorded: some of the people the contact referred
        # (the same edge as their referred_by), now and then a new edge.
        if past and status != "cancelled":
            referred = self.referred[contact.idx]
            refs = [self.contacts[j].name for j in referred if rng.random() < 0.5][:3]
            if rng.random() < 0.05:
                refs.append(self.contacts[rng.randrange(len(self.contacts))].name)
            if refs:
                lines.append("referrals:\n" + "".join(f"  - {_q(f'[[{x}]]')}\n" for x in refs))
            if rng.random() < 0.8:
                if rng.random() < 0.1:
                    lines.append("thank_you_sent: true\n")
                else:
                    sent = min(day + timedelta(days=rng.randint(0, 3)), BASE_DATE)
                    lines.append(f"thank_you_sent: {sent}\n")
        lines.append("---\n\n")
        return "".join(lines) + self.body(note, [self.link(note, contact, "wiki")])

    def company_text(self, note: _Note) -> str:
        rng = self.rng
        slug = _ascii(note.name)
        fm = (
            "---\ntype: company\n"
            f"name: {_q(note.name)}\n"
            f"website: https://{slug}.example.com\n"
            f"field: {_q(rng.choice(FIELDS))}\n"
            f"tags: [{rng.choice(TAGS)}]\n---\n\n"
        )
        return fm + self.body(note, [])

    def plain_text(self, note: _Note) -> str:
        rng = self.rng
        if note.idx < 0:  # a category note
            return f"---\ntags: [categories]\n---\n\nCategory note for {note.name.lower()}.\n"
        fm = ""
        r = rng.random()
        if r < 0.3:
            t = self.notes[rng.randrange(len(self.notes))]
            fm = f"---\ntags: [{rng.choice(TAGS)}]\nrelated: {_q(f'[[{t.name}]]')}\n---\n\n"
        elif r < 0.5:
            fm = f"---\ntags: [{rng.choice(TAGS)}, {rng.choice(TAGS)}]\n---\n\n"
        return fm + self.body(note, [])

    def render(self, note: _Note) -> str:
        if note.kind == "contact":
            return self.contact_text(note)
        if note.kind == "interview":
            return self.interview_text(note)
        if note.kind == "company":
            return self.company_text(note)
        return self.plain_text(note)


def generate(out: Path, n: int, seed: int = 1) -> None:
    """Write a vault of about `n` notes into `out` (created; must be empty or absent)."""
    out = Path(out)
    if out.exists() and any(out.iterdir()):
        raise FileExistsError(f"{out} is not empty")
    gen = _Generator(n, seed)
    gen.plan()
    gen.plan_referrals()
    folders = {os.path.dirname(note.rel) for note in gen.notes}
    out.mkdir(parents=True, exist_ok=True)
    for folder in sorted(folders):
        if folder:
            (out / folder).mkdir(parents=True, exist_ok=True)
    (out / ".obsidian").mkdir(exist_ok=True)
    (out / ".obsidian" / "app.json").write_text("{}\n", encoding="utf-8")
    root = str(out)
    for note in gen.notes:
        data = gen.render(note).encode("utf-8")
        with open(os.path.join(root, note.rel), "wb") as f:
            f.write(data)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, help="folder to create (must be empty or absent)")
    parser.add_argument("--notes", type=int, required=True, help="number of notes")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    if args.notes < 1:
        parser.error("--notes must be at least 1")
    start = time.perf_counter()
    try:
        generate(args.out, args.notes, args.seed)
    except FileExistsError as exc:
        print(f"genvault: {exc}", file=sys.stderr)
        return 2
    print(f"{args.notes} notes in {args.out} ({time.perf_counter() - start:.2f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
