"""Markers and fence-like lines inside front-matter are text, not structure.

A quoted multi-line YAML value may hold a line that looks like a vaultkit marker or a code
fence. Through the real `vaultkit sync`: the front-matter stays byte for byte as written,
the note gets its block appended after the body, the note still parses, and the second
sync writes nothing.
"""

from __future__ import annotations

import yaml

from conftest import TODAY, snapshot

from vaultkit.markers import block_inner, body_start, scan_markers, set_block
from vaultkit.vault import parse_note

MARKERS_IN_YAML = (
    "---\n"
    "type: contact\n"
    "note: \"pasted from another vault\n"
    "<!-- vaultkit:begin connections -->\n"
    "<!-- vaultkit:end connections -->\n"
    "end of paste\"\n"
    "---\n"
    "# Ann\n"
)
FENCE_IN_YAML = (
    "---\n"
    "type: contact\n"
    "snippet: \"\n"
    "```python\n"
    "print(1)\"\n"
    "---\n"
    "# Ann\n"
)


def sync(cli, vault):
    return cli("sync", "--vault", vault, "--today", TODAY)


def _check_synced(cli, vault, original: str) -> None:
    result = sync(cli, vault)
    assert result.exit_code == 0, result.output
    text = (vault / "People/Ann.md").read_text()
    assert text.startswith(original), "the user's front-matter or body was changed"
    assert "[[Bo]]" in block_inner(text, "connections")
    meta = yaml.safe_load(text.split("---\n")[1])
    assert meta["type"] == "contact"  # the front-matter still parses
    before = snapshot(vault)
    again = sync(cli, vault)
    assert again.exit_code == 0, again.output
    assert snapshot(vault) == before


def test_markers_in_a_quoted_yaml_value_are_not_a_block(cli, make_vault):
    vault = make_vault({"People/Ann.md": MARKERS_IN_YAML,
                        "People/Bo.md": "---\ntype: contact\n---\nMet [[Ann]].\n"})
    _check_synced(cli, vault, MARKERS_IN_YAML)


def test_a_fence_line_in_a_yaml_value_is_not_an_unclosed_fence(cli, make_vault):
    vault = make_vault({"People/Ann.md": FENCE_IN_YAML,
                        "People/Bo.md": "---\ntype: contact\n---\nMet [[Ann]].\n"})
    _check_synced(cli, vault, FENCE_IN_YAML)


def test_doctor_reports_nothing_for_markers_in_front_matter(cli, make_vault):
    vault = make_vault({"People/Ann.md": MARKERS_IN_YAML})
    sync(cli, vault)
    result = cli("doctor", "--vault", vault, "--today", TODAY)
    assert result.exit_code == 0, result.output
    assert "marker" not in result.output.lower() and "front-matter" not in result.output


def test_the_scan_starts_after_the_front_matter():
    assert body_start(MARKERS_IN_YAML) == MARKERS_IN_YAML.index("# Ann")
    assert body_start("# no front-matter\n---\n") == 0
    assert body_start("---\nunclosed: yes\n") == 0
    scan = scan_markers(MARKERS_IN_YAML, fences=True)
    assert scan.problem is None and scan.pairs == [] and scan.open_fence is None
    assert scan_markers(FENCE_IN_YAML, fences=True).open_fence is None
    # A fence left open in the body still counts.
    assert scan_markers(FENCE_IN_YAML + "```\ncode\n", fences=True).open_fence == 8
    new = set_block(MARKERS_IN_YAML, "connections", "- x\n")
    assert new.startswith(MARKERS_IN_YAML)
    rec = parse_note("People/Ann.md", new.encode())
    assert rec.ok and list(rec.blocks) == ["connections"] and not rec.problems
