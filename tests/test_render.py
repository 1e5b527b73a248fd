"""The template sandbox and the packaged templates."""

from __future__ import annotations

import datetime as dt
import os
import time
import tracemalloc
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from vaultkit.errors import TemplateProblem
from vaultkit.render import (
    AGENDA,
    CONTACT,
    CONTACTS_BASE,
    FOLLOW_UPS,
    REVIEW,
    INTERVIEW,
    THANK_YOU,
    THANK_YOU_REFERRAL,
    Renderer,
    humandate,
    isodate,
    packaged_dir,
    plain,
    static_names,
    template_names,
    wikilink,
    yaml_value,
)

USER = "Templates/vaultkit"
NASTY_NAMES = [
    "Dana O'Neil", "Ana: CEO", "O'Brien #1", "x\nevil: true", "A ]]|# B", "- [x] yes", "null",
]


# --------------------------------------------------------------------------- helpers


@pytest.fixture
def vault(tmp_path: Path) -> Path:
    root = tmp_path / "vault"
    (root / USER).mkdir(parents=True)
    return root


def user_renderer(vault: Path, files: dict[str, str] | None = None, **options) -> Renderer:
    for name, text in (files or {}).items():
        path = vault / USER / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return Renderer(vault / USER, vault=vault, **options)


def split_note(text: str) -> tuple[dict, str]:
    """(front-matter as loaded by yaml.safe_load, body) of a rendered note."""
    assert text.startswith("---\n"), text[:80]
    head, sep, body = text[4:].partition("\n---\n")
    assert sep, "front-matter is not closed"
    data = yaml.safe_load(head)
    assert isinstance(data, dict)
    return data, body


def person(name: str, folder: str = "People") -> dict:
    return {"name": name, "target": f"{folder}/{name}"}


def contact_ctx(**over) -> dict:
    ctx = {
        "today": "2026-11-28", "key": None, "name": "Bo Chen", "company": "Globex",
        "company_target": "Companies/Globex", "role": "UX Lead", "email": "bo@globex.example",
        "referred_by": [person("Ann Lee")],
    }
    return {**ctx, **over}


def interview_ctx(**over) -> dict:
    ctx = {
        "today": "2026-11-28", "key": None, "contact": person("Bo Chen"),
        "date": "2026-11-30", "time": "14:30", "medium": "Zoom", "company": "Globex",
        "company_target": "Companies/Globex", "status": "planned",
    }
    return {**ctx, **over}


def agenda_ctx(**over) -> dict:
    ctx = {
        "today": "2026-11-28",
        "key": "agenda:Interviews/2026-11-30 Bo Chen.md",
        "interview": {
            "target": "Interviews/2026-11-30 Bo Chen", "date": "2026-11-30", "time": "14:30",
            "medium": "Zoom", "company": "Globex", "company_target": "Companies/Globex",
            "goals": ["Learn how Globex hires researchers", "Ask about the UX guild"],
            "title": "2026-11-30 Bo Chen",
        },
        "contact": {
            "name": "Bo Chen", "target": "People/Bo Chen", "company": "Globex", "role": "UX Lead",
            "field": "UX research", "email": "bo@globex.example",
            "linkedin": "https://www.linkedin.com/in/bochen",
        },
        "chain": [person("Ann Lee"), person("Cy Diaz")],
        "earlier": [{
            "date": "2026-10-01", "target": "Interviews/2026-10-01 Dee Park",
            "contact_name": "Dee Park", "status": "done", "company": "Globex",
        }],
    }
    return {**ctx, **over}


def thank_you_ctx(**over) -> dict:
    ctx = {
        "today": "2026-12-01",
        "key": "thank-you:Interviews/2026-11-30 Bo Chen.md",
        "interview": {"target": "Interviews/2026-11-30 Bo Chen", "date": "2026-11-30",
                      "company": "Globex", "medium": "Zoom"},
        "contact": {"name": "Bo Chen", "target": "People/Bo Chen", "email": "bo@globex.example",
                    "company": "Globex", "role": "UX Lead"},
        "referrals": [person("Eve Ng"), person("Fay Wu")],
        "discussed": ["how the research team works with product managers", "hiring in Q2"],
        "goals": ["Learn how Globex hires researchers"],
    }
    return {**ctx, **over}


def referral_ctx(**over) -> dict:
    ctx = {
        "today": "2026-12-01",
        "key": "thank-you-referral:People/Ann Lee.md->People/Bo Chen.md",
        "referrer": {"name": "Ann Lee", "target": "People/Ann Lee", "email": "ann@acme.example",
                     "company": "Acme"},
        "referred": {"name": "Bo Chen", "target": "People/Bo Chen", "company": "Globex",
                     "role": "UX Lead"},
        "met_on": "2026-11-30",
        "recorded_in": {"target": "Interviews/2026-11-02 Ann Lee", "date": "2026-11-02"},
    }
    return {**ctx, **over}


def follow_ups_ctx(**over) -> dict:
    return {"today": "2026-11-28", "key": "follow-ups:2026-11-28", "date": "2026-11-28", **over}


CONTEXTS = {
    CONTACT: contact_ctx,
    INTERVIEW: interview_ctx,
    AGENDA: agenda_ctx,
    THANK_YOU: thank_you_ctx,
    THANK_YOU_REFERRAL: referral_ctx,
    FOLLOW_UPS: follow_ups_ctx,
}

SPARSE = {
    CONTACT: lambda: contact_ctx(company=None, role=None, email=None, referred_by=[]),
    INTERVIEW: lambda: interview_ctx(time=None, medium=None, company=None),
    AGENDA: lambda: agenda_ctx(
        chain=[], earlier=[],
        interview={**agenda_ctx()["interview"], "time": None, "medium": None, "company": None,
                   "company_target": None, "goals": []},
        contact={**agenda_ctx()["contact"], "company": None, "role": None, "field": None,
                 "email": None, "linkedin": None},
    ),
    THANK_YOU: lambda: thank_you_ctx(
        referrals=[], discussed=[], goals=[],
        interview={**thank_you_ctx()["interview"], "company": None, "medium": None},
        contact={**thank_you_ctx()["contact"], "email": None, "company": None, "role": None},
    ),
    THANK_YOU_REFERRAL: lambda: referral_ctx(
        met_on=None, recorded_in=None,
        referrer={**referral_ctx()["referrer"], "email": None, "company": None},
        referred={**referral_ctx()["referred"], "company": None, "role": None},
    ),
    FOLLOW_UPS: follow_ups_ctx,
}


# --------------------------------------------------------------------------- packaging


def test_packaged_templates_are_all_there():
    assert template_names() == sorted([AGENDA, CONTACT, FOLLOW_UPS, INTERVIEW, REVIEW, THANK_YOU,
                                       THANK_YOU_REFERRAL])
    assert static_names() == [CONTACTS_BASE]
    assert (packaged_dir() / "__init__.py").is_file()


def test_contacts_base_is_a_table_of_contacts_sorted_by_next_follow_up(vault):
    data = Renderer(None).render_static(CONTACTS_BASE)
    assert data == (packaged_dir() / CONTACTS_BASE).read_bytes()
    base = yaml.safe_load(data)
    filters = yaml.safe_dump(base["filters"])
    assert 'type == "contact"' in filters and 'link("People")' in filters
    (view,) = base["views"]
    assert view["type"] == "table"
    assert view["order"] == ["file.name", "note.status", "formula.company", "note.role",
                             "note.last_contacted", "note.next_follow_up"]
    # The company column shows `company`, else `org` (kepano's name for it).
    assert base["formulas"]["company"] == "if(company, company, org)"
    assert "category" in filters and 'type == "person"' in filters
    assert view["sort"][0] == {"property": "note.next_follow_up", "direction": "ASC"}


def test_user_copy_of_contacts_base_wins(vault):
    renderer = user_renderer(vault, {CONTACTS_BASE: "views: []\n"})
    assert renderer.render_static(CONTACTS_BASE) == b"views: []\n"
    assert renderer.source_path(CONTACTS_BASE) == f"{USER}/{CONTACTS_BASE}"


# --------------------------------------------------------------------------- packaged notes


EXPECTED_FRONT_MATTER = {
    CONTACT: {
        "type": "contact", "name": "Bo Chen", "company": "[[Companies/Globex|Globex]]", "role": "UX Lead",
        "email": "bo@globex.example", "referred_by": ["[[People/Ann Lee|Ann Lee]]"],
        "status": "prospect", "last_contacted": None, "next_follow_up": None, "tags": [],
    },
    INTERVIEW: {
        "type": "interview", "contact": "[[People/Bo Chen|Bo Chen]]",
        "date": dt.date(2026, 11, 30), "time": "14:30", "medium": "Zoom",
        "company": "[[Companies/Globex|Globex]]", "status": "planned", "goals": [], "referrals": [],
        "thank_you_sent": None,
    },
    AGENDA: {
        "type": "agenda", "generated_by": "vaultkit",
        "vaultkit_key": "agenda:Interviews/2026-11-30 Bo Chen.md",
        "interview": "[[Interviews/2026-11-30 Bo Chen|2026-11-30 Bo Chen]]",
    },
    THANK_YOU: {
        "type": "thank-you", "generated_by": "vaultkit",
        "vaultkit_key": "thank-you:Interviews/2026-11-30 Bo Chen.md",
        "to": "[[People/Bo Chen|Bo Chen]]", "sent": False,
    },
    THANK_YOU_REFERRAL: {
        "type": "thank-you", "generated_by": "vaultkit",
        "vaultkit_key": "thank-you-referral:People/Ann Lee.md->People/Bo Chen.md",
        "to": "[[People/Ann Lee|Ann Lee]]", "sent": False,
    },
    FOLLOW_UPS: {"generated_by": "vaultkit", "vaultkit_key": "follow-ups:2026-11-28"},
}


@pytest.mark.parametrize("name", sorted(CONTEXTS))
def test_packaged_template_front_matter(name):
    data, _ = split_note(Renderer(None).render(name, CONTEXTS[name]()))
    for key, value in EXPECTED_FRONT_MATTER[name].items():
        assert data[key] == value, key


@pytest.mark.parametrize("variant", ["full", "sparse"])
@pytest.mark.parametrize("name", sorted(CONTEXTS))
def test_packaged_templates_leave_no_stray_blank_lines(name, variant):
    ctx = CONTEXTS[name]() if variant == "full" else SPARSE[name]()
    text = Renderer(None).render(name, ctx)
    split_note(text)
    assert "\n\n\n" not in text
    assert text.endswith("\n") and not text.endswith("\n\n")
    assert "None" not in text  # an absent value never shows up as "None"
    assert not any(line != line.rstrip() for line in text.splitlines() if line.strip() != "-")


def test_generated_notes_are_a_pure_function_of_their_context():
    renderer = Renderer(None)
    for name, make in CONTEXTS.items():
        assert renderer.render(name, make()) == Renderer(None).render(name, make())


@pytest.mark.parametrize("nasty", NASTY_NAMES)
def test_contact_values_round_trip_through_front_matter(nasty):
    ctx = contact_ctx(name=nasty, role=nasty, email=nasty, company=nasty,
                      referred_by=[{"name": nasty, "target": "People/Ann Lee"}])
    text = Renderer(None).render(CONTACT, ctx)
    data, body = split_note(text)
    assert set(data) == set(EXPECTED_FRONT_MATTER[CONTACT])  # no key added, none lost
    assert data["name"] == nasty and data["role"] == nasty and data["email"] == nasty
    for link in (data["company"], *data["referred_by"]):
        assert link.startswith("[[") and link.endswith("]]")
        assert link.count("[[") == 1 and link.count("]]") == 1 and "\n" not in link
    assert "evil: true\n" not in body.replace("x evil: true", "")


@pytest.mark.parametrize("nasty", NASTY_NAMES)
def test_interview_values_round_trip_through_front_matter(nasty):
    ctx = interview_ctx(contact={"name": nasty, "target": "People/Bo Chen"}, medium=nasty,
                        time=nasty)
    data, _ = split_note(Renderer(None).render(INTERVIEW, ctx))
    assert set(data) == set(EXPECTED_FRONT_MATTER[INTERVIEW])
    assert data["medium"] == nasty and data["time"] == nasty
    assert data["contact"].startswith("[[People/Bo Chen|") and data["contact"].count("]]") == 1


@pytest.mark.parametrize("nasty", NASTY_NAMES)
def test_generated_notes_keep_their_keys_whatever_the_names(nasty):
    renderer = Renderer(None)
    for name in (AGENDA, THANK_YOU, THANK_YOU_REFERRAL):
        ctx = CONTEXTS[name]()
        for part in ("contact", "referrer", "referred"):
            if part in ctx:
                ctx[part] = {**ctx[part], "name": nasty, "company": nasty}
        ctx["key"] = f"key {nasty}"
        data, _ = split_note(renderer.render(name, ctx))
        assert data["generated_by"] == "vaultkit" and data["vaultkit_key"] == f"key {nasty}"
        assert "evil" not in data


def test_note_content_is_data_never_a_template():
    ctx = thank_you_ctx(discussed=["{{ 7 * 7 }} and {% raw %}"])
    text = Renderer(None).render(THANK_YOU, ctx)
    assert "{{ 7 * 7 }} and {% raw %}" in text and "49" not in text


def test_agenda_follows_the_method():
    text = Renderer(None).render(AGENDA, agenda_ctx())
    _, body = split_note(text)
    order = [
        "[[People/Bo Chen|Bo Chen]], UX Lead at Globex",  # who
        "Monday, November 30, 2026 at 14:30",  # when
        "Zoom",  # where / medium
        "[[Companies/Globex|Globex]]",  # company
        "[[People/Ann Lee|Ann Lee]] → [[People/Cy Diaz|Cy Diaz]] → you",  # the chain
        "[[Interviews/2026-10-01 Dee Park|interview with Dee Park]]",  # earlier
        "Website of Globex", "Mission", "Recent news", "Products",
        "LinkedIn (https://www.linkedin.com/in/bochen)", "Open roles at Globex",
        "Describe a typical day in your department.",
        "How did you get into this field",
        "What do you like least?",
        "What are the employment prospects in this field?",
        "Are you active in any professional organizations in your field, and which would you "
        "recommend?",
        "What should the most important consideration be in my first job?",
        "how would you approach my search?",
        "Who else should I talk to?",
        "- [ ] Learn how Globex hires researchers\n- [ ] Ask about the UX guild\n",
        "## Notes",
    ]
    positions = [body.find(snippet) for snippet in order]
    assert -1 not in positions, [s for s, p in zip(order, positions) if p == -1]
    assert positions == sorted(positions)


def test_agenda_without_referral_or_history():
    text = Renderer(None).render(AGENDA, SPARSE[AGENDA]())
    assert "→" not in text and "No referral on record" in text
    assert "first conversation with Bo Chen" in text
    assert "Who else should I talk to?" in text
    assert "- [ ] Decide what you most want to learn" in text


def test_thank_you_names_date_company_point_and_referrals():
    data, body = split_note(Renderer(None).render(THANK_YOU, thank_you_ctx()))
    assert data["sent"] is False and data["type"] == "thank-you"
    assert "Dear Bo Chen," in body
    assert "November 30, 2026" in body
    assert "at Globex" in body
    assert "how the research team works with product managers" in body
    assert "Eve Ng and Fay Wu" in body
    assert "keep you posted" in body
    assert "[[People/Eve Ng|Eve Ng]]" in body  # the referrals, linked, for the follow-up


def test_thank_you_without_points_or_referrals_still_reads_well():
    _, body = split_note(Renderer(None).render(THANK_YOU, SPARSE[THANK_YOU]()))
    assert "taking away" not in body and "suggesting" not in body
    assert ("speak with me on November 30, 2026. "
            "I really appreciated hearing about your work,") in body


def test_referral_thank_you_met_or_planned():
    renderer = Renderer(None)
    data, met = split_note(renderer.render(THANK_YOU_REFERRAL, referral_ctx()))
    assert data["to"] == "[[People/Ann Lee|Ann Lee]]" and data["sent"] is False
    assert "When we spoke on November 2, 2026, you suggested I get in touch with Bo Chen" in met
    assert "We met on November 30, 2026" in met
    _, planned = split_note(renderer.render(THANK_YOU_REFERRAL, SPARSE[THANK_YOU_REFERRAL]()))
    assert "Thank you for introducing me to Bo Chen." in planned
    assert "look forward to our conversation" in planned and "We met" not in planned


def test_follow_ups_note_ends_with_the_block_markers():
    text = Renderer(None).render(FOLLOW_UPS, follow_ups_ctx())
    assert text.endswith("\n<!-- vaultkit:begin follow-ups -->\n<!-- vaultkit:end follow-ups -->\n")
    assert "Saturday, November 28, 2026" in text


def test_a_missing_context_value_in_a_packaged_template_is_a_problem():
    ctx = agenda_ctx()
    del ctx["chain"]
    with pytest.raises(TemplateProblem) as info:
        Renderer(None).render(AGENDA, ctx)
    assert info.value.path == str(packaged_dir() / AGENDA)
    assert isinstance(info.value.line, int) and "'chain' is undefined" in info.value.message


# --------------------------------------------------------------------------- filters


@pytest.mark.parametrize("value", [*NASTY_NAMES, "", "yes", "2026-11-30", "14:30", "1.10", "0755",
                                   "#x", "* a", "&a", "!!python/object:x", "a\u2028b", "\ufeffx",
                                   None, True, 3, ["a", "b: c"], {"k": "v\nw"}])
def test_yaml_filter_round_trips_on_one_line(value):
    text = yaml_value(value)
    assert "\n" not in text
    assert yaml.safe_load(f"k: {text}\nother: 1\n") == {"k": value, "other": 1}


@settings(max_examples=300, deadline=None)
@given(st.recursive(st.none() | st.booleans() | st.integers() | st.text(),
                    lambda inner: st.lists(inner, max_size=3), max_leaves=6))
def test_yaml_filter_round_trips_anything(value):
    text = yaml_value(value)
    assert "\n" not in text
    assert yaml.safe_load(f"k: {text}\n") == {"k": value}


@settings(max_examples=300, deadline=None)
@given(st.text(min_size=1), st.one_of(st.none(), st.text()))
def test_wikilink_is_always_one_whole_link(target, shown):
    link = wikilink(target, shown)
    if not target.strip():
        return
    assert link.startswith("[[") and link.endswith("]]")
    inner = link[2:-2]
    assert "[" not in inner and "]" not in inner and "\n" not in inner and "\r" not in inner
    assert inner.count("|") <= 1
    assert "#" not in inner.split("|")[0] and "<!--" not in inner


def test_wikilink_shapes():
    assert wikilink("People/Ann Lee.md", "Ann Lee") == "[[People/Ann Lee|Ann Lee]]"
    assert wikilink("Acme") == "[[Acme]]"
    assert wikilink("Acme", "Acme") == "[[Acme]]"
    assert wikilink(None, "Acme") == "Acme"
    assert wikilink("People/X", "A ]]|# B") == "[[People/X|A ))¦# B]]"


def test_date_and_text_filters():
    assert humandate("2026-11-30") == "Monday, November 30, 2026"
    assert humandate("2026-11-30", weekday=False) == "November 30, 2026"
    assert humandate("soon") == "soon"
    assert isodate("2026-11-30") == "2026-11-30"
    assert isodate("2026-13-45") == '"2026-13-45"'
    text = "see [[People/Ann Lee|Ann]] and [[Bo Chen]]\nand [x](y.md)"
    assert plain(text) == "see Ann and Bo Chen and x"
    assert plain(None) == ""
    assert plain("<!-- vaultkit:begin x -->") == "<!- - vaultkit:begin x - ->"


# --------------------------------------------------------------------------- user templates


def test_user_template_overrides_the_packaged_one(vault):
    renderer = user_renderer(vault, {FOLLOW_UPS: "---\nmine: {{ date | yaml }}\n---\n"})
    assert renderer.render(FOLLOW_UPS, follow_ups_ctx()) == '---\nmine: "2026-11-28"\n---\n'
    assert renderer.source_path(FOLLOW_UPS) == f"{USER}/{FOLLOW_UPS}"
    assert renderer.source_path(AGENDA) == str(packaged_dir() / AGENDA)


def test_an_override_added_later_is_picked_up(vault):
    renderer = user_renderer(vault)
    assert "Follow-ups for" in renderer.render(FOLLOW_UPS, follow_ups_ctx())
    (vault / USER / FOLLOW_UPS).write_text("late {{ date }}\n", encoding="utf-8")
    assert renderer.render(FOLLOW_UPS, follow_ups_ctx()) == "late 2026-11-28\n"


def test_a_typo_names_the_file_and_line(vault):
    renderer = user_renderer(vault, {AGENDA: "---\ntype: agenda\n---\nHello {{ persn }}\n"})
    with pytest.raises(TemplateProblem) as info:
        renderer.render(AGENDA, agenda_ctx())
    assert (info.value.path, info.value.line) == (f"{USER}/{AGENDA}", 4)
    assert str(info.value).startswith(f"{USER}/{AGENDA}:4: 'persn' is undefined")


def test_a_syntax_error_names_the_file_and_line(vault):
    renderer = user_renderer(vault, {"x.md": "one\ntwo\n{% if %}\nfour\n"})
    with pytest.raises(TemplateProblem) as info:
        renderer.render("x.md", {})
    assert str(info.value).startswith(f"{USER}/x.md:3: syntax error")


def test_an_error_in_an_included_template_names_that_template(vault):
    renderer = user_renderer(vault, {"outer.md": "a\n{% include 'inner.md' %}\n",
                                     "inner.md": "1\n2\n{{ 1 // 0 }}\n"})
    with pytest.raises(TemplateProblem) as info:
        renderer.render("outer.md", {})
    assert (info.value.path, info.value.line) == (f"{USER}/inner.md", 3)
    assert "ZeroDivisionError" in info.value.message


def test_unknown_and_escaping_names_are_problems(vault):
    renderer = user_renderer(vault)
    for name in ("nope.md", "../../etc/passwd", ""):
        with pytest.raises(TemplateProblem):
            renderer.render(name, {})


def test_template_that_is_not_utf8(vault):
    (vault / USER / "bad.md").write_bytes(b"ok\n\xff\n")
    with pytest.raises(TemplateProblem) as info:
        Renderer(vault / USER, vault=vault).render("bad.md", {})
    assert (info.value.path, info.value.line) == (f"{USER}/bad.md", 2)


def test_template_with_a_bom_renders_without_it(vault):
    (vault / USER / "bom.md").write_bytes("\ufeff---\na: {{ 1 }}\n---\n".encode())
    assert Renderer(vault / USER, vault=vault).render("bom.md", {}) == "---\na: 1\n---\n"


# --------------------------------------------------------------------------- sandbox


@pytest.mark.parametrize("source", [
    "{{ ''.__class__.__mro__ }}",
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "{{ cycler.__init__.__globals__ }}",
    "{{ cycler.__init__.__globals__.os.system('true') }}",
    "{{ joiner.__init__.__globals__ }}",
    "{{ namespace.__init__.__globals__ }}",
])
def test_sandbox_escapes_are_refused(vault, source):
    renderer = user_renderer(vault, {"evil.md": "x\n" + source + "\n"})
    with pytest.raises(TemplateProblem) as info:
        renderer.render("evil.md", {})
    assert (info.value.path, info.value.line) == (f"{USER}/evil.md", 2)
    assert "sandbox" in info.value.message or "unsafe" in info.value.message


def test_context_data_cannot_be_modified(vault):
    goals = ["a"]
    renderer = user_renderer(vault, {"m.md": "{{ goals.append('x') }}"})
    with pytest.raises(TemplateProblem):
        renderer.render("m.md", {"goals": goals})
    assert goals == ["a"]


RUNAWAY = [
    "{{ 'a' * 10**8 }}",
    "{{ ['a'] * 10**8 }}",
    "{{ 10 ** (10 ** 9) }}",
    "{% for i in range(100000) %}{{ 'x' * 100 }}{% endfor %}",
    "{% for i in range(100000) %}{% for j in range(100000) %}x{% endfor %}{% endfor %}",
    "{% macro m() %}{% for i in range(100000) %}{% for j in range(100) %}xxxxxxxxxx"
    "{% endfor %}{% endfor %}{% endmacro %}{{ m() | length }}",
    "{% set s %}{% for i in range(100000) %}{% for j in range(100) %}xxxxxxxxxx"
    "{% endfor %}{% endfor %}{% endset %}{{ s | length }}",
    "{% set ns = namespace(s='ab') %}{% for i in range(60) %}{% set ns.s = ns.s ~ ns.s %}"
    "{% endfor %}{{ ns.s | length }}",
    "{% set ns = namespace(s='ab') %}{% for i in range(60) %}{% set ns.s = ns.s + ns.s %}"
    "{% endfor %}{{ ns.s | length }}",
    "{{ '{:>999999999}'.format(1) }}",
    "{{ '%0999999999d' % 1 }}",
    "{{ '%*d' % (999999999, 1) }}",
    "{{ '%999999999s' | format('a') }}",
    "{{ 'a' | center(999999999) }}",
    "{{ 'a'.ljust(999999999) }}",
    "{{ ('a' * 100000).replace('', 'b' * 100000) }}",
    "{{ ('x' * 100000).join(['a'] * 1000) }}",
    "{{ (['a' * 1000] * 999) | join('x' * 100000) }}",
    "{{ [1] | batch(999999999, 0) | list | length }}",
]


@pytest.mark.parametrize("source", RUNAWAY)
def test_runaway_output_is_refused_quickly_and_cheaply(vault, source):
    renderer = user_renderer(vault, {"big.md": source})
    tracemalloc.start()
    started = time.perf_counter()
    try:
        with pytest.raises(TemplateProblem) as info:
            renderer.render("big.md", {})
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert time.perf_counter() - started < 5
    assert peak < 30_000_000
    assert info.value.path == f"{USER}/big.md"


def test_output_limit_is_configurable(vault):
    renderer = user_renderer(vault, {"n.md": "{% for i in range(n) %}x{% endfor %}"},
                             max_output=100)
    assert renderer.render("n.md", {"n": 100}) == "x" * 100
    with pytest.raises(TemplateProblem) as info:
        renderer.render("n.md", {"n": 101})
    assert "100" in info.value.message


def test_modest_arithmetic_and_formatting_still_work(vault):
    renderer = user_renderer(vault, {"ok.md": (
        "{{ 'ab' * 3 }} {{ 2 ** 10 }} {{ '%5d' % 3 }} {{ '{:>4}'.format(1) }} "
        "{{ [1, 2] | join(',') }} {{ 'a' | center(5) }}|{{ 'x' ~ 1 }} {{ 7 % 4 }}"
    )})
    assert renderer.render("ok.md", {}) == "ababab 1024     3    1 1,2   a  |x1 3"


# --------------------------------------------------------------------------- symlinks


needs_symlinks = pytest.mark.skipif(not hasattr(os, "symlink"), reason="no symlinks")


@needs_symlinks
def test_symlinked_template_pointing_outside_is_refused(vault, tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.md").write_text("SECRET", encoding="utf-8")
    os.symlink(outside / "secret.md", vault / USER / AGENDA)
    os.symlink(outside, vault / USER / "sub")
    renderer = Renderer(vault / USER, vault=vault)
    for name in (AGENDA, "sub/secret.md"):
        with pytest.raises(TemplateProblem) as info:
            renderer.render(name, agenda_ctx())
        assert info.value.path == f"{USER}/{name}"
        assert "outside" in info.value.message
    with pytest.raises(TemplateProblem):
        renderer.render_static(AGENDA)
    user_renderer(vault, {"inc.md": "{% include 'sub/secret.md' %}"})
    with pytest.raises(TemplateProblem):
        renderer.render("inc.md", {})


@needs_symlinks
def test_symlink_inside_the_templates_folder_is_fine(vault):
    renderer = user_renderer(vault, {"real.md": "real {{ 1 }}"})
    os.symlink(vault / USER / "real.md", vault / USER / "alias.md")
    assert renderer.render("alias.md", {}) == "real 1"


def test_company_without_a_note_is_plain_text():
    """No company note: the value stays text, so doctor has no unresolved link to report."""
    out = Renderer(None).render("contact.md", contact_ctx(company="Acme: Health", company_target=None))
    data, body = split_note(out)
    assert data["company"] == "Acme: Health"
    assert "[[" not in body.split("## About")[0].replace("[[People/Ann Lee|Ann Lee]]", "")


def test_interview_status_comes_from_the_context():
    data, _ = split_note(Renderer(None).render("interview.md", interview_ctx(status="done", company_target=None)))
    assert data["status"] == "done" and data["company"] == "Globex"
