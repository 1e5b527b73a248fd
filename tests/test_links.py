"""Link extraction, property links, resolution and wikilink building (vaultkit.links)."""

from __future__ import annotations

import datetime as dt

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from vaultkit.links import extract_links, property_links, wikilink
from vaultkit.resolve import Resolver
from vaultkit.model import Link


def targets(text: str) -> list[str]:
    return [link.target for link in extract_links(text)]


def wiki(target: str, line: int = 1, prop: str | None = None, embed: bool = False) -> Link:
    return Link(target, "wiki", line, prop, embed)


def md(target: str, line: int = 1, embed: bool = False) -> Link:
    return Link(target, "md", line, None, embed)


# -- link forms ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, expected",
    [
        ("[[Target]]", [wiki("Target")]),
        ("[[Target|alias]]", [wiki("Target")]),
        ("[[Target#Heading]]", [wiki("Target")]),
        ("[[Target#^block]]", [wiki("Target")]),
        ("[[Target#Heading|alias]]", [wiki("Target")]),
        ("[[folder/Target]]", [wiki("folder/Target")]),
        ("[[Target.md]]", [wiki("Target")]),
        ("[[People/Ann Lee.md#Intro|Ann]]", [wiki("People/Ann Lee")]),
        ("![[Target]]", [wiki("Target", embed=True)]),
        ("![[diagram.png]]", [wiki("diagram.png", embed=True)]),
        ("[[x.png]]", [wiki("x.png")]),
        ("[[  Spaced Out  ]]", [wiki("Spaced Out")]),
        ("| a | [[A\\|b]] |", [wiki("A")]),
        ("[text](Target.md)", [md("Target")]),
        ("[text](Some%20Note.md)", [md("Some Note")]),
        ("[text](<Some Note.md>)", [md("Some Note")]),
        ("[text](../folder/Note.md#heading)", [md("../folder/Note")]),
        ("[text](Note.md \"a title\")", [md("Note")]),
        ("[text](img/a.png)", [md("img/a.png")]),
        ("![alt](img/a.png)", [md("img/a.png", embed=True)]),
        ("[text](Caf%C3%A9.md)", [md("Café")]),
        ("[text](A%20Caf%C3%A9%20b.md)", [md("A Café b")]),  # a space and another escape
        ("[text](100%25%20sure.md)", [md("100% sure")]),  # `%25%20`: the escape of % then a space
        ("[text](a%2520b.md)", [md("a%20b")]),  # an escaped % before `20` is no space
    ],
)
def test_link_forms(text: str, expected: list[Link]) -> None:
    assert extract_links(text) == expected


def test_escaped_paren_in_destination() -> None:
    assert targets("[text](Note_\\(draft\\).md)") == ["Note_(draft)"]
    assert targets("[text](Note_(draft).md)") == ["Note_(draft)"]


def test_links_in_order_with_both_styles() -> None:
    text = "[a](A.md) then [[B]] then ![[C]] and [d](D.md)"
    assert targets(text) == ["A", "B", "C", "D"]


def test_markdown_link_around_image() -> None:
    # Links come in the order they start: the outer link's `[` comes first.
    assert extract_links("[![pic](img/a.png)](Note.md)") == [md("Note"), md("img/a.png", embed=True)]


def test_markdown_link_text_may_contain_a_wikilink() -> None:
    assert targets("[see [[A]]](B.md)") == ["B", "A"]


def test_wikilink_followed_by_parentheses_is_not_a_markdown_link() -> None:
    assert extract_links("[[A]](B.md)") == [wiki("A")]


def test_markdown_link_needs_opening_bracket() -> None:
    assert targets("no opener](Note.md)") == []


def test_link_inside_link_text_wins() -> None:
    # CommonMark: links do not nest; the inner one is the link.
    assert targets("[a [b](B.md) c](C.md)") == ["B"]


def test_markdown_link_text_may_contain_inline_code() -> None:
    assert targets("[`code` here](Note.md)") == ["Note"]


# -- not links -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "[[#Heading]]",
        "[[#^block]]",
        "[[ ]]",
        "[[]]",
        "[[|alias]]",
        "[[.md]]",
        "[w](https://example.com/a.md)",
        "[w](http://example.com)",
        "[w](mailto:ann@example.com)",
        "[w](obsidian://open?vault=x)",
        "[w](ftp:x.md)",
        "[w](//example.com/a.md)",
        "[w](#heading)",
        "[w]()",
        "[w](Some Note.md)",
        "[w](folder/)",
        "\\[[A]]",
        "\\[w](A.md)",
        "[w\\](A.md)",
        "just text [ and ] (parens)",
    ],
)
def test_not_links(text: str) -> None:
    assert extract_links(text) == []


def test_fenced_code_backticks() -> None:
    text = "[[A]]\n```\n[[B]] [b](B.md)\n```\n[[C]]\n"
    assert targets(text) == ["A", "C"]


def test_fenced_code_tildes_with_info_string() -> None:
    text = "~~~python title=x\n[[B]]\n~~~\n[[C]]"
    assert targets(text) == ["C"]


def test_fence_closes_only_with_same_char_and_enough_length() -> None:
    text = "````md\n```\n[[B]]\n~~~~\n[[B2]]\n````\n[[C]]"
    assert targets(text) == ["C"]
    text = "~~~~\n~~~\n[[B]]\n```\n~~~~~\n[[C]]"
    assert targets(text) == ["C"]


def test_closing_fence_may_not_have_text_after_it() -> None:
    text = "```\n``` not a close\n[[B]]\n```\n[[C]]"
    assert targets(text) == ["C"]


def test_unclosed_fence_runs_to_the_end() -> None:
    assert targets("[[A]]\n```\n[[B]]\n\n[[C]]\n") == ["A"]


def test_indented_fence_in_a_list_item() -> None:
    assert targets("- item\n    ```\n    [[B]]\n    ```\n- [[C]]") == ["C"]


def test_backtick_fence_info_string_with_backtick_is_inline_code() -> None:
    assert targets("```a ` b``` [[A]]\n[[C]]") == ["A", "C"]


@pytest.mark.parametrize(
    "text, expected",
    [
        ("`[[B]]` [[A]]", ["A"]),
        ("``[[B]] ` still code`` [[A]]", ["A"]),
        ("```[[B]]``` [[A]]", ["A"]),
        ("`[b](B.md)` [a](A.md)", ["A"]),
        ("` unmatched [[A]]", ["A"]),
        ("`` single ` inside [[B]] `` [[A]]", ["A"]),
        ("\\`[[A]]` [[B]] `x`", ["A"]),  # an escaped backtick opens nothing
        ("`a\nb [[B]]` [[A]]", ["A"]),  # a code span may span lines in a paragraph
        ("`a\n\n[[A]] `b`", ["A"]),  # ... but not a blank line
        ("- one ` stray\n- [[A]] `code`", ["A"]),  # ... nor list items
        ("`` ` `` [[A]] `` x ``", ["A"]),
    ],
)
def test_inline_code(text: str, expected: list[str]) -> None:
    assert targets(text) == expected


def test_many_backticks_are_linear() -> None:
    text = "`" + " a``" * 50000 + "\n\n" + "- `\n" * 50000 + "[[A]]"
    # Quadratic masking would take minutes here; the benchmark times it.
    assert targets(text) == ["A"]


@pytest.mark.parametrize(
    "text, expected",
    [
        ("<!-- [[B]] --> [[A]]", ["A"]),
        ("x <!-- [[B]] --> [[A]]", ["A"]),
        ("<!--\n[[B]]\n\n[[B2]]\n-->\n[[A]]", ["A"]),
        ("x <!-- [[B]]\n[[B2]] --> [[A]]", ["A"]),
        ("<!-- unclosed\n[[B]]", []),
        ("<!-->[[A]]", ["A"]),
        ("`<!--` [[A]] `-->`", ["A"]),
        ("<!--\n```\n-->\n[[A]]\n```", ["A"]),  # the fence is inside the comment
    ],
)
def test_html_comments(text: str, expected: list[str]) -> None:
    assert targets(text) == expected


def test_managed_block_is_not_read() -> None:
    text = (
        "[[A]]\n"
        "<!-- vaultkit:begin connections -->\n"
        "- [[B]]\n"
        "- [b](B.md)\n"
        "<!-- vaultkit:end connections -->\n"
        "[[C]]\n"
    )
    assert targets(text) == ["A", "C"]


def test_managed_block_markers_with_trailing_whitespace_and_crlf() -> None:
    text = "<!-- vaultkit:begin x -->  \r\n[[B]]\r\n<!-- vaultkit:end x --> \t\r\n[[C]]\r\n"
    assert extract_links(text) == [wiki("C", line=4)]


def test_managed_block_markers_spacing_as_in_write_module() -> None:
    text = "<!--  vaultkit:begin\tlinks  -->\n[[B]]\n<!--\tvaultkit:end links -->\n[[C]]"
    assert targets(text) == ["C"]


def test_indented_marker_is_only_a_comment() -> None:
    # Markers are whole lines; an indented one is an ordinary comment.
    text = "  <!-- vaultkit:begin links -->\n[[A]]\n<!-- vaultkit:end links -->\n[[C]]"
    assert targets(text) == ["A", "C"]


def test_managed_block_ends_only_at_its_own_name() -> None:
    text = "<!-- vaultkit:begin a -->\n[[B]]\n<!-- vaultkit:end b -->\n[[B2]]\n<!-- vaultkit:end a -->\n[[C]]"
    assert targets(text) == ["C"]


def test_managed_block_without_end_runs_to_the_end() -> None:
    assert targets("[[A]]\n<!-- vaultkit:begin a -->\n[[B]]\n\n[[B2]]\n") == ["A"]


def test_managed_block_with_a_fence_inside() -> None:
    text = "<!-- vaultkit:begin a -->\n```\n<!-- vaultkit:end a -->\n[[C]]"
    assert targets(text) == ["C"]


# -- line numbers ----------------------------------------------------------------------


def test_line_numbers_count_from_first_line() -> None:
    text = "intro\n\n[[A]] [[B]]\n```\n[[X]]\n```\n[c](C.md)\n"
    links = extract_links(text, first_line=5)
    assert [(link.target, link.line) for link in links] == [("A", 7), ("B", 7), ("C", 11)]


def test_line_numbers_with_crlf() -> None:
    text = "a\r\n`code`\r\n[[A]]\r\n<!-- x\r\n[[X]] -->\r\n[[B]]\r\n"
    assert [(link.target, link.line) for link in extract_links(text)] == [("A", 3), ("B", 6)]


def test_crlf_in_fences() -> None:
    text = "```\r\n[[X]]\r\n```\r\n[[A]]\r\n"
    assert extract_links(text) == [wiki("A", line=4)]


_PIECES = list("[]()!|#^`~<>- \n\r\\/.aAmd%2:") + [
    "<!--", "-->", "```", "~~~", "[[", "]]", "](", ".md", "\r\n",
    "<!-- vaultkit:begin x -->", "<!-- vaultkit:end x -->",
]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(_PIECES), max_size=80).map("".join), st.integers(min_value=1, max_value=50))
def test_extract_links_never_raises_and_lines_are_in_range(text: str, first_line: int) -> None:
    last_line = first_line + text.count("\n")
    for link in extract_links(text, first_line):
        assert first_line <= link.line <= last_line
        assert link.target and link.target == link.target.strip()
        assert link.style in ("wiki", "md")


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_extract_links_never_raises_on_any_text(text: str) -> None:
    for link in extract_links(text):
        assert 1 <= link.line <= 1 + text.count("\n")


def test_huge_line_is_fast() -> None:
    text = ("[[a " * 50000) + ("](x " * 50000) + ("[x](" * 50000) + "\n[[A]]"
    assert targets(text)[-1] == "A"


# -- property links --------------------------------------------------------------------


def load(yaml_text: str) -> dict:
    return yaml.safe_load(yaml_text)


def test_quoted_wikilink_property() -> None:
    value = load('related: "[[Alice]]"')["related"]
    assert property_links("related", value, 3) == [wiki("Alice", line=3, prop="related")]


def test_quoted_wikilink_with_alias_and_several_in_one_string() -> None:
    value = load('x: "[[Alice|Al]] and [[Bob#Intro]]"')["x"]
    assert [link.target for link in property_links("x", value, 2)] == ["Alice", "Bob"]


def test_unquoted_wikilink_loads_as_nested_list() -> None:
    value = load("related: [[Alice]]")["related"]
    assert value == [["Alice"]]
    assert property_links("related", value, 4) == [wiki("Alice", line=4, prop="related")]


def test_unquoted_wikilink_with_alias() -> None:
    value = load("contact: [[Alice|Shown]]")["contact"]
    assert property_links("contact", value, 2) == [wiki("Alice", line=2, prop="contact")]


def test_list_of_unquoted_wikilinks() -> None:
    value = load("referrals:\n  - [[Alice]]\n  - [[Bob]]\n")["referrals"]
    assert [link.target for link in property_links("referrals", value, 2)] == ["Alice", "Bob"]


def test_list_of_quoted_wikilinks() -> None:
    value = load('people: ["[[Alice]]", "[[Bob]]"]')["people"]
    assert [link.target for link in property_links("people", value, 2)] == ["Alice", "Bob"]


def test_plain_text_in_link_property() -> None:
    value = load("referred_by: Ann Lee")["referred_by"]
    assert property_links("referred_by", value, 5) == [Link("Ann Lee", "plain", 5, "referred_by")]


def test_plain_text_list_in_link_property() -> None:
    yaml_text = "people:\n  - Ann Lee\n  - '  Bob  '\n  - ''\n  - 3\n  - true\n  - null\n  - [[Cy]]\n"
    value = load(yaml_text)["people"]
    assert property_links("people", value, 2) == [
        Link("Ann Lee", "plain", 2, "people"),
        Link("Bob", "plain", 2, "people"),
        Link("Cy", "wiki", 2, "people"),
    ]


def test_flow_list_of_one_name_is_plain_not_wikilink() -> None:
    # `company: [Acme]` is a YAML list of one string, not the `[[Acme]]` reading.
    value = load("company: [Acme]")["company"]
    assert property_links("company", value, 2) == [Link("Acme", "plain", 2, "company")]
    assert property_links("related", load("related: [Acme]")["related"], 2) == []


@pytest.mark.parametrize("key", ["company", "org", "referred_by", "contact", "people", "referrals"])
def test_every_link_property_reads_plain_text(key: str) -> None:
    assert property_links(key, "Acme", 2) == [Link("Acme", "plain", 2, key)]


@pytest.mark.parametrize("value", ["Ann Lee", ["Ann", "Bob"], 3, True, None, dt.date(2026, 1, 2), ""])
def test_plain_text_in_other_properties_is_not_a_link(value: object) -> None:
    assert property_links("role", value, 2) == []


@pytest.mark.parametrize("value", [None, True, False, 0, 1.5, dt.date(2026, 1, 2),
                                   dt.datetime(2026, 1, 2, 3, 4), "", "   ", [], {}, [None, ""]])
def test_non_text_values_in_link_properties_give_nothing(value: object) -> None:
    assert property_links("referred_by", value, 2) == []


def test_links_in_dict_values() -> None:
    value = load("meta:\n  who: '[[Ann]]'\n  also: [[Bob]]\n")["meta"]
    assert [link.target for link in property_links("meta", value, 2)] == ["Ann", "Bob"]


def test_string_with_broken_wikilink_in_link_property_is_not_plain() -> None:
    assert property_links("contact", "[[ ]]", 2) == []


def test_yaml_alias_bomb_is_read_quickly() -> None:
    lines = ['a: &a ["[[Ann]]", "[[Ann]]", "[[Ann]]", "[[Ann]]", "[[Ann]]", "[[Ann]]", "[[Ann]]", "[[Ann]]"]']
    for i in range(1, 10):
        prev = chr(ord("a") + i - 1)
        lines.append(f"{chr(ord('a') + i)}: &{chr(ord('a') + i)} [{', '.join(['*' + prev] * 9)}]")
    value = load("\n".join(lines))["j"]
    links = property_links("j", value, 2)  # each list is read once: no 9**9 walk
    assert {link.target for link in links} == {"Ann"}


def test_self_referencing_yaml_does_not_recurse_forever() -> None:
    value = load("x: &a [*a, '[[Ann]]']")["x"]
    assert any(link.target == "Ann" for link in property_links("x", value, 2))


# -- resolution ------------------------------------------------------------------------


def resolver(*paths: str, names: dict | None = None, aliases: dict | None = None,
             attachments: tuple[str, ...] = ()) -> Resolver:
    names = names or {}
    aliases = aliases or {}
    notes = [(p, names.get(p, p.rsplit("/", 1)[-1][:-3]), aliases.get(p, ())) for p in paths]
    return Resolver(notes, attachments)


def test_bare_name_resolves_by_stem() -> None:
    r = resolver("People/Ann Lee.md", "Notes/x.md")
    assert r.resolve(wiki("Ann Lee"), "Notes/x.md") == "People/Ann Lee.md"
    assert r.resolve(wiki("Nobody"), "Notes/x.md") is None


def test_exact_case_beats_case_insensitive() -> None:
    r = resolver("a/b/note.md", "Note.md", "x/NOTE.md")
    assert r.resolve(wiki("note"), "z.md") == "a/b/note.md"
    assert r.resolve(wiki("NOTE"), "z.md") == "x/NOTE.md"
    assert not r.is_ambiguous(wiki("note"), "z.md")


def test_case_insensitive_when_no_exact_match() -> None:
    r = resolver("People/Ann Lee.md")
    assert r.resolve(wiki("ann lee"), "x.md") == "People/Ann Lee.md"
    assert not r.is_ambiguous(wiki("ann lee"), "x.md")


def test_case_insensitive_candidates_use_the_tie_rules() -> None:
    r = resolver("a/b/Note.md", "c/NOTE.md")
    assert r.resolve(wiki("note"), "z.md") == "c/NOTE.md"
    assert r.is_ambiguous(wiki("note"), "z.md")


def test_same_folder_wins() -> None:
    r = resolver("Note.md", "a/Note.md", "b/c/Note.md")
    assert r.resolve(wiki("Note"), "b/c/src.md") == "b/c/Note.md"
    assert r.resolve(wiki("Note"), "a/src.md") == "a/Note.md"


def test_fewest_segments_wins() -> None:
    r = resolver("a/b/Note.md", "z/Note.md")
    assert r.resolve(wiki("Note"), "q/src.md") == "z/Note.md"
    r = resolver("a/b/Note.md", "Note.md")
    assert r.resolve(wiki("Note"), "q/src.md") == "Note.md"


def test_path_order_breaks_remaining_ties() -> None:
    r = resolver("b/Note.md", "a/Note.md", "c/Note.md")
    assert r.resolve(wiki("Note"), "q/src.md") == "a/Note.md"
    assert r.is_ambiguous(wiki("Note"), "q/src.md")


def test_single_candidate_is_not_ambiguous() -> None:
    r = resolver("a/Note.md")
    assert not r.is_ambiguous(wiki("Note"), "src.md")
    assert not r.is_ambiguous(wiki("Missing"), "src.md")


def test_path_qualified_link_resolves_from_the_root() -> None:
    r = resolver("a/Note.md", "b/Note.md", "b/a/Note.md")
    assert r.resolve(wiki("a/Note"), "b/src.md") == "a/Note.md"
    assert r.resolve(wiki("b/a/Note"), "src.md") == "b/a/Note.md"
    assert not r.is_ambiguous(wiki("a/Note"), "b/src.md")


def test_path_qualified_exact_case_then_case_insensitive() -> None:
    r = resolver("People/Ann.md", "people/ann.md")
    assert r.resolve(wiki("people/ann"), "x.md") == "people/ann.md"
    assert r.resolve(wiki("People/Ann"), "x.md") == "People/Ann.md"
    r = resolver("People/Ann.md")
    assert r.resolve(wiki("PEOPLE/ANN"), "x.md") == "People/Ann.md"


def test_path_suffix_match() -> None:
    r = resolver("a/Target/Note.md", "Other/Note.md")
    assert r.resolve(wiki("Target/Note"), "x.md") == "a/Target/Note.md"
    assert r.resolve(wiki("target/note"), "x.md") == "a/Target/Note.md"


def test_path_suffix_match_only_at_a_folder_boundary() -> None:
    r = resolver("a/MyTarget/Note.md")
    assert r.resolve(wiki("Target/Note"), "x.md") is None


def test_path_suffix_ties() -> None:
    r = resolver("x/y/Target/Note.md", "b/Target/Note.md", "a/Target/Note.md")
    assert r.resolve(wiki("Target/Note"), "q.md") == "a/Target/Note.md"
    assert r.is_ambiguous(wiki("Target/Note"), "q.md")
    assert r.resolve(wiki("Target/Note"), "x/y/Target/src.md") == "x/y/Target/Note.md"


def test_rooted_wikilink() -> None:
    r = resolver("Note.md", "a/Note.md")
    assert r.resolve(wiki("/Note"), "a/src.md") == "Note.md"
    assert r.resolve(wiki("/a/Note"), "src.md") == "a/Note.md"


def test_markdown_link_relative_to_source_folder() -> None:
    r = resolver("Notes/Note.md", "Note.md", "folder/Note.md")
    assert r.resolve(md("Note"), "Notes/src.md") == "Notes/Note.md"
    assert r.resolve(md("../folder/Note"), "Notes/src.md") == "folder/Note.md"
    assert r.resolve(md("./Note"), "folder/src.md") == "folder/Note.md"
    assert r.resolve(md("../Note"), "Notes/sub/../src.md") == "Note.md"


def test_markdown_link_beats_same_name_elsewhere() -> None:
    r = resolver("a/Note.md", "b/Note.md")
    assert r.resolve(md("../b/Note"), "a/src.md") == "b/Note.md"


def test_markdown_link_falls_back_to_name() -> None:
    r = resolver("People/Some Note.md")
    assert r.resolve(md("Some Note"), "Notes/src.md") == "People/Some Note.md"
    assert r.resolve(md("../Some Note"), "Notes/src.md") == "People/Some Note.md"


def test_markdown_link_never_above_the_root() -> None:
    r = resolver("Note.md")
    # `../../Note` climbs out of the vault: not that path, but found by name.
    assert r.resolve(md("../../Note"), "a/src.md") == "Note.md"
    r = resolver("x/Other.md")
    assert r.resolve(md("../../x/Other"), "a/src.md") == "x/Other.md"
    assert r.resolve(md("../../y/Other"), "a/src.md") is None


def test_markdown_link_to_an_attachment() -> None:
    r = resolver("Notes/src.md", attachments=("Notes/img/a.png", "img/a.png"))
    assert r.resolve(md("img/a.png"), "Notes/src.md") == "Notes/img/a.png"
    assert r.resolve(md("img/a.png"), "other.md") == "img/a.png"


def test_embed_of_an_attachment() -> None:
    r = resolver("x.md", attachments=("Assets/diagram.png",))
    assert r.resolve(wiki("diagram.png", embed=True), "x.md") == "Assets/diagram.png"
    assert r.resolve(wiki("Diagram.PNG", embed=True), "x.md") == "Assets/diagram.png"
    assert r.resolve(wiki("Assets/diagram.png", embed=True), "x.md") == "Assets/diagram.png"
    assert r.resolve(wiki("diagram"), "x.md") is None


def test_wikilink_does_not_resolve_through_aliases_or_names() -> None:
    r = resolver("Artificial Intelligence.md", "People/ann.md",
                 aliases={"Artificial Intelligence.md": ("AI",)},
                 names={"People/ann.md": "Ann Lee"})
    assert r.resolve(wiki("AI"), "x.md") is None
    assert r.resolve(wiki("Ann Lee"), "x.md") is None
    assert r.resolve(md("AI"), "x.md") is None


def test_plain_text_by_file_name_then_name_then_alias() -> None:
    r = resolver("People/Ann Lee.md", "People/al.md", "People/bob.md", "People/x.md",
                 names={"People/al.md": "Ann Lee", "People/bob.md": "Robert Smith", "People/x.md": "X"},
                 aliases={"People/bob.md": ("Bob",), "People/x.md": ("Robert Smith",)})
    plain = lambda t: Link(t, "plain", 2, "referred_by")  # noqa: E731
    assert r.resolve(plain("Ann Lee"), "src.md") == "People/Ann Lee.md"  # file name first
    assert r.resolve(plain("robert smith"), "src.md") == "People/bob.md"  # then name
    assert r.resolve(plain("BOB"), "src.md") == "People/bob.md"  # then aliases
    assert r.resolve(plain("Nobody"), "src.md") is None


def test_plain_text_name_ties() -> None:
    r = resolver("b/one.md", "a/two.md", names={"b/one.md": "Ann", "a/two.md": "Ann"})
    plain = Link("Ann", "plain", 2, "contact")
    assert r.resolve(plain, "src.md") == "a/two.md"
    assert r.is_ambiguous(plain, "src.md")
    assert r.resolve(plain, "b/src.md") == "b/one.md"


def test_plain_text_with_md_suffix_or_path() -> None:
    r = resolver("People/Ann.md")
    assert r.resolve(Link("Ann.md", "plain", 2, "contact"), "x.md") == "People/Ann.md"
    assert r.resolve(Link("People/Ann", "plain", 2, "contact"), "x.md") == "People/Ann.md"


def test_remembered_tie_is_forgotten_when_notes_change() -> None:
    r = resolver("a/Note.md", "b/Note.md")
    assert r.resolve(wiki("Note"), "c/src.md") == "a/Note.md"
    r.add("c/Note.md", "Note", ())
    assert r.resolve(wiki("Note"), "c/src.md") == "c/Note.md"
    r.remove("c/Note.md")
    r.remove("a/Note.md")
    assert r.resolve(wiki("Note"), "c/src.md") == "b/Note.md"


def test_markdown_link_prefers_attachment_in_own_folder_over_note_elsewhere() -> None:
    r = resolver("People/Report.md", attachments=("Notes/Report",))
    assert r.resolve(md("Report"), "Notes/src.md") == "Notes/Report"
    assert r.resolve(md("Report"), "Other/src.md") == "People/Report.md"


def test_ambiguous_names() -> None:
    r = resolver("b/Note.md", "a/note.md", "Unique.md", "x/Other.md", "Other.md")
    assert r.ambiguous_names() == [("Other", ["Other.md", "x/Other.md"]),
                                   ("note", ["a/note.md", "b/Note.md"])]


def test_add_and_remove_update_resolution() -> None:
    r = resolver("a/Note.md")
    assert r.resolve(wiki("Note"), "b/src.md") == "a/Note.md"
    r.add("b/Note.md", "Note", ())
    assert r.resolve(wiki("Note"), "b/src.md") == "b/Note.md"
    assert r.is_ambiguous(wiki("Note"), "b/src.md")
    r.remove("b/Note.md")
    assert r.resolve(wiki("Note"), "b/src.md") == "a/Note.md"
    assert not r.is_ambiguous(wiki("Note"), "b/src.md")
    r.remove("a/Note.md")
    assert r.resolve(wiki("Note"), "b/src.md") is None
    assert r.ambiguous_names() == []
    r.remove("never/there.md")


_STEMS = ["Ann", "ann", "Bo", "Café", "Cafe\u0301", "x.png"]
_FOLDERS = ["", "a/", "b/", "a/c/"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(_FOLDERS), st.sampled_from(_STEMS)), min_size=1, max_size=8),
       st.lists(st.tuples(st.sampled_from(_FOLDERS), st.sampled_from(["x.png", "Ann", "Bo"])), max_size=3),
       st.lists(st.tuples(st.sampled_from(["wiki", "md", "plain"]),
                          st.sampled_from(_STEMS + ["a/Ann", "A/ann", "a/c/Bo", "./Bo", "../Bo", "/Bo",
                                                    "Nobody", "a/Nobody"]),
                          st.sampled_from(_FOLDERS)), max_size=12))
def test_the_memoised_resolver_answers_as_the_plain_one(notes, attachments, links) -> None:
    """The resolver the index build uses (a memo of wikilink targets, while no name
    comes or goes, looked up first as the build does) answers every link from every
    source as `resolve` does, asked twice: with names shared across folders, paths in
    another case, and attachments named like notes (`a/Ann`)."""
    r = resolver(*sorted({f"{folder}{name}.md" for folder, name in notes}),
                 attachments=tuple(sorted({f"{folder}{name}" for folder, name in attachments})))
    memo, fast = r.fixed_names_resolve()
    for _ in range(2):
        for style, target, folder in links:
            link = Link(target, style, 1, "contact" if style == "plain" else None)
            source = f"{folder}src.md"
            found = memo.get(target) if style == "wiki" else None
            assert (found or fast(link, source)) == r.resolve(link, source)


def test_add_again_replaces_name_and_aliases() -> None:
    r = Resolver([("p/ann.md", "Ann", ("Annie",))])
    r.add("p/ann.md", "Ann Lee", ("A.L.",))
    plain = lambda t: Link(t, "plain", 2, "contact")  # noqa: E731
    assert r.resolve(plain("Ann Lee"), "x.md") == "p/ann.md"
    assert r.resolve(plain("A.L."), "x.md") == "p/ann.md"
    assert r.resolve(plain("Annie"), "x.md") is None


def test_attachments_can_be_added_and_removed() -> None:
    r = Resolver()
    r.add("img/a.png", "", ())
    assert r.resolve(wiki("a.png", embed=True), "x.md") == "img/a.png"
    r.remove("img/a.png")
    assert r.resolve(wiki("a.png", embed=True), "x.md") is None
    r.add_attachment("img/b.png")
    assert r.resolve(md("img/b.png"), "x.md") == "img/b.png"


def test_link_target_for() -> None:
    r = resolver("People/Ann Lee.md", "a/Note.md", "b/note.md", "Solo.md")
    assert r.link_target_for("People/Ann Lee.md") == "Ann Lee"
    assert r.link_target_for("a/Note.md") == "a/Note"
    assert r.link_target_for("b/note.md") == "b/note"
    assert r.link_target_for("Solo.md") == "Solo"


@pytest.mark.parametrize("source", ["src.md", "a/src.md", "b/src.md", "c/d/src.md"])
def test_link_target_for_resolves_back(source: str) -> None:
    paths = ["a/Note.md", "b/Note.md", "c/d/NOTE.md", "People/Ann.md", "x/y/Other.md"]
    r = resolver(*paths)
    for path in paths:
        assert r.resolve(wiki(r.link_target_for(path)), source) == path


# -- building wikilinks ----------------------------------------------------------------


@pytest.mark.parametrize(
    "target, shown, expected",
    [
        ("Ann Lee", None, "[[Ann Lee]]"),
        ("Ann Lee", "Ann Lee", "[[Ann Lee]]"),
        ("People/Ann Lee", "Ann Lee", "[[People/Ann Lee|Ann Lee]]"),
        ("Ann", "A | B", "[[Ann|A ¦ B]]"),
        ("Ann", "x]]y", "[[Ann|x))y]]"),
        ("Ann", "[x]", "[[Ann|(x)]]"),
        ("Ann", "two\nlines\r\nhere", "[[Ann|two lines here]]"),
        ("Ann", "C# ^1", "[[Ann|C# ^1]]"),
        ("Ann", "", "[[Ann]]"),
        ("A|B#C^D[E]", None, "[[A B C D E]]"),
        ("A\nB", None, "[[A B]]"),
    ],
)
def test_wikilink(target: str, shown: str | None, expected: str) -> None:
    assert wikilink(target, shown) == expected


_NAME_CHARS = st.text(alphabet=st.sampled_from(list("abAB xy|#^[]\n\r")), max_size=12)


@settings(max_examples=300, deadline=None)
@given(_NAME_CHARS, st.none() | _NAME_CHARS)
def test_wikilink_always_reads_back_as_one_link(target: str, shown: str | None) -> None:
    text = wikilink(target, shown)
    assert text.count("[[") == 1 and text.count("]]") == 1 and "\n" not in text
    inner = wikilink(target)[2:-2]
    expected = [inner] if inner else []
    assert [link.target for link in extract_links(text)] == expected


def test_obsidian_comments_hold_no_links():
    text = ("a [[A]] %% [[B]] %% [[C]]\n"          # inline
            "%%\n[[D]]\n\n[[E]]\n%%\n"               # across lines and paragraphs
            "[[F]] `%%` [[G]]\n"                     # in code, %% is text
            "```\n%%\n```\n[[H]]\n"
            "last %% [[I]] never closed\n[[J]]\n")   # an unclosed %% runs to the end
    got = [(l.target, l.line) for l in extract_links(text)]
    assert got == [("A", 1), ("C", 1), ("F", 7), ("G", 7), ("H", 11)]


def test_a_wikilinks_target_is_cut_from_its_inner_text_as_before():
    """`extract_links` cuts a wikilink's inner text at its first `|` or `#` in the pattern
    itself; the target is what `_wiki_target` makes of the whole inner text, for every
    text of up to five characters from those that decide it (an escaped pipe, a heading,
    `.md`, blanks)."""
    from itertools import product

    from vaultkit.links import _wiki_target

    alphabet = ["A", "\\", "|", "#", " ", ".", "m", "d", "^"]
    tried = 0
    for size in range(6):
        for chars in product(alphabet, repeat=size):
            inner = "".join(chars)
            got = [link.target for link in extract_links(f"x [[{inner}]] y")]
            want = _wiki_target(inner)
            assert got == ([want] if want else []), repr(inner)
            tried += 1
    assert tried > 60_000
