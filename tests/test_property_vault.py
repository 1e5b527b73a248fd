"""Property-based: random vaults synced twice.

Hypothesis builds small vaults of real files: front-matter that is a mapping, a list, a
scalar, empty or unclosed, with the YAML 1.1 oddities (`no`, `0755`,
`12:30`, unquoted `[[X]]`, `tags: #x`, `title: a: b`, tabs, python tags, aliases), a
leading `---` rule, a BOM, CRLF; bodies with links, code fences, inline code, comments and
vaultkit markers, well-formed and broken, and now and then invalid UTF-8. Each vault is
synced twice through the real CLI (in-process). Then:

- no exception escapes and the exit code is 0 or 1;
- outside the managed blocks, no byte of a user's note changes (a note without a block
  may only gain one at its end), a BOM stays, and every new file is a note vaultkit
  generates, in its folders;
- a note that cannot be parsed (bad YAML, bad UTF-8, broken markers) is byte-identical;
- the second sync writes nothing.

Default: 30 examples (a few seconds); `VAULTKIT_HEAVY=1`: 500.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import TODAY, mtimes, snapshot

from vaultkit.batch import apply_batch
from vaultkit.cli import main
from vaultkit.vault import parse_note
from vaultkit.markers import block_spans, check_markers

HEAVY = os.environ.get("VAULTKIT_HEAVY") == "1"
EXAMPLES = 500 if HEAVY else 30

NAMES = ["Ann", "ann", "Bo", "Cy Lee", "Zoë", "Zoe\u0308", "Acme", "Notes", "CON"]
FOLDERS = ["", "People/", "Interviews/", "Companies/", "People/x/", "Notes/"]
GENERATED = ("Interviews/Agendas/", "Thank-yous/", "Follow-ups/", "Reviews/", "Referral Index.md")

BEGIN = "<!-- vaultkit:begin {} -->"
END = "<!-- vaultkit:end {} -->"

name = st.sampled_from(NAMES)
link = st.one_of(
    name.map(lambda n: f"[[{n}]]"),
    st.tuples(name, name).map(lambda t: f"[[{t[0]}|{t[1]}]]"),
    name.map(lambda n: f"[[{n}#Heading]]"),
    name.map(lambda n: f"![[{n}]]"),
    name.map(lambda n: f"[text]({n.replace(' ', '%20')}.md)"),
)
date = st.sampled_from(["2026-11-20", "2026-11-28", "2026-11-30", "2026-12-25", "2025-01-01",
                        "2026-11-30 14:30", "2026-11-20T10:00:00", "\"2026-11-29\"", "\"2026-13-45\"",
                        "2026-13-45", "2026-02-30", "yesterday"])

# Front-matter lines that make a note one of vaultkit's types, or relate it to others.
typed = st.sampled_from(["type: contact", "type: interview", "type: company", "type: Contact",
                         "categories: [\"[[People]]\"]", "categories:\n  - \"[[Meetings]]\"",
                         "category: [[People]]", "type: meeting", "type: organisation",
                         "categories: \"[[Categories/Companies|Firms]]\""])
good_line = st.one_of(
    st.sampled_from(["status: met", "status: planned", "status: done", "status: cancelled",
                     "status: contacted", "tags: [a, b]", "thank_you_sent: 2026-11-21",
                     "aliases: [A, B]", "empty:", "x: ~", "goals:\n  - learn\n  - ask"]),
    date.map(lambda d: f"date: {d}"),
    date.map(lambda d: f"last_contacted: {d}"),
    date.map(lambda d: f"next_follow_up: {d}"),
    name.map(lambda n: f"name: {n}"),
    name.map(lambda n: f"contact: \"[[{n}]]\""),
    name.map(lambda n: f"contact: [[{n}]]"),
    name.map(lambda n: f"people: {n}"),
    name.map(lambda n: f"people:\n  - \"[[{n}]]\""),
    name.map(lambda n: f"referred_by: [[{n}]]"),
    name.map(lambda n: f"referred_by: \"[[{n}]]\""),
    name.map(lambda n: f"referred_by: {n}"),
    st.lists(name, min_size=1, max_size=3).map(
        lambda ns: "referrals:\n" + "".join(f"  - \"[[{n}]]\"\n" for n in ns).rstrip("\n")),
    name.map(lambda n: f"company: \"[[{n}]]\""),
    name.map(lambda n: f"org: {n}"),
    name.map(lambda n: f"related: [[{n}]]"),
)
# YAML 1.1 oddities that load, and lines that break the YAML.
odd_line = st.sampled_from([
    "status: no", "mode: 0755", "version: 1.10", "time: 12:30", "tags: #x", "thank_you_sent: no",
    "sent: yes", "n: 1e3", "generated_by: vaultkit", "vaultkit_key: agenda:2026-11-30:Ann",
    "a: &a [1, 2]\nb: *a", "date: 2026-11-30 14:30", "1: numeric key", "? complex\n: key",
    "n: !!int abc", "when: 2026-01-01T25:00:00",
    "title: Meeting: Q3",                                   # ScannerError
    "\tname: tabbed",                                        # a tab
    "bad: [unclosed",                                        # ParserError
    "x: !!python/object/apply:os.system [\"true\"]",         # ConstructorError
])


@st.composite
def front_matter(draw):
    shape = draw(st.integers(0, 9))
    if shape <= 5:  # a typed note, now and then with an oddity
        lines = [draw(typed), *draw(st.lists(good_line, max_size=4))]
        if draw(st.integers(0, 3)) == 0:
            lines.insert(draw(st.integers(0, len(lines))), draw(odd_line))
        close = "..." if draw(st.integers(0, 9)) == 0 else "---"
        return "---\n" + "\n".join(lines) + f"\n{close}\n"
    return draw(st.sampled_from([
        "",                                    # none
        "---\n- a\n- b\n---\n",                # a list
        "---\njust a scalar\n---\n",           # a scalar
        "---\n---\n",                          # empty
        "---\ntype: contact\nname: Open\n",    # unclosed
        "---\nIntro with [[Ann]]\n\n---\n",     # a leading horizontal rule
        "---\nrelated: [[Bo]]\n---\n",          # a plain note with a property link
    ]))


def marker_block(block_name: str, inner: str) -> str:
    return f"{BEGIN.format(block_name)}\n{inner}{END.format(block_name)}\n"


text_piece = st.one_of(
    st.sampled_from(["Some text.\n", "\n", "   \n", "# Heading\n", "## Notes\n", "- a point\n",
                     "trailing spaces   \n", "tab\there\n", "---\n", "***\n", "Ünïcödé ✓ 名前\n",
                     "`inline [[Ann]] code`\n", "<!-- a comment [[Bo]] -->\n",
                     "<!--\n[[Cy Lee]]\n-->\n", "https://example.com/[[x]]\n", "{{ 7*7 }}\n",
                     "%% [[Ann]] %% then\n", "%%\n[[Bo]]\n%%\n"]),
    link.map(lambda l: f"See {l} today.\n"),
)
fence_piece = st.sampled_from(["```\n", "```python\n", "~~~\n", "````\n",
                               "```\n" + marker_block("connections", "in a fence\n") + "```\n"])
block_piece = st.sampled_from(["connections", "links", "referrals", "other"]).flatmap(
    lambda n: st.sampled_from([marker_block(n, ""), marker_block(n, "stale\n"),
                               marker_block(n, "- [[Ann]]\n")]))
broken_piece = st.sampled_from([
    BEGIN.format("connections") + "\n", END.format("connections") + "\n",
    "<!--vaultkit:begin connections-->\n", "  <!-- vaultkit:begin links -->\n",
    "text <!-- vaultkit:end connections --> inline\n"])
body_piece = st.one_of(text_piece, text_piece, text_piece, text_piece, text_piece, fence_piece,
                       block_piece, st.one_of(broken_piece, text_piece, text_piece))


@st.composite
def note(draw):
    text = draw(front_matter()) + "".join(draw(st.lists(body_piece, max_size=8)))
    if draw(st.booleans()) and text.endswith("\n"):
        text = text[:-1]  # no final newline
    if draw(st.integers(0, 3)) == 0:
        text = text.replace("\n", "\r\n")
    data = text.encode("utf-8")
    if draw(st.integers(0, 4)) == 0:
        data = b"\xef\xbb\xbf" + data
    if draw(st.integers(0, 15)) == 0:
        data = data + b"\xff\xfe bad bytes\n"
    return data


@st.composite
def vault_files(draw):
    paths = draw(st.lists(st.tuples(st.sampled_from(FOLDERS), name), min_size=1, max_size=7,
                          unique_by=lambda t: (t[0] + t[1]).casefold()))
    return {f"{folder}{stem}.md": draw(note()) for folder, stem in paths}


def run_sync(vault: Path):
    result = CliRunner().invoke(main, ["sync", "--vault", str(vault), "--today", TODAY],
                                catch_exceptions=False)
    assert result.exit_code in (0, 1), result.output
    return result


def unparseable(rel: str, data: bytes) -> bool:
    rec = parse_note(rel, data)
    return not rec.ok or bool(rec.marker_error)


def without_blocks(data: bytes) -> tuple[bool, str]:
    """(BOM?, the text with the inside of every managed block removed)."""
    bom = data.startswith(b"\xef\xbb\xbf")
    text = data.decode("utf-8-sig")
    out, last = [], 0
    for _, start, end in sorted(block_spans(text), key=lambda s: s[1]):
        out.append(text[last:start])
        last = end
    out.append(text[last:])
    return bom, "".join(out)


def assert_only_blocks_changed(rel: str, before: bytes, after: bytes) -> None:
    if before == after:
        return
    bom_before, outside_before = without_blocks(before)
    bom_after, outside_after = without_blocks(after)
    assert bom_before == bom_after, f"{rel}: BOM changed"
    if outside_after == outside_before:
        return
    # Only a block appended at the end: the old text, a line break if it lacked one, a
    # blank line unless it ended with one, then the empty skeleton of the new block.
    assert outside_after.startswith(outside_before), f"{rel}: bytes outside blocks changed"
    added = outside_after[len(outside_before):]
    eol = "\r\n" if "\r\n" in added else "\n"
    lines = added.split(eol)
    assert lines[-1] == "", f"{rel}: appended text does not end a line: {added!r}"
    markers = [l for l in lines[:-1] if l]
    assert len(markers) == 2 and markers[0].startswith("<!-- vaultkit:begin ") \
        and markers[1] == markers[0].replace(":begin ", ":end "), f"{rel}: appended {added!r}"
    assert all(l == "" for l in lines[:-3]), f"{rel}: appended {added!r}"
    check_markers(after.decode("utf-8-sig"))


@settings(max_examples=EXAMPLES, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(files=vault_files())
def test_random_vaults_sync_twice_changing_only_blocks_and_generated_notes(files):
    with tempfile.TemporaryDirectory() as tmp:
        vault = Path(tmp) / "vault"
        for rel, data in files.items():
            (vault / rel).parent.mkdir(parents=True, exist_ok=True)
            (vault / rel).write_bytes(data)
        before = snapshot(vault)

        run_sync(vault)
        after = snapshot(vault)
        for rel, data in before.items():
            assert rel in after, f"{rel} vanished"
            if unparseable(rel, data):
                assert after[rel] == data, f"{rel} cannot be parsed, yet it was written"
            else:
                assert_only_blocks_changed(rel, data, after[rel])
        for rel in set(after) - set(before):
            assert rel.startswith(GENERATED), f"{rel}: a file vaultkit does not generate"
            if rel != "Referral Index.md":
                assert b"generated_by: vaultkit" in after[rel], rel

        stamps = mtimes(vault)
        second = run_sync(vault)
        assert "wrote 0 files" in second.output, second.output
        assert snapshot(vault) == after
        assert mtimes(vault) == stamps


def _edit(vault: Path, rel: str, body: bytes | None, mtime_ns: int) -> None:
    """Write (None: delete) one note. A distinct mtime in the past: a same-size rewrite
    within one clock tick must still look changed, and nothing is held back as unsettled."""
    target = vault / rel
    if body is None:
        target.unlink(missing_ok=True)
    else:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(body)
        os.utime(target, ns=(mtime_ns, mtime_ns))


@st.composite
def edits(draw, files: dict[str, bytes]):
    """Edits to a vault: (path, new bytes) or (path, None) for a delete; paths stay unique
    case-insensitively, as `vault_files` makes them."""
    out = []
    known = {p.casefold(): p for p in files}
    for _ in range(draw(st.integers(1, 4))):
        if known and draw(st.booleans()):
            path = draw(st.sampled_from(sorted(known.values())))
        else:
            folder, stem = draw(st.tuples(st.sampled_from(FOLDERS), name))
            path = known.get(f"{folder}{stem}.md".casefold(), f"{folder}{stem}.md")
        data = None if path in known.values() and draw(st.integers(0, 3)) == 0 else draw(note())
        if data is None:
            known.pop(path.casefold(), None)
        else:
            known[path.casefold()] = path
        out.append((path, data))
    return out


@settings(max_examples=EXAMPLES, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=st.data())
def test_watch_batches_leave_the_vault_as_a_full_sync_would(data):
    """`batch.apply_batch` (one watcher batch) re-plans only what an edit affects; after any
    edits, a full sync must find nothing left to write."""
    import datetime as dt
    import time

    from vaultkit.sync import Session

    files = data.draw(vault_files())
    steps = data.draw(edits(files))
    with tempfile.TemporaryDirectory() as tmp:
        vault = Path(tmp) / "vault"
        for rel, body in files.items():
            (vault / rel).parent.mkdir(parents=True, exist_ok=True)
            (vault / rel).write_bytes(body)
        session = Session(vault, dt.date.fromisoformat(TODAY))
        try:
            session.sync()
            if session.index is None:
                session.load()
            stamp = time.time_ns() - 60 * 10**9
            for n, (rel, body) in enumerate(steps):
                _edit(vault, rel, body, stamp + n * 10**6)
                apply_batch(session, [rel], settle_seconds=0)
        finally:
            session.close()
        full = run_sync(vault)
        assert "wrote 0 files" in full.output, (steps, full.output)


@settings(max_examples=EXAMPLES, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=st.data())
def test_a_sync_catching_up_on_a_few_edits_writes_what_a_full_sync_would(data):
    """After a complete sync, a few edits: the next `sync` starts from the cached records
    and plans only what the edits affect (issue 6); it must leave the vault as a full pass
    would (which then finds nothing to write) and report the same problems."""
    import datetime as dt
    import time

    from vaultkit.sync import Session

    files = data.draw(vault_files())
    steps = data.draw(edits(files))
    today = dt.date.fromisoformat(TODAY)
    with tempfile.TemporaryDirectory() as tmp:
        vault = Path(tmp) / "vault"
        for rel, body in files.items():
            (vault / rel).parent.mkdir(parents=True, exist_ok=True)
            (vault / rel).write_bytes(body)
        run_sync(vault)
        stamp = time.time_ns() - 60 * 10**9
        for n, (rel, body) in enumerate(steps):
            _edit(vault, rel, body, stamp + n * 10**6)
        session = Session(vault, today)
        try:
            caught = session.sync()
            kind = session.last_pass
        finally:
            session.close()
        full_session = Session(vault, today, rebuild=True)
        try:
            full = full_session.sync()
        finally:
            full_session.close()
        assert full.written == 0, (kind, steps, [w.path for w in full.writes])
        assert sorted(map(str, caught.problems)) == sorted(map(str, full.problems)), (kind, steps)


def test_the_catch_up_pass_is_taken_for_a_new_link():
    """The property above only holds any weight if the catch-up pass runs: a new link in a
    synced vault is caught up on, and the contact's block shows it."""
    import datetime as dt

    from vaultkit.sync import Session

    with tempfile.TemporaryDirectory() as tmp:
        vault = Path(tmp) / "vault"
        (vault / "People").mkdir(parents=True)
        (vault / "People" / "Ann.md").write_text("---\ntype: contact\n---\n", encoding="utf-8")
        (vault / "Notes.md").write_text("Nothing yet.\n", encoding="utf-8")
        run_sync(vault)
        (vault / "Notes.md").write_text("Met [[Ann]] today.\n", encoding="utf-8")
        session = Session(vault, dt.date.fromisoformat(TODAY))
        try:
            report = session.sync()
            assert session.last_pass == "catch-up"
            assert report.written_paths == ["People/Ann.md"]
        finally:
            session.close()
        assert "[[Notes]]" in (vault / "People" / "Ann.md").read_text(encoding="utf-8")
