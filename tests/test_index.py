"""The index (pure): backlinks, referral edges from both recording ways, incremental updates."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from vaultkit.index import Index
from vaultkit.vault import parse_note


def rec(path: str, text: str):
    return parse_note(path, text.encode())


def build(files: dict[str, str]) -> Index:
    return Index([rec(p, t) for p, t in files.items()])


FILES = {
    "People/Ann.md": "---\ntype: contact\ncompany: \"[[Acme]]\"\n---\n",
    "People/Bo.md": "---\ntype: contact\nreferred_by: \"[[Ann]]\"\n---\nSee [[Ann]].\n",
    "People/Cy.md": "---\ntype: contact\nreferred_by: Bo\n---\n",
    "Companies/Acme.md": "---\ntype: company\n---\n",
    "Interviews/2026-11-20 Ann.md": "---\ntype: interview\ncontact: \"[[Ann]]\"\ndate: 2026-11-20\n"
                                    "referrals: [\"[[Dee]]\"]\n---\n",
    "People/Dee.md": "---\ntype: contact\n---\n",
    "Notes/plan.md": "Talk to [[Bo]] and [[Nobody]].\n",
}


def test_backlinks_body_and_property_told_apart():
    ix = build(FILES)
    inbound = {(r.source, r.prop) for r in ix.inbound["People/Ann.md"]}
    assert ("People/Bo.md", None) in inbound
    assert ("People/Bo.md", "referred_by") in inbound
    assert ("Interviews/2026-11-20 Ann.md", "contact") in inbound


def test_referral_edges_from_both_ways_and_plain_text():
    ix = build(FILES)
    edges = {(e.referrer, e.referred, e.via) for e in ix.edges()}
    assert ("People/Ann.md", "People/Bo.md", None) in edges
    assert ("People/Bo.md", "People/Cy.md", None) in edges  # plain text `referred_by: Bo`
    assert ("People/Ann.md", "People/Dee.md", "Interviews/2026-11-20 Ann.md") in edges
    assert ix.referrers_of("People/Bo.md") == ["People/Ann.md"]
    assert ix.referred_by("People/Ann.md") == ["People/Bo.md", "People/Dee.md"]


def test_views_of_contacts_and_companies():
    ix = build(FILES)
    assert ix.interviews_of("People/Ann.md") == ["Interviews/2026-11-20 Ann.md"]
    assert ix.contacts_at("Companies/Acme.md") == ["People/Ann.md"]
    assert ix.interviews_at("Companies/Acme.md") == ["Interviews/2026-11-20 Ann.md"]
    assert ix.interview_company("Interviews/2026-11-20 Ann.md") == ("Companies/Acme.md", "Acme")
    assert [l.target for l in ix.unresolved["Notes/plan.md"]] == ["Nobody"]


def test_update_new_note_resolves_a_dangling_link():
    ix = build(FILES)
    affected = ix.update({"Nobody.md": rec("Nobody.md", "hi\n")})
    assert "Notes/plan.md" not in ix.unresolved
    assert "Nobody.md" in affected
    assert {r.source for r in ix.inbound["Nobody.md"]} == {"Notes/plan.md"}


def test_update_delete_removes_backlinks_and_edges():
    ix = build(FILES)
    affected = ix.update({"People/Bo.md": None})
    assert "People/Ann.md" in affected
    assert all(r.source != "People/Bo.md" for r in ix.inbound.get("People/Ann.md", ()))
    assert ("People/Ann.md", "People/Bo.md") not in {(e.referrer, e.referred) for e in ix.edges()}


def _state(ix: Index):
    return (
        {t: sorted((r.source, r.prop or "") for r in rs) for t, rs in ix.inbound.items() if rs},
        {s: sorted(l.target for l in ls) for s, ls in ix.unresolved.items()},
        sorted((e.referrer, e.referred, e.via or "") for e in ix.edges()),
        dict(ix.generated),
        {p: ix.interview_key(p) for p in sorted(ix.records)},
    )


NAMES = ["Ann", "Bo", "Cy", "ann", "Dee"]
FOLDERS = ["", "People/", "Other/"]


@st.composite
def note(draw):
    name = draw(st.sampled_from(NAMES))
    folder = draw(st.sampled_from(FOLDERS))
    kind = draw(st.sampled_from(["contact", "interview", "note"]))
    targets = draw(st.lists(st.sampled_from(NAMES + ["Other/Bo", "Zed"]), max_size=3))
    refs = draw(st.lists(st.sampled_from(NAMES), max_size=2))
    fm = f"type: {kind}\n"
    if kind == "contact" and refs:
        fm += "referred_by: [" + ", ".join(f'"[[{r}]]"' for r in refs) + "]\n"
    if kind == "interview":
        day = draw(st.sampled_from(["2026-11-01", "2026-10-05", "2026-12-24"]))
        fm += f"contact: {refs[0] if refs else 'Ann'}\ndate: {day}\nreferrals: [{', '.join(targets)}]\n"
    body = " ".join(f"[[{t}]]" for t in targets)
    return f"{folder}{name}.md", f"---\n{fm}---\n{body}\n"


@settings(max_examples=150, deadline=None)
@given(st.lists(note(), max_size=8), st.lists(st.tuples(note(), st.booleans()), max_size=6))
def test_incremental_update_equals_a_fresh_build(initial, steps):
    files = dict(initial)
    ix = Index([rec(p, t) for p, t in files.items()])
    for (path, text), delete in steps:
        keys_before = {p: ix.interview_key(p) for p in ix.records}
        if delete and path in files:
            del files[path]
            affected = ix.update({path: None})
        else:
            files[path] = text
            affected = ix.update({path: rec(path, text)})
        fresh = Index([rec(p, t) for p, t in files.items()])
        assert _state(ix) == _state(fresh)
        # An interview whose generated notes' key changed is re-planned, with its contacts.
        for p in ix.records:
            if ix.interview_key(p) != keys_before.get(p, ix.interview_key(p)):
                assert p in affected
                assert set(ix.contacts_of(p)) <= affected


def test_edge_via_is_the_earliest_interview_and_follows_date_edits():
    files = {
        "People/Ann.md": "---\ntype: contact\n---\n",
        "People/Dee.md": "---\ntype: contact\nreferred_by: \"[[Ann]]\"\n---\n",
        "Interviews/a.md": "---\ntype: interview\ncontact: \"[[Ann]]\"\ndate: 2026-11-20\nreferrals: [\"[[Dee]]\"]\n---\n",
        "Interviews/b.md": "---\ntype: interview\ncontact: \"[[Ann]]\"\ndate: 2026-11-25\nreferrals: [\"[[Dee]]\"]\n---\n",
    }
    ix = build(files)
    assert [(e.referrer, e.referred, e.via) for e in ix.edges()] == \
        [("People/Ann.md", "People/Dee.md", "Interviews/a.md")]
    moved = files["Interviews/b.md"].replace("2026-11-25", "2026-11-02")
    ix.update({"Interviews/b.md": rec("Interviews/b.md", moved)})
    assert [e.via for e in ix.edges()] == ["Interviews/b.md"]
    assert ix.referrers_of("People/Dee.md") == ["People/Ann.md"]
    ix.update({"Interviews/b.md": None, "Interviews/a.md": None})
    assert [(e.referrer, e.via) for e in ix.edges()] == [("People/Ann.md", None)]  # referred_by still records it
    ix.update({"People/Dee.md": rec("People/Dee.md", "---\ntype: contact\n---\n")})
    assert ix.edges() == [] and ix.referred_by("People/Ann.md") == []
    assert ix.edges_touching(["People/Ann.md"]) == []


# -- differential fuzz: every block the update changes is reported affected ---------------

import datetime as dt  # noqa: E402
import os  # noqa: E402
import random  # noqa: E402

import pytest  # noqa: E402

from vaultkit import blocks  # noqa: E402
from vaultkit.config import Config  # noqa: E402
from vaultkit.facts import Facts  # noqa: E402

FUZZ_SEEDS = 10000 if os.environ.get("VAULTKIT_HEAVY") == "1" else 1500
FUZZ_NAMES = ["Ann", "ann", "Bo", "Zo\u00eb", "Zoe\u0308", "Acme", "Cy"]
FUZZ_DATES = ["2026-11-20", "2026-11-25", "2026-12-01"]


def _fuzz_note(r: random.Random) -> tuple[str, str]:
    """A random note: contact, interview, company, plain or generated, linked at random."""
    def link() -> str:
        return f'"[[{r.choice(FUZZ_NAMES + ["People/Bo", "Other/Ann"])}]]"'
    kind = r.choice(["contact", "interview", "company", "note", "generated", "contact", "interview"])
    fm = []
    if kind == "generated":
        day, who = r.choice(FUZZ_DATES), r.choice(FUZZ_NAMES)
        fm += ["generated_by: vaultkit", "vaultkit_key: " + r.choice(
            [f"agenda:{day}:{who}", f"thank-you:{day}:{who}", f"thank-you:{day}:{who}:2",
             f"thank-you-referral:{who}>{r.choice(FUZZ_NAMES)}"])]
        if r.random() < .6:
            fm.append(f"sent: {r.choice(FUZZ_DATES)}")
    elif kind != "note":
        fm.append(f"type: {kind}")
    if r.random() < .25:
        fm.append(f"name: {r.choice(FUZZ_NAMES)}")
    if r.random() < .15:
        fm.append(f"aliases: [{r.choice(FUZZ_NAMES)}]")
    if kind == "contact":
        for prop, p in (("referred_by", .5), ("company", .4)):
            if r.random() < p:
                fm.append(f"{prop}: {link()}")
        if r.random() < .3:
            fm.append(f"status: {r.choice(['met', 'contacted', 'prospect'])}")
    if kind == "interview":
        if r.random() < .9:
            fm.append(f"contact: {link()}")
        fm.append(f"date: {r.choice(FUZZ_DATES)}")
        if r.random() < .5:
            fm.append(f"referrals: [{', '.join(link() for _ in range(r.randint(1, 2)))}]")
        if r.random() < .2:
            fm.append(f"company: {link()}")
        if r.random() < .3:
            fm.append(f"status: {r.choice(['done', 'planned'])}")
        if r.random() < .2:
            fm.append("thank_you_sent: 2026-11-21")
    body = " ".join(f"[[{r.choice(FUZZ_NAMES + ['Other/Ann'])}]]" for _ in range(r.randint(0, 2)))
    folder = r.choice(["", "People/", "Interviews/", "Other/"])
    return f"{folder}{r.choice(FUZZ_NAMES)}.md", ("---\n" + "\n".join(fm) + "\n---\n" if fm else "") + body + "\n"


def _render_all(ix: Index) -> dict[str, str]:
    f = Facts(ix, Config(), dt.date(2026, 11, 28))
    out = {p: spec[1](f, p) for p, r in ix.records.items()
           if r.ok and (spec := blocks.BLOCK_OF_KIND.get(r.kind))}
    out["@referral index"] = blocks.referral_index_block(f)
    out["@daily note"] = blocks.follow_ups_block(f)
    return out


@pytest.mark.parametrize("mode", ["watch", "catch-up"])
def test_update_reports_every_block_it_changes_and_renders_as_a_fresh_index(mode):
    """Random vaults and edits (renames by `name:`, kind changes, same-named and NFD/NFC
    notes, generated notes coming and going). After each update, every block rendered from
    the updated index equals one from a fresh index (nothing remembered goes stale), and
    every note whose block changed is among the notes `update` reported affected.
    `watch`: one long-lived index whose answers are warm, tracking names; `catch-up`: a new
    index from the old notes, then one update (as `sync` does after a few edits)."""
    for seed in range(FUZZ_SEEDS):
        r = random.Random(seed)
        files = dict(_fuzz_note(r) for _ in range(r.randint(2, 8)))
        ix = build(files)
        ix.track_names()  # as watch does (a catch-up pass goes without: see below)
        _render_all(ix)
        for _ in range(r.randint(1, 5)):
            before = dict(files)
            changes = {}
            for _ in range(r.randint(1, 3)):
                if files and r.random() < .3:
                    path = r.choice(sorted(files))
                    del files[path]
                    changes[path] = None
                else:
                    path, text = _fuzz_note(r)
                    if files and r.random() < .5:
                        path = r.choice(sorted(files))
                    files[path] = text
                    changes[path] = rec(path, text)
            changes = {p: v for p, v in changes.items() if v is not None or p in before}
            if mode == "catch-up":
                ix = build(before)
            else:
                _render_all(ix)  # warm every remembered answer
            was = _render_all(build(before))
            affected = ix.update(changes)
            want = _render_all(build(files))
            assert _render_all(ix) == want, (seed, before, changes)
            missed = [p for p, text in want.items() if not p.startswith("@") and text != was.get(p) and p not in affected]
            assert not missed, (seed, before, changes, missed)


def _check_update(files: dict[str, str], edits: dict[str, str | None]) -> None:
    """Both properties of the fuzz above, for one edit, in both modes."""
    after = {**files, **edits}
    after = {p: t for p, t in after.items() if t is not None}
    changes = {p: (rec(p, t) if t is not None else None) for p, t in edits.items()}
    was = _render_all(build(files))
    want = _render_all(build(after))
    for warm in (True, False):
        ix = build(files)
        if warm:
            ix.track_names()
            _render_all(ix)
        affected = ix.update(changes)
        assert _render_all(ix) == want
        assert [p for p, t in want.items() if not p.startswith("@") and t != was.get(p) and p not in affected] == []


CONTACT_X = "---\ntype: contact\n---\n"


@pytest.mark.parametrize("files, edits", [
    pytest.param(  # a referral recorded in another interview: "C was referred by: X" in C's
        {"People/X.md": CONTACT_X, "People/C.md": CONTACT_X,
         "Interviews/I.md": "---\ntype: interview\ncontact: \"[[C]]\"\ndate: 2026-11-20\n---\n",
         "Interviews/J.md": "---\ntype: interview\ncontact: \"[[X]]\"\ndate: 2026-11-10\n---\n"},
        {"Interviews/J.md": "---\ntype: interview\ncontact: \"[[X]]\"\ndate: 2026-11-10\nreferrals: [\"[[C]]\"]\n---\n"},
        id="new-referral-shown-in-the-referred-contacts-interview"),
    pytest.param(  # the referrer's name changes: the same interview line shows it
        {"People/X.md": CONTACT_X, "People/C.md": "---\ntype: contact\nreferred_by: \"[[X]]\"\n---\n",
         "Interviews/I.md": "---\ntype: interview\ncontact: \"[[C]]\"\ndate: 2026-11-20\n---\n"},
        {"People/X.md": "---\ntype: contact\nname: Xavier\n---\n"},
        id="referrer-renamed"),
    pytest.param(  # a note becomes a contact: the interview with it now records a referral
        {"People/A.md": "---\nrole: x\n---\n", "People/B.md": CONTACT_X,
         "Interviews/I.md": "---\ntype: interview\ncontact: \"[[A]]\"\ndate: 2026-11-20\nreferrals: [\"[[B]]\"]\n---\n"},
        {"People/A.md": "---\ntype: contact\nrole: x\n---\n"},
        id="kind-change-makes-an-edge"),
    pytest.param(  # an interview naming its own company: the company lists it "with [[Ann]]"
        {"Companies/Acme.md": "---\ntype: company\n---\n", "People/Ann.md": CONTACT_X,
         "Interviews/I.md": "---\ntype: interview\ncontact: \"[[Ann]]\"\ncompany: \"[[Acme]]\"\ndate: 2027-01-15\n---\n"},
        {"People/Ann.md": "---\nrole: x\n---\n"},
        id="contact-no-longer-a-contact-in-a-company-block"),
    pytest.param(  # a draft without links back, shown by its key, gets a same-named twin
        {"People/Ann.md": CONTACT_X,
         "Interviews/2026-12-01 Ann.md": "---\ntype: interview\ncontact: \"[[Ann]]\"\ndate: 2026-12-01\n---\n",
         "Interviews/Agendas/2026-12-01 Ann - agenda.md":
             "---\ngenerated_by: vaultkit\nvaultkit_key: agenda:2026-12-01:Ann\n---\nmy agenda\n"},
        {"People/2026-12-01 Ann - agenda.md": "same name, other folder\n"},
        id="generated-note-link-text-changes"),
    pytest.param(  # a thank-you draft deleted: the interview's company block shows it no more
        {"Companies/Acme.md": "---\ntype: company\n---\n", "People/Ann.md": CONTACT_X,
         "Interviews/I.md": "---\ntype: interview\ncontact: \"[[Ann]]\"\ncompany: \"[[Acme]]\"\n"
                            "date: 2026-11-20\nstatus: done\n---\n",
         "Thank-yous/2026-11-20 Ann - thank-you.md":
             "---\ngenerated_by: vaultkit\nvaultkit_key: thank-you:2026-11-20:Ann\n---\nthanks\n"},
        {"Thank-yous/2026-11-20 Ann - thank-you.md": None},
        id="generated-note-deleted-in-a-company-block"),
])
def test_update_reaches_blocks_that_show_a_note_indirectly(files, edits):
    _check_update(files, edits)


def test_names_added_while_reading_make_the_same_index():
    """The reader adds each note's names to a resolver as the note comes in (`Named`); the
    index built on it adds the rest, and again any note whose record changed since (a
    note kept at its last good state, an excluded one held as a link target only). The
    index answers as one built from nothing: the same name maps, links, backlinks and
    unresolved links."""
    import random

    from vaultkit.model import NoteRecord
    from vaultkit.resolve import Named
    from vaultkit.scoped import ScopedIndex

    rng = random.Random(7)
    names = ["Ann Lee", "Bo", "Cy Day", "ann lee", "Dee", "Templates/Contact"]
    files = {}
    for i in range(60):
        folder = rng.choice(["", "People/", "People/x/", "Notes/", "Templates/"])
        target = rng.choice(names)
        body = f"---\ntype: contact\nname: {rng.choice(names)}\naliases: [{rng.choice(names)}]\n---\n" \
               f"[[{target}]] [t]({target.replace(' ', '%20')}.md) [[{rng.choice(names)}|x]]\n"
        files[f"{folder}{rng.choice(names).split('/')[-1]} {i % 20}.md"] = body
    records = sorted((rec(p, t) for p, t in files.items()), key=lambda r: r.path)

    def excluded(path: str) -> bool:
        return path.startswith("Templates/")

    for trial in range(20):
        named = Named()
        for r in records:
            if rng.random() < 0.7:
                named.add(r)
        final = [NoteRecord(r.path, r.size, r.mtime_ns, r.kind, "Other", (), r.fields, r.links)
                 if r.path in named.records and rng.random() < 0.1 else r for r in records]
        built = ScopedIndex(final, ["img/a.png"], excluded, named)
        alone = ScopedIndex(final, ["img/a.png"], excluded)
        for attr in ("_notes", "_attachments", "_by_path", "_by_stem", "_by_file", "_by_name", "_by_alias"):
            assert getattr(built.resolver, attr) == getattr(alone.resolver, attr), (trial, attr)
        assert built.out == alone.out and built.inbound == alone.inbound
        assert built.unresolved == alone.unresolved
