"""One rule for code fences (vaultkit.markers.next_fence), used by the marker scan and by
link extraction alike, as CommonMark and Obsidian read fences: indented at most 3 columns
from their container, which inside a list item is the item's content.

The two used to disagree: the marker scan allowed 0-3 spaces from the line's start, link
extraction any indent at all.
"""

from __future__ import annotations

from conftest import TODAY

from vaultkit.links import extract_links
from vaultkit.markers import block_inner, next_fence, scan_markers

CONTACT = "---\ntype: contact\n---\n"


def targets(text: str) -> list[str]:
    return [link.target for link in extract_links(text)]


def test_a_fence_in_a_list_item_is_indented_like_its_content():
    text = "- an example:\n    ```\n    see [[Bo]]\n    ```\n- and [[Cy]]\n"
    assert targets(text) == ["Cy"]
    fence = next_fence(text)
    assert fence is not None and fence.closed and fence.base == 2


def test_a_closing_line_indented_four_columns_does_not_close_a_top_level_fence():
    text = "```\ncode\n    ```\n[[Bo]]\n```\n[[Cy]]\n"
    assert targets(text) == ["Cy"]


def test_four_spaces_outside_a_list_is_no_fence():
    text = "Some text\n\n    ```\n[[Bo]]\n"
    assert targets(text) == ["Bo"]
    assert scan_markers(text, fences=True).open_fence is None


def test_an_unclosed_fence_in_a_list_item_ends_with_the_item():
    text = "- example:\n  ```\n  code\n\n[[Bo]]\n"
    assert targets(text) == ["Bo"]
    assert scan_markers(text, fences=True).open_fence is None
    assert scan_markers("```\ncode\n", fences=True).open_fence == 1


def test_markers_and_links_read_a_list_fence_alike_through_sync(cli, make_vault):
    # Ann's note ends inside a list item's fence that was never closed: the block is
    # appended after it (a line at column 0 ends the item, and the fence with it).
    ann = CONTACT + "- a snippet I keep:\n  ```\n  print('hi')\n"
    # Bo's note has a top-level fence whose "closing" line is indented 4: still code.
    bo = CONTACT + "```\nnotes\n    ```\nmet [[Ann]] here\n```\n"
    vault = make_vault({"People/Ann.md": ann, "People/Bo.md": bo,
                        "People/Cy.md": CONTACT + "- list\n    ```\n    [[Ann]]\n    ```\n"})
    result = cli("sync", "--vault", vault, "--today", TODAY)
    assert result.exit_code == 0, result.output
    text = (vault / "People/Ann.md").read_text()
    assert text.startswith(ann)
    inner = block_inner(text, "connections")
    assert inner is not None
    assert "[[Bo]]" not in inner and "[[Cy]]" not in inner  # their links are code
