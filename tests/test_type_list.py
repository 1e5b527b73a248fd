"""A `type:` written as a list (`type: [person]`, `type: ["[[People]]"]`) names a kind like
one text does; a list naming two different kinds gives no kind from `type:` and a warning
naming both (kinds.kind_of_type_value)."""

from __future__ import annotations

import json

import pytest

from vaultkit.kinds import KINDS_CLASH, kind_of
from vaultkit.model import COMPANY, CONTACT, INTERVIEW, PLAIN

TODAY = "2026-11-28"


def _kind(type_value, categories=(), path="Notes/x.md", folders=()):
    warnings: list[tuple] = []
    kind = kind_of(path, {"type": type_value, "categories": list(categories)}, warnings, folders, {"type": 3})
    return kind, warnings


@pytest.mark.parametrize("value, kind", [
    (["person"], CONTACT),
    (["[[People]]"], CONTACT),
    ([["People"]], CONTACT),                      # YAML's reading of an unquoted [[People]]
    (["Meeting"], INTERVIEW),
    (["[[Categories/Org|Firm]]"], COMPANY),
    (["[[Authors]]", "person"], CONTACT),         # a sub-type beside a kind word
    (["person", "[[People]]", "Contact"], CONTACT),  # one kind, several spellings
    ([], PLAIN),
    (["[[Authors]]"], PLAIN),
    ([3, None, {"a": 1}], PLAIN),
])
def test_a_type_list_names_a_kind(value, kind):
    assert _kind(value) == (kind, [])


def test_a_type_list_naming_two_kinds_gives_none_and_a_warning_naming_both():
    kind, warnings = _kind(["person", "[[Meeting]]"])
    assert kind == PLAIN
    assert len(warnings) == 1
    line, message = warnings[0]
    assert line == 3
    assert KINDS_CLASH in message and "person (contact)" in message and "[[Meeting]] (interview)" in message


def test_a_clashing_type_list_leaves_the_kind_to_categories_and_the_folder():
    assert _kind(["person", "meeting"], categories=["companies"])[0] == COMPANY
    assert _kind(["person", "meeting"], path="Calls/x.md", folders=(("Calls", INTERVIEW),))[0] == INTERVIEW


def test_a_kind_like_word_in_a_type_list_is_warned_about():
    kind, warnings = _kind(["persons"])
    assert kind == PLAIN
    assert [w[1].split(" (")[0] for w in warnings] == ["type: persons is not a kind vaultkit knows"]


def test_one_text_is_read_as_before():
    assert _kind("person") == (CONTACT, [])
    assert _kind("[[People]]") == (CONTACT, [])
    assert _kind(None) == (PLAIN, [])
    assert _kind("persons")[1]


# -- real files ------------------------------------------------------------------------------

FILES = {
    ".obsidian/app.json": "{}",
    "People/Ann Lee.md": "---\ntype: [person]\n---\nAnn.\n",
    "People/Bo Chen.md": '---\ntype: ["[[People]]"]\n---\nBo.\n',
    "People/Cy Diaz.md": "---\ntype:\n  - Contact\n---\nCy.\n",
    "Meetings/2026-11-20 Ann and Bo.md": "---\ntype: [[Meeting]]\ndate: 2026-11-20\n"
                                         "people: [\"[[Ann Lee]]\", \"[[Bo Chen]]\"]\n---\n",
    "People/Both.md": "---\ntype: [person, meeting]\n---\nWhich?\n",
    "Notes/Plan.md": "Call [[Cy Diaz]].\n",
}


def test_notes_with_a_type_list_are_synced_as_their_kind(cli, make_vault):
    vault = make_vault(FILES)
    result = cli("sync", "--vault", vault, "--today", TODAY)
    assert result.exit_code in (0, 1), result.output
    for person in ("Ann Lee", "Bo Chen", "Cy Diaz"):
        assert "<!-- vaultkit:begin connections -->" in (vault / f"People/{person}.md").read_text(), person
    assert "<!-- vaultkit:begin links -->" in (vault / "Meetings/2026-11-20 Ann and Bo.md").read_text()
    assert (vault / "People/Both.md").read_text() == FILES["People/Both.md"]  # no kind: untouched


def test_doctor_names_the_file_whose_type_list_names_two_kinds(cli, make_vault):
    vault = make_vault(FILES)
    result = cli("doctor", "--vault", vault, "--today", TODAY, "--json")
    findings = json.loads(result.output)["findings"]
    assert any(f["path"] == "People/Both.md" and KINDS_CLASH in f["message"] for f in findings), findings
