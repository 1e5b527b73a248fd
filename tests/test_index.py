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
        {t: sorted((r.source, r.prop or "", r.line) for r in rs) for t, rs in ix.inbound.items() if rs},
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
