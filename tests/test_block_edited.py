"""The writer derives the record of a note whose only change is one managed block
(`edits.block_edited`) instead of parsing it again: wherever it does, the record equals a
fresh parse of the written bytes, links' lines, warnings, fields and block digests
included. Random notes from the parser's oracle test, random block texts, and a first
sync whose records are compared with the disk."""

from __future__ import annotations

import dataclasses
import datetime as dt
import random

from conftest import TODAY
from test_parse_oracle import NAMES, PIECES, random_note

from vaultkit.edits import apply_edit, block_edited
from vaultkit.errors import MarkerError
from vaultkit.model import FileState
from vaultkit.sync import Session
from vaultkit.vault import parse_note

INNERS = ("", "- [[Ann Lee]]\n", "- [[Bo]] — met 2026-11-20\n- [[Cy Day]]\n", "line\nline\nline\n",
          "no newline at the end", "## Notes\n- a heading inside\n", "- [ ] contact [[Bo]]\n",
          "a\r\nb\r\n")


def test_derived_records_equal_a_parse_of_the_written_bytes():
    rng = random.Random(1818)
    derived = parsed_only = 0
    for i in range(10000):
        path = f"{rng.choice(('', 'People/', 'Interviews/'))}Note {i}.md"
        old = random_note(rng)
        if rng.random() < 0.5:  # a user's own text below a block, with links in it
            old += ("\n" + "".join(rng.choice(PIECES).replace("{n}", rng.choice(NAMES)) for _ in range(6))).encode()
        before = parse_note(path, old, len(old), 1)
        name = rng.choice(("connections", "links", "follow-ups", "backlinks"))
        inner = rng.choice(INNERS)
        try:
            data = apply_edit(old, name, inner)
        except (MarkerError, UnicodeDecodeError, ValueError):
            continue
        state = FileState(len(data), 2, parse_note(path, data).sha256)
        rec = block_edited(before, name, inner, old, state)
        if rec is None:
            parsed_only += 1
            continue
        derived += 1
        fresh = parse_note(path, data, len(data), 2)
        assert rec == fresh and repr(rec) == repr(fresh), (old, name, inner)
    assert derived > 300 and parsed_only > 1000  # both ways taken, many times


def test_a_first_sync_keeps_records_equal_to_the_disk(make_vault):
    files = {f"People/P{k}.md": f"---\ntype: contact\n---\n# P{k}\n\nKnows [[P{(k + 1) % 30}]].\n"
             for k in range(30)}
    files.update({f"Interviews/2026-11-{k + 1:02d} P{k}.md":
                  f"---\ntype: interview\ncontact: \"[[P{k}]]\"\ndate: 2026-11-{k + 1:02d}\n---\n## Notes\n- a point\n"
                  for k in range(10)})
    files["People/Below.md"] = "---\ntype: contact\n---\n<!-- vaultkit:begin connections -->\n" \
                               "<!-- vaultkit:end connections -->\nMet [[P1]] after the block.\n"
    vault = make_vault(files)
    s = Session(vault, dt.date.fromisoformat(TODAY))
    try:
        report = s.sync()
        assert report.changed > 30
        for path, rec in s.records.items():
            data = (vault / path).read_bytes()
            st = (vault / path).stat()
            fresh = parse_note(path, data, st.st_size, st.st_mtime_ns, s.cfg.kind_folders)
            assert dataclasses.asdict(rec) == dataclasses.asdict(fresh), path
    finally:
        s.close()


def random_interview(rng: random.Random) -> bytes:
    """An interview note with a notes section (points, wrapped lines, a heading after it)
    and maybe a block already there, with a notes heading before, inside or after it."""
    def lines(count: int) -> str:
        return "".join(rng.choice(("- a point\n", "- point [[Bo]]\n", "1. first\n", "wrapped\n", "\n",
                                   "  continued\n", "- a point\n", "plain words\n", "- [x] ticked\n",
                                   "### Later\n", "- [[Ann Lee|Ann]] said so\n")) for _ in range(count))
    heading = rng.choice(("## Notes\n", "### Discussed\n", "# Summary\n", "## notes  \n", "## Other\n"))
    text = "---\ntype: interview\ndate: 2026-11-20\ncontact: \"[[Ann Lee]]\"\n---\n"
    text += lines(rng.randint(0, 3)) + heading + lines(rng.randint(0, 8))
    if rng.random() < 0.6:
        inside = rng.choice(("", "**Agenda:** —\n", "## Notes\n- inside the block\n", "- [[Bo]]\n"))
        text += f"\n<!-- vaultkit:begin links -->\n{inside}<!-- vaultkit:end links -->\n"
        text += rng.choice(("", "", "after the block\n", "## Notes\n- below the block\n", "- [[Cy]]\n"))
    if rng.random() < 0.1:
        text = text.replace("\n", "\r\n")
    return text.encode()


def test_an_interviews_derived_record_keeps_its_discussed_points():
    """An interview's discussed points come from its notes section, read up to the first
    block: where the writer derives the record, it equals a fresh parse, points included,
    and many derived records hold points."""
    rng = random.Random(2026)
    derived = with_points = parsed_only = 0
    for i in range(3000):
        path = f"Interviews/2026-11-20 Ann Lee {i}.md"
        old = random_interview(rng)
        before = parse_note(path, old, len(old), 1)
        inner = rng.choice(INNERS + ("**Agenda:** [[Agenda]]\n**Thank-you:** —\n",))
        data = apply_edit(old, "links", inner)
        state = FileState(len(data), 2, parse_note(path, data).sha256)
        rec = block_edited(before, "links", inner, old, state)
        if rec is None:
            parsed_only += 1
            continue
        derived += 1
        with_points += bool(rec.fields.get("discussed"))
        fresh = parse_note(path, data, len(data), 2)
        assert rec == fresh and repr(rec) == repr(fresh), (old, inner)
    assert derived > 1000 and with_points > 500 and parsed_only > 200
