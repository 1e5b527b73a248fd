"""The marker scan's shortcut for the common note (one block, no code fence) finds what its
general walk finds: the same blocks, pairs and problem, on random notes in and near that
shape. `scan_markers(text, fences=True)` always takes the general walk."""

from __future__ import annotations

import random

from vaultkit.markers import scan_markers

PIECES = (
    "<!-- vaultkit:begin connections -->", "<!-- vaultkit:end connections -->",
    "<!-- vaultkit:begin links -->", "<!-- vaultkit:end links -->",
    "<!--  vaultkit:begin\tconnections -->  ", "<!-- vaultkit:end connections -->\r",
    "<!-- vaultkit:begin connections-->", "<!--vaultkit:begin connections -->", " <!-- vaultkit:end connections -->",
    "   <!-- vaultkit:begin connections -->", "x <!-- vaultkit:end connections -->",
    "<!-- vaultkit:begin connections --> x", "vaultkit: a note on the tool", "see vaultkit:docs",
    "```", "~~~", "```python", "    ```", "`code`", "~x~",
    "- [[Ann Lee]]", "**Last interaction:** 2026-06-02", "", "", "Some text.", "# Heading",
)


def note(rng: random.Random) -> str:
    lines = []
    if rng.random() < 0.4:
        lines += ["---", rng.choice(("type: contact", "source: vaultkit:x", "k: <!-- vaultkit:end links -->")), "---"]
    for _ in range(rng.randint(0, 6)):
        lines.append(rng.choice(PIECES[-6:]))
    if rng.random() < 0.7:  # the common shape, often
        lines += ["<!-- vaultkit:begin connections -->", "- [[Bo]]", "<!-- vaultkit:end connections -->"]
    for _ in range(rng.randint(0, 4)):
        lines.insert(rng.randint(0, len(lines)), rng.choice(PIECES))
    text = rng.choice(("\n", "\r\n")).join(lines)
    return text + "\n" if rng.random() < 0.8 else text


def found(scan) -> tuple:
    problem = scan.problem
    return (scan.pairs, scan.blocks, None if problem is None else (problem.message, problem.line))


def test_the_shortcut_finds_what_the_general_walk_finds():
    rng = random.Random(18)
    shortcut = 0
    for _ in range(20000):
        text = note(rng)
        quick = scan_markers(text)
        assert found(quick) == found(scan_markers(text, fences=True)), text
        shortcut += bool(quick.blocks) and "`" not in text and "~" not in text
    assert shortcut > 2000  # many notes are of the common shape


def test_a_common_note_has_its_block():
    text = "---\ntype: contact\n---\n# Ann\n\n<!-- vaultkit:begin connections -->\n- [[Bo]]\n<!-- vaultkit:end connections -->\n"
    scan = scan_markers(text)
    start, end = scan.blocks["connections"]
    assert text[start:end] == "- [[Bo]]\n" and scan.pairs == [("connections", start, end)] and scan.problem is None
