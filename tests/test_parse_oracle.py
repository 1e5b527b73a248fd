"""`vault.parse_note` produces exactly the records the parser before issue 18's one-pass
rewrite produced (tests/oracle_parse.py, a frozen copy of it): links with their lines,
fields in their order, block digests, warnings and problems.

Random notes mix every construct that decides what is a link: fences (``` and ~~~, in
list items, unclosed), code spans of every backtick length (escaped, unmatched), HTML and
`%%` comments (closed, unclosed, over lines), managed blocks (well formed, unterminated,
mismatched), wikilinks with `|#^`, embeds, Markdown links with `<>`, `%20` and titles,
brackets and backslashes, CRLF, CR-only, a BOM, and front-matter with link values.

Run `python tests/test_parse_oracle.py VAULT…` to compare every note of whole vaults.
"""

from __future__ import annotations

import random
import sys
from pathlib import Path

import oracle_parse
from conftest import ROOT

from vaultkit.links import extract_links
from vaultkit.vault import parse_note

NAMES = ("Ann Lee", "Bo", "People/Cy Day", "x.png", "Ann Lee.md", "a b", "Café", "Ä", "#", "", " ")

# Pieces of a body; `{n}` is a name.
PIECES = (
    "word ", "text ", " ", "  ", "\t", "\n", "\n", "\n", "\n\n", "\n  \n", "\r\n",
    "[[{n}]]", "[[{n}|alias]]", "[[{n}#Heading]]", "[[{n}#^block]]", "[[{n}#h|a b]]", "![[{n}]]",
    "\\[[{n}]]", "[[#Heading]]", "[[{n}\\|x]]", "[[", "]]", "[", "]", "(", ")", "!", "\\", "|",
    "[t]({n}.md)", "[t](<{n}.md>)", "[t](Ann%20Lee.md)", "[t](../People/Cy%20Day.md#h)",
    "[t]({n}.md \"a title\")", "[t]({n}.md 'title')", "[t]({n}.md (title))", "![alt](img.png)",
    "[t](https://example.com)", "[t](#h)", "[t](mailto:a@b.c)", "[a [b] c](x.md)", "[t](a(b)c.md)",
    "[t](a\\)b.md)", "[t](a[b.md)", "[t]( spaced.md )", "\\](x.md)", "[[{n}]](x.md)", "[t]([[{n}]])",
    "](x.md)", "]](x.md)", "](<a b.md>)", "](y.md \"t\")", "!",
    "`", "``", "```", "`code [[{n}]]`", "``a ` [[{n}]]``", "\\`", "`[t](x.md)`",
    "\n```\n", "\n```python\n", "\n~~~\n", "\n````\n", "\n  ```\n", "\n    ```\n", "\n```x`y\n",
    "\n- item ", "\n  - sub ", "\n1. one ", "\n# Heading\n", "\n> quote ", "\n| a | b |\n",
    "<!--", "-->", "<!-- c [[{n}]] -->", "\n<!--\n", "\n<!-- c -->\n", "<", "<!- -", "--",
    "%%", "%% c [[{n}]] %%", "%", "\n%%\n",
    "\n<!-- vaultkit:begin connections -->\n", "\n<!-- vaultkit:end connections -->\n",
    "\n  <!-- vaultkit:begin connections -->\n", "\n- [x] done [[{n}]]\n", "\n<!--vaultkit:end links-->\n",
    "\n## Notes\n- a point\n", "\x00", "é", "\u2028",
)

FRONT = (
    "type: contact", "type: interview", "type: company", "type: person", "status: planned",
    "status: Done", "status: weird", "date: 2026-11-20", "date: 2026-02-30", "date: soon",
    "time: 14:30", "time: 25:99", "time: '9am'", "company: \"[[Acme]]\"", "company: Acme Inc",
    "org: [[Acme]]", "people: [\"[[Ann Lee]]\", \"[[Bo]]\"]", "contact: \"[[Ann Lee|Ann]]\"",
    "referred_by: \"[[Bo]]\"", "referred_by: Bo", "referred_by:\n  - \"[[Bo]]\"\n  - Cy",
    "referrals: [[Cy Day]]", "referred_by: 12", "categories: [\"[[People]]\"]", "category: Meetings",
    "aliases: [Ann, A. Lee]", "alias: Annie", "tags:\n  - fair\n  - ux", "name: Ann Lee",
    "name: [a]", "thank_you_sent: true", "thank_you_sent: 2026-11-21", "sent: yes",
    "last_contacted: 2026-10-01", "next_follow_up: 2026-12-01T10:00", "email: a@b.c",
    "note: \"see [[Bo]] and ![[Cy]]\"", "nested:\n  a: \"[[Deep]]\"", "empty:", "n: null",
    "flag: off", "x: 1.5", "x: 0x1F", "TYPE: contact", "# a comment", "bad: [unclosed",
    "quoted: 'it''s'", "list: [a, \"[[B]]\", 3]", "goals: [one, two]", "type: contact",
)


def random_note(rng: random.Random) -> bytes:
    parts = []
    if rng.random() < 0.6:
        lines = [rng.choice(FRONT) for _ in range(rng.randint(0, 6))]
        close = rng.choice(("---", "---", "---", "...", "--- ", ""))
        parts.append("---\n" + "".join(line + "\n" for line in lines) + close + "\n")
    def body(count: int) -> str:
        return "".join(rng.choice(PIECES).replace("{n}", rng.choice(NAMES)) for _ in range(count))

    parts.append(body(rng.randint(0, 40)))
    for _ in range(rng.choice((0, 0, 1, 1, 2))):  # well-formed blocks, as vaultkit writes them
        name = rng.choice(("connections", "links", "follow-ups"))
        parts.append(f"\n<!-- vaultkit:begin {name} -->\n{body(rng.randint(0, 12))}\n"
                     f"<!-- vaultkit:end {name} -->\n{body(rng.choice((0, 0, 3)))}")
    text = "".join(parts)
    r = rng.random()
    if r < 0.15:
        text = text.replace("\r\n", "\n").replace("\n", "\r\n")
    elif r < 0.18:
        text = text.replace("\r\n", "\n").replace("\n", "\r")
    data = text.encode("utf-8", "surrogatepass")
    r = rng.random()
    if r < 0.05:
        data = b"\xef\xbb\xbf" + data
    elif r < 0.06:
        data = data[: len(data) // 2] + b"\xff" + data[len(data) // 2:]
    return data


# Denser pieces for link extraction alone: structure, brackets and blank lines.
DENSE = ("[", "]", "[[", "]]", "](x.md)", "](a[b.md)", "](<a b.md>)", "]](y.md)", "[[A]]", "[t](B.md)", "![",
         "!", "\\", "(", ")", "`", "``", "```", "\n```\n", "\n~~~\n", "\n- a\n  ```\n", "\n",
         "\n\n", "\n \n", "\r\n", "<!--", "-->", "\n<!-- c\n", "%%", "%", "\n> q ", "\n# h\n",
         "\n<!-- vaultkit:begin b -->\n", "\n<!-- vaultkit:end b -->\n",
         "<!-- vaultkit:end b -->", "<!-- vaultkit:begin b -->", "x", " ")


def test_random_bodies_extract_links_as_before():
    rng = random.Random(1818)
    for _ in range(20000):
        text = "".join(rng.choice(DENSE) for _ in range(rng.randint(1, 24)))
        assert extract_links(text, 3) == oracle_parse.extract_links(text, 3), text


def assert_same(path: str, data: bytes) -> None:
    new = parse_note(path, data)
    old = oracle_parse.parse_note(path, data)
    # repr too: it shows dict order and tells True from 1.
    assert new == old and repr(new) == repr(old), (path, data)


def test_random_notes_parse_as_before():
    rng = random.Random(18)
    for i in range(4000):
        folder = rng.choice(("", "People/", "Interviews/2026/", "Notes/a b/"))
        assert_same(f"{folder}Note {i}.md", random_note(rng))


def test_sample_vault_and_golden_notes_parse_as_before():
    count = 0
    for root in (ROOT / "sample_vault", ROOT / "tests" / "golden"):
        for path in sorted(root.rglob("*.md")):
            assert_same(path.relative_to(root).as_posix(), path.read_bytes())
            count += 1
    assert count > 20


def _compare_vaults(roots: list[str]) -> None:
    for root in map(Path, roots):
        count = 0
        for path in sorted(root.rglob("*.md")):
            assert_same(path.relative_to(root).as_posix(), path.read_bytes())
            count += 1
        print(f"{root}: {count} notes parse as before")


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    _compare_vaults(sys.argv[1:])
