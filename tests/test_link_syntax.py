"""Link syntax has one owner (vaultkit.links), and links to awkward file names resolve.

- The template filter `wikilink` and the block builder are one function: the same target
  and shown text give the same bytes (they used to give `[[A-B-c|x-y]]` and
  `[[A¦B c|x¦y]]`).
- A note whose file name no wikilink can spell (`C#D.md`, `A|B.md`, `E]]F.md`, a name
  with leading or trailing spaces, a tab or a newline) is linked from blocks with a
  Markdown link whose %-encoded path, relative to the note holding the block, is that file.
"""

from __future__ import annotations

import re
from urllib.parse import unquote

import pytest
import yaml

from conftest import TODAY

from vaultkit import links, render
from vaultkit.markers import block_inner


@pytest.mark.parametrize("target, shown, expected", [
    ("A|B#c", "x|y", "[[A B c|x¦y]]"),
    ("Ann", "A | B", "[[Ann|A ¦ B]]"),
    ("Ann", "x]]y", "[[Ann|x))y]]"),
    ("Ann", "[x]", "[[Ann|(x)]]"),
    ("Ann", "C# ^1", "[[Ann|C# ^1]]"),
    ("A|B#C^D[E]", None, "[[A B C D E]]"),
    ("two\nlines", "a\tb\r\nc", "[[two lines|a b c]]"),
    ("People/Ann Lee", "Ann Lee", "[[People/Ann Lee|Ann Lee]]"),
    ("Ann", "<!-- vaultkit:end x -->", "[[Ann|<!- - vaultkit:end x - ->]]"),
])
def test_one_wikilink_rule_for_blocks_and_templates(target, shown, expected):
    assert links.wikilink(target, shown) == expected
    assert render.wikilink(target, shown) == expected


def test_which_targets_a_wikilink_can_name():
    for good in ("Ann Lee", "People/Ann Lee", "Tomás", "50% done", "a.b"):
        assert links.nameable(good), good
    for bad in ("C#D", "A|B", "E]]F", "[x]", "c^1", " padded", "padded ", "a\tb", "a\nb",
                "two  spaces", "x.md", "a<!--b", ""):
        assert not links.nameable(bad), bad
    assert links.markdown_link("Notes/C#D.md", "C#D", "People/Ann.md") == "[C#D](../Notes/C%23D.md)"
    assert links.markdown_link("People/A|B.md", "A|B", "People/Ann.md") == "[A¦B](A%7CB.md)"
    assert links.markdown_link("x y.md", "x y", "") == "[x y](x%20y.md)"


def test_the_plain_filter_and_the_parser_read_link_text_alike():
    text = "see [[People/Ann#Intro]], [[Bo|Bo B.]] and ![[img.png]]"
    assert links.shown_text(text) == "see Ann, Bo B. and img.png"
    assert render.plain(text) == "see Ann, Bo B. and img.png"


AWKWARD = ["C#D", "A|B", "E]]F", " padded ", "tab\there", "new\nline", "caret^1", "[x]"]


def _md_links(inner: str) -> list[tuple[str, str]]:
    return re.findall(r"\[([^\]]*)\]\(([^)\s]*)\)", inner)


def test_backlinks_from_awkward_file_names_resolve_to_those_files(cli, make_vault):
    files = {"People/Ann.md": "---\ntype: contact\n---\n# Ann\n",
             "Notes/Plain.md": "Met [[Ann]].\n"}
    files.update({f"Notes/{name}.md": "Met [[Ann]].\n" for name in AWKWARD})
    vault = make_vault(files)
    result = cli("sync", "--vault", vault, "--today", TODAY)
    assert result.exit_code == 0, result.output
    inner = block_inner((vault / "People/Ann.md").read_text(), "connections")
    assert "[[Plain]]" in inner
    assert "[C#D](../Notes/C%23D.md)" in inner
    assert "[A¦B](../Notes/A%7CB.md)" in inner
    assert "[padded](../Notes/%20padded%20.md)" in inner
    found = {}
    for shown, url in _md_links(inner):
        target = (vault / "People" / unquote(url)).resolve()
        assert target.is_file(), f"{url} does not point at a file"
        found[target.name.removesuffix(".md")] = shown
    assert sorted(found) == sorted(AWKWARD)
    # Nothing of the old, wrong targets is left.
    assert "[[C-D]]" not in inner and "[[A-B]]" not in inner and "[[C D]]" not in inner
    assert "\n" not in "".join(found.values()) and "\t" not in "".join(found.values())


def test_the_referral_index_links_relative_to_its_own_folder(cli, make_vault):
    vault = make_vault({
        ".vaultkit/config.toml": 'referral_index = "Index/Referrals.md"\n',
        "People/Ann.md": "---\ntype: contact\n---\n",
        "People/C#D.md": "---\ntype: contact\nreferred_by: Ann\n---\n",
    })
    result = cli("sync", "--vault", vault, "--today", TODAY)
    assert result.exit_code == 0, result.output
    inner = block_inner((vault / "Index/Referrals.md").read_text(), "referrals")
    assert "[C#D](../People/C%23D.md)" in inner
    daily = block_inner((vault / f"Follow-ups/{TODAY}.md").read_text(), "follow-ups")
    assert "[C#D](../People/C%23D.md)" in daily


def test_front_matter_keeps_a_wikilink_for_an_awkward_name(cli, make_vault):
    vault = make_vault({
        "People/Bo#1.md": "---\ntype: contact\n---\n",
        "People/Cy.md": "---\ntype: contact\nreferred_by: Bo#1\n---\n",
        "Interviews/2026-11-20 Cy.md": "---\ntype: interview\ncontact: \"[[Cy]]\"\ndate: 2026-11-20\nthank_you_sent: true\n---\n",
    })
    result = cli("sync", "--vault", vault, "--today", TODAY)
    assert result.exit_code == 0, result.output
    [draft] = [p for p in (vault / "Thank-yous").iterdir() if "referral" in p.name]
    meta = yaml.safe_load(draft.read_text().split("---\n")[1])
    assert meta["to"] == "[[Bo 1|Bo#1]]"  # front-matter: always a wikilink, one link
    assert meta["referred"] == "[[Cy]]"


@pytest.mark.parametrize("value, name", [
    ("[[People]]", "people"), ("![[People]]", "people"), ("[[Categories/People.md#x|Shown]]", "people"),
    ("[Folks](Categories/People.md)", "people"), ("People", "people"),
    ("[[a[b]]", "[[a[b]]"),  # no wikilink by links.py's rule (a `[` inside), so not one here either
])
def test_a_category_value_is_a_link_exactly_when_links_py_says_so(value, name):
    from vaultkit.kinds import category_name
    from vaultkit.links import wikilink_content
    assert category_name(value) == name
    assert (wikilink_content(value) is not None) == (value.startswith(("[[", "![[")) and "[b" not in value)
