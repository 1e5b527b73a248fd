"""Parsing notes (vault.parse_note): every front-matter case, pure."""

from __future__ import annotations

import pytest

from vaultkit.model import COMPANY, CONTACT, INTERVIEW, PLAIN
from vaultkit.properties import as_time
from vaultkit.vault import parse_note


def parse(text: str | bytes, path: str = "People/Ann Lee.md"):
    data = text.encode("utf-8") if isinstance(text, str) else text
    return parse_note(path, data)


def test_contact_fields_and_name_default():
    rec = parse("---\ntype: contact\nrole: UX Lead\nstatus: Met\nlast_contacted: 2026-11-01\n---\nHi\n")
    assert rec.ok and rec.kind == CONTACT
    assert rec.name == "Ann Lee"
    assert rec.fields["role"] == "UX Lead"
    assert rec.fields["status"] == "met"
    assert rec.fields["last_contacted"] == "2026-11-01"


def test_property_names_are_case_insensitive():
    rec = parse("---\nType: Contact\nName: Ann L.\nReferred_By: \"[[Bo]]\"\n---\n")
    assert rec.kind == CONTACT and rec.name == "Ann L."
    assert [(l.target, l.prop) for l in rec.links] == [("Bo", "referred_by")]


def test_categories_convention_and_synonyms():
    rec = parse('---\ncategories: ["[[People]]"]\norg: "[[Acme]]"\n---\n')
    assert rec.kind == CONTACT
    # Links keep the property name as written (blocks show it); the index reads both names.
    assert ("Acme", "org") in [(l.target, l.prop) for l in rec.links]
    rec = parse('---\ncategories:\n  - "[[Meetings]]"\npeople: ["[[Ann]]"]\ndate: 2026-11-30\n---\n', "M.md")
    assert rec.kind == INTERVIEW
    assert ("Ann", "people") in [(l.target, l.prop) for l in rec.links]
    assert parse('---\ncategories: ["[[Companies]]"]\n---\n').kind == COMPANY


def test_unquoted_wikilink_nested_list_is_a_link():
    rec = parse("---\ntype: contact\nreferred_by: [[Alice]]\nrelated: [[Bob]]\n---\n")
    got = {(l.target, l.prop) for l in rec.links}
    assert ("Alice", "referred_by") in got and ("Bob", "related") in got


def test_tags_hash_loads_as_none_and_colon_title_is_an_error():
    rec = parse("---\ntype: contact\ntags: #x\n---\n")
    assert rec.ok and rec.fields.get("tags") == []
    rec = parse("---\ntitle: Meeting: Q3\n---\nbody\n")
    assert not rec.ok
    (p,) = rec.problems
    assert p.kind == "frontmatter" and p.line == 2 and "YAML" in p.message


def test_yaml11_oddities_read_defensively():
    rec = parse("---\ntype: interview\ncontact: Ann\ndate: 2026-11-30\ntime: 12:30\nstatus: no\n---\n", "I.md")
    assert rec.ok
    assert rec.fields["time"] == "12:30"  # YAML 1.1 reads it as 750
    assert rec.fields["status"] == "false"  # a bool, kept as text, reported by doctor
    assert any("unknown interview status" in w for _, w in rec.fields["_warnings"])
    assert as_time(750) == "12:30" and as_time("09:05") == "09:05" and as_time(None) is None


def test_dates_datetimes_and_strings():
    rec = parse("---\ntype: contact\nlast_contacted: 2024-03-05 14:30\nnext_follow_up: 2026-12-01T10:00:00\n---\n")
    assert rec.fields["last_contacted"] == "2024-03-05"
    assert rec.fields["next_follow_up"] == "2026-12-01"
    rec = parse("---\ntype: contact\nnext_follow_up: soon\n---\n")
    assert rec.fields["next_follow_up"] is None
    assert any("not a date" in w for _, w in rec.fields["_warnings"])


@pytest.mark.parametrize("fm", ["- a\n- b\n"])
def test_list_front_matter_is_a_problem(fm):
    rec = parse(f"---\n{fm}---\nbody\n")
    assert not rec.ok and rec.problems[0].kind == "frontmatter"


def test_empty_front_matter_is_fine():
    rec = parse("---\n---\nbody [[X]]\n")
    assert rec.ok and [l.target for l in rec.links] == ["X"] and rec.links[0].line == 3


def test_unclosed_front_matter_is_reported():
    rec = parse("---\ntype: contact\nname: Ann\n\nbody\n")
    assert not rec.ok and "closing" in rec.problems[0].message


def test_bom_is_recognised_and_kept():
    rec = parse(b"\xef\xbb\xbf---\ntype: contact\n---\nhi\n")
    assert rec.ok and rec.bom and rec.kind == CONTACT


def test_leading_horizontal_rule_is_not_front_matter():
    rec = parse("---\nIntro [[Ann]]\n\n---\n\nrest\n", "Notes/x.md")
    assert rec.ok and rec.kind == PLAIN
    assert [(l.target, l.line) for l in rec.links] == [("Ann", 2)]


def test_crlf_detected_and_lines_right():
    rec = parse("---\r\ntype: contact\r\n---\r\nsee [[Bo]]\r\n")
    assert rec.crlf and rec.kind == CONTACT
    assert [(l.target, l.line) for l in rec.links] == [("Bo", 4)]


def test_tabs_and_bad_utf8_report_path_and_line():
    rec = parse("---\ntype: contact\nrole:\n\t- x\n---\n")
    assert not rec.ok and rec.problems[0].line is not None and rec.problems[0].line >= 3
    rec = parse(b"---\ntype: contact\n---\nline3\n\xff\xfe bad\n")
    assert not rec.ok and rec.problems[0].kind == "encoding" and rec.problems[0].line == 5


def test_python_tags_refused_and_alias_bomb_capped():
    rec = parse("---\nx: !!python/object/apply:os.system ['echo hi']\n---\n")
    assert not rec.ok and rec.problems[0].kind == "frontmatter"
    bomb = "---\na: &a [x,x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]\n" \
           "c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]\n" \
           "e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d,*d]\nf: [*e,*e,*e,*e,*e,*e,*e,*e,*e,*e]\n---\n"
    rec = parse(bomb)
    assert not rec.ok and "too many" in rec.problems[0].message


def test_huge_front_matter_capped():
    rec = parse("---\n" + "k: " + "x" * 70_000 + "\n---\n")
    assert not rec.ok


def test_broken_markers_reported_with_line():
    rec = parse("---\ntype: contact\n---\n\n<!-- vaultkit:begin connections -->\nold\n")
    assert rec.ok and rec.marker_error
    assert rec.problems[0].kind == "markers" and rec.problems[0].line == 5


def test_links_inside_managed_blocks_are_not_links():
    rec = parse("---\ntype: contact\n---\n[[A]]\n<!-- vaultkit:begin connections -->\n[[B]]\n"
                "<!-- vaultkit:end connections -->\n")
    assert [l.target for l in rec.links] == ["A"]
    assert set(rec.blocks) == {"connections"}


def test_interview_discussed_points():
    rec = parse("---\ntype: interview\ncontact: Ann\ndate: 2026-11-20\n---\n## Notes\n- Research ops at [[Acme]]\n"
                "- Portfolio tips\n\n## Other\n- no\n", "I.md")
    assert rec.fields["discussed"] == ["Research ops at Acme", "Portfolio tips"]


@pytest.mark.parametrize("body, points", [
    ("## Notes\n- a\n- b", ["a", "b"]),  # the heading on the body's first line
    ("intro\r\n## notes\r\n- a\r\n", ["a"]),
    ("x\n#\nNOTES\n- a", ["a"]),  # (a blank run after the hashes may break the line)
    ("x\n##\tTakeaways  \nb [[A|B]] c\n", ["b B c"]),
    ("# Summary\n\n- a\n## Notes\n- b", ["a"]),  # the first such heading
    ("x\n####### Notes\n- a", []), ("x\n## Notes about y\n- a", []), ("x\n ## Notes\n- a", []),
    ("x\r## Notes\n- a", []), ("## Notes", []),
])
def test_the_notes_heading_is_found_where_it_starts_a_line(body, points):
    from vaultkit.values import discussed_points
    assert discussed_points(body) == points


@pytest.mark.parametrize("front, kind", [
    ('categories: ["[[People]]"]', CONTACT),
    ("categories: [[People]]", CONTACT),  # unquoted: YAML reads a nested list
    ("category: [[People]]", CONTACT),
    ('category: "[[Categories/People]]"', CONTACT),
    ('categories:\n  - "[[People|Person]]"', CONTACT),
    ('categories: ["[[people.md]]"]', CONTACT),
    ("categories: People", CONTACT),
    ("categories: [Books, Meetings]", INTERVIEW),
    ('categories: "[[Companies#Top]]"', COMPANY),
    ("type: Person", CONTACT), ("type: people", CONTACT), ("type: CONTACT", CONTACT),
    ("type: meeting", INTERVIEW), ("type: Interview", INTERVIEW),
    ("type: organization", COMPANY), ("type: Organisation", COMPANY), ("type: org", COMPANY),
    ('type: ["[[Authors]]"]\ncategories: ["[[People]]"]', CONTACT),  # kepano's sub-type
    ("type: persons", PLAIN), ('categories: ["[[Books]]"]', PLAIN), ("type: book", PLAIN),
])
def test_kind_from_every_common_spelling(front, kind):
    assert parse(f"---\n{front}\ndate: 2026-11-30\n---\n").kind == kind


def test_kind_like_values_are_warned_about_and_others_are_not():
    warned = parse("---\ntype: persons\n---\n").fields.get("_warnings", [])
    assert any(w[1].startswith("type: persons is not a kind vaultkit knows") and w[0] == 2 for w in warned)
    assert parse("---\ncategories: [[Contcats]]\n---\n").fields.get("_warnings")
    for quiet in ("type: book", "type: personal", 'categories: ["[[Books]]"]', "type: [[Authors]]"):
        assert not parse(f"---\n{quiet}\n---\n").fields.get("_warnings"), quiet


def test_kind_folders_apply_only_without_a_kind_of_its_own():
    folders = (("Calls", INTERVIEW), ("People", CONTACT), ("People/Firms", COMPANY))
    assert parse_note("People/Ann.md", b"Ann\n", kind_folders=folders).kind == CONTACT
    assert parse_note("people/sub/Ann.md", b"Ann\n", kind_folders=folders).kind == CONTACT
    assert parse_note("People/Firms/Acme.md", b"", kind_folders=folders).kind == COMPANY  # deepest wins
    assert parse_note("People/Acme.md", b"---\ntype: company\n---\n", kind_folders=folders).kind == COMPANY
    assert parse_note("PeopleX/Ann.md", b"Ann\n", kind_folders=folders).kind == PLAIN
    assert parse_note("People/Ann.md", b"Ann\n").kind == PLAIN
    generated = b"---\ngenerated_by: vaultkit\nvaultkit_key: x\n---\n"
    assert parse_note("Calls/Agenda.md", generated, kind_folders=folders).kind == PLAIN
    # A folder-given interview is checked like any other.
    assert (2, "date: an interview needs a date (YYYY-MM-DD)") in \
        parse_note("Calls/x.md", b"Hi\n", kind_folders=folders).fields["_warnings"]


def test_company_text_prefers_company_over_org():
    assert parse("---\norg: Initech\ncompany: Acme\n---\n").fields["company_text"] == "Acme"
    assert parse("---\norg: Initech\ncompany:\n---\n").fields["company_text"] == "Initech"
    assert parse('---\norg: ["[[Initech]]"]\n---\n').fields["company_text"] == "Initech"


@pytest.mark.parametrize("key", ["referred_by", "company", "people", "notes", "tags"])
def test_a_value_nested_a_thousand_deep_is_read_not_raised(key):
    # PyYAML's C loader builds it; walking it used to raise RecursionError out of parse_note.
    rec = parse(f"---\n{key}: {'[' * 900}1{']' * 900}\n---\nSee [[Bo]].\n")
    assert rec.ok and [link.target for link in rec.links] == ["Bo"]


def test_a_bad_time_after_a_company_is_quoted_as_written():
    # `company` used to overwrite the note's text that the time's raw value is read from:
    # after an empty `company:` parse_note raised AttributeError; after `company: Acme`
    # the message showed YAML's reading of 25:00 (1500, base 60) instead of what was written.
    for company in ("", " Acme", ' "[[Acme]]"'):
        rec = parse(f"---\ncompany:{company}\ntime: 25:00\n---\n")
        assert (3, "time: not a time of day: 25:00 — write HH:MM, 00:00 to 23:59") in rec.fields["_warnings"]
