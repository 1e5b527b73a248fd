"""Front-matter, each tried against the real CLI on real files.

The pure parsing of each case is in test_parse.py;
here the same inputs go through `vaultkit sync` (and `status`/`doctor`/`new` where they
matter) in a temporary vault, and the checks are what a user sees: exit codes, messages
naming `path:line`, the bytes of the note afterwards, and the notes vaultkit generates.
"""

from __future__ import annotations

import json
import time

import pytest
import yaml

from conftest import TODAY, snapshot

from vaultkit.markers import block_inner

CONTACT = "---\ntype: contact\n---\n"


def sync(cli, vault, *args):
    return cli("sync", "--vault", vault, "--today", TODAY, *args)


def front_matter(data: bytes) -> dict:
    text = data.decode("utf-8-sig")
    assert text.startswith("---\n")
    return yaml.safe_load(text[4:text.index("\n---\n", 3)])


def assert_only_appended_a_block(before: bytes, after: bytes, name: str = "connections") -> str:
    """`after` is `before` plus one managed block; returns the block's inner text."""
    assert after.startswith(before), "the user's bytes are not a prefix any more"
    text = after.decode("utf-8-sig")
    inner = block_inner(text, name)
    assert inner is not None, f"no block {name!r} was added"
    return inner


# --- 11 ----------------------------------------------------------------------------------

def test_front_matter_is_never_redumped(cli, make_vault):
    """Comments, key order, quoting, flow style, odd spacing and a missing final newline in
    the user's front-matter and body all survive every sync, byte for byte."""
    ann = ("---\n# people I met at the fair\nzeta: 1   # trailing comment\ntype: contact\n"
           "name: 'Ann Lee'\nemail: \"ann@example.com\"\naliases: [Ann, A. Lee]\n"
           "tags:\n  - fair\n  -   ux\nlast_contacted: 2026-10-01\n---\nMet at the fair, see [[Bo]]")
    bo = "---\ntype: contact\n---"  # front-matter only, no final newline
    vault = make_vault({"People/Ann Lee.md": ann, "People/Bo.md": bo})
    result = sync(cli, vault)
    assert result.exit_code == 0, result.output
    after_ann = (vault / "People/Ann Lee.md").read_bytes()
    after_bo = (vault / "People/Bo.md").read_bytes()
    assert_only_appended_a_block(ann.encode(), after_ann)
    assert after_ann[len(ann):].startswith(b"\n\n<!-- vaultkit:begin connections -->\n")
    inner = assert_only_appended_a_block(bo.encode(), after_bo)
    assert "[[Ann Lee]]" in inner
    # A second sync, and a sync after an edit elsewhere, still leave the prefix alone.
    (vault / "People/Cy.md").write_text(CONTACT + "[[Ann Lee]]\n")
    assert sync(cli, vault).exit_code == 0
    assert (vault / "People/Ann Lee.md").read_bytes().startswith(ann.encode())
    assert (vault / "People/Bo.md").read_bytes().startswith(bo.encode())


def test_notes_vaultkit_created_keep_their_front_matter_too(cli, make_vault):
    """`new contact` and `new interview` write front-matter once (rendered, with a YAML
    dumper); sync only appends blocks after it."""
    vault = make_vault({})
    assert cli("new", "contact", "Ann Lee", "--vault", vault, "--role", "UX: Lead").exit_code == 0
    assert cli("new", "interview", "Ann Lee", "--vault", vault, "--date", "2026-11-30",
               "--time", "12:30").exit_code == 0
    before = snapshot(vault)
    assert sync(cli, vault).exit_code == 0
    after = snapshot(vault)
    for rel in before:
        assert after[rel].startswith(before[rel]), rel
    assert front_matter(after["People/Ann Lee.md"])["role"] == "UX: Lead"
    assert front_matter(after["Interviews/2026-11-30 Ann Lee.md"])["time"] == "12:30"


# --- 12 ----------------------------------------------------------------------------------

def test_yaml11_values_are_read_defensively(cli, make_vault):
    """`status: no` (False), `time: 12:30` (750), `0755` (493), `1.10` (1.1): nothing
    crashes, the time shows as 12:30, the odd status is a warning for doctor, not a
    problem for sync."""
    vault = make_vault({
        "People/Ann.md": "---\ntype: contact\nstatus: no\nmode: 0755\nversion: 1.10\n---\n",
        "Interviews/Call.md": ("---\ntype: interview\ncontact: \"[[Ann]]\"\ndate: 2026-11-30\n"
                               "time: 12:30\nmedium: yes\n---\n"),
        "Interviews/Old.md": ("---\ntype: interview\ncontact: \"[[Ann]]\"\ndate: 2026-11-02\n"
                              "thank_you_sent: no\n---\n"),
    })
    result = sync(cli, vault)
    assert result.exit_code == 0, result.output
    connections = block_inner((vault / "People/Ann.md").read_text(), "connections")
    assert "2026-11-30 12:30" in connections
    agenda = (vault / "Interviews/Agendas/2026-11-30 Ann - agenda.md").read_text()
    assert "at 12:30" in agenda
    # thank_you_sent: no (False) is "not sent": a draft is written.
    assert (vault / "Thank-yous/2026-11-02 Ann - thank-you.md").exists()
    doctor = cli("doctor", "--vault", vault, "--today", TODAY)
    assert doctor.exit_code == 1
    assert "People/Ann.md" in doctor.output and "status" in doctor.output


# --- 13 ----------------------------------------------------------------------------------

def test_dates_timestamps_and_date_strings(cli, make_vault):
    """A YAML date, a timestamp and a `2024-03-05 14:30` string (which YAML keeps as text)
    all count as dates; every `--json` output serialises them."""
    vault = make_vault({
        "People/Ann.md": ("---\ntype: contact\nstatus: met\nlast_contacted: 2026-10-01 09:15:00\n"
                          "next_follow_up: 2026-11-27\nmet_at_fair: 2024-03-05\n"
                          "stamp: 2024-03-05T14:30:00Z\n---\n"),
        "Interviews/A.md": "---\ntype: interview\ncontact: Ann\ndate: 2026-11-20T10:00:00\n---\n",
        "Interviews/B.md": "---\ntype: interview\ncontact: Ann\ndate: 2026-11-30 14:30\n---\n",
        "Interviews/C.md": "---\ntype: interview\ncontact: Ann\ndate: \"2026-12-01\"\n---\n",
    })
    result = sync(cli, vault, "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["problems"] == []
    created = {p["path"] for p in data["planned"] if p["new"]}
    assert "Thank-yous/2026-11-20 Ann - thank-you.md" in created
    assert "Interviews/Agendas/2026-11-30 Ann - agenda.md" in created
    assert "Interviews/Agendas/2026-12-01 Ann - agenda.md" in created
    for command in ("status", "doctor"):
        out = cli(command, "--vault", vault, "--today", TODAY, "--json")
        assert out.exit_code in (0, 1), out.output
        json.loads(out.stdout)
    status = json.loads(cli("status", "--vault", vault, "--today", TODAY, "--json").stdout)
    assert "Ann" in json.dumps(status)  # next_follow_up 2026-11-27 is due


# --- 14 ----------------------------------------------------------------------------------

def test_unquoted_wikilinks_are_links(cli, make_vault):
    """`referred_by: [[Ann]]` and `related: [[Ann]]` load as nested lists: both are links."""
    vault = make_vault({
        "People/Ann.md": CONTACT,
        "People/Bo.md": "---\ntype: contact\nreferred_by: [[Ann]]\n---\n",
        "People/Cy.md": "---\ntype: contact\nreferred_by:\n  - [[Bo]]\n  - [[Ann|A.]]\n---\n",
        "Projects/Plan.md": "---\nrelated: [[Ann]]\n---\n",
    })
    result = sync(cli, vault)
    assert result.exit_code == 0, result.output
    ann = block_inner((vault / "People/Ann.md").read_text(), "connections")
    assert "**Referred you to**\n- [[Bo]]\n- [[Cy]]\n" in ann
    assert "**Named in properties of**\n- [[Plan]] (`related`)\n" in ann
    index = block_inner((vault / "Referral Index.md").read_text(), "referrals")
    assert "[[Bo]]" in index and "[[Cy]]" in index


def test_hash_tags_and_colon_titles(cli, make_vault):
    """`tags: #x` loads as None (the note still syncs); `title: Meeting: Q3` is a YAML
    error: reported with path and line, the note left as it is, the rest synced."""
    bad = "---\ntype: contact\ntitle: Meeting: Q3\n---\n[[Ann]]\n"
    vault = make_vault({
        "People/Ann.md": CONTACT,
        "People/Tagged.md": "---\ntype: contact\ntags: #x\n---\n[[Ann]]\n",
        "People/Bad.md": bad,
    })
    result = sync(cli, vault)
    assert result.exit_code == 1
    assert "People/Bad.md:3:" in result.output
    assert (vault / "People/Bad.md").read_text() == bad
    assert block_inner((vault / "People/Tagged.md").read_text(), "connections") is not None
    ann = block_inner((vault / "People/Ann.md").read_text(), "connections")
    assert "[[Tagged]]" in ann and "[[Bad]]" not in ann


# --- 15 ----------------------------------------------------------------------------------

def test_front_matter_that_is_not_a_mapping(cli, make_vault):
    """A list is reported and left alone; a scalar or `---` rule is body text; empty
    front-matter is fine; an unclosed block that holds `key:` lines is reported."""
    files = {
        "People/Ann.md": CONTACT,
        "List.md": "---\n- type: contact\n- b\n---\n[[Ann]]\n",
        "Scalar.md": "---\njust a sentence\n---\nsee [[Ann]]\n",
        "Empty.md": "---\n---\nsee [[Ann]]\n",
        "Unclosed.md": "---\ntype: contact\nname: Unclosed\n\nsee [[Ann]]\n",
    }
    vault = make_vault(files)
    result = sync(cli, vault)
    assert result.exit_code == 1
    assert "List.md:2:" in result.output
    assert "Unclosed.md:1:" in result.output
    for rel in ("List.md", "Scalar.md", "Empty.md", "Unclosed.md"):
        assert (vault / rel).read_text() == files[rel], rel
    ann = block_inner((vault / "People/Ann.md").read_text(), "connections")
    assert "[[Scalar]]" in ann and "[[Empty]]" in ann
    assert "[[List]]" not in ann and "[[Unclosed]]" not in ann


@pytest.mark.parametrize("eol", ["\n", "\r\n"])
def test_bom_is_recognised_and_kept(cli, make_vault, eol):
    """With a BOM the front-matter is still read (it is a contact), and the BOM is still
    there after the block is written. (CRLF + BOM is also in test_sync.py.)"""
    raw = "\ufeff---{0}type: contact{0}name: Ann Lee{0}---{0}Hi{0}".format(eol).encode("utf-8")
    vault = make_vault({"People/Ann.md": raw, "People/Bo.md": CONTACT + "[[Ann]]\n",
                        "People/Cy.md": "---\ntype: contact\nreferred_by: Ann Lee\n---\n"})
    assert sync(cli, vault).exit_code == 0
    data = (vault / "People/Ann.md").read_bytes()
    assert data.startswith(raw) and data.count(b"\xef\xbb\xbf") == 1
    inner = block_inner(data.decode("utf-8-sig"), "connections")
    assert f"**Linked from**{eol}- [[Bo]]{eol}" in inner
    # The name behind the BOM was read: Cy's plain-text referrer matched it.
    cy = block_inner((vault / "People/Cy.md").read_text(), "connections")
    assert "**Referred by**\n- [[Ann|Ann Lee]]\n" in cy


# --- 16 ----------------------------------------------------------------------------------

def test_leading_horizontal_rule_keeps_its_text(cli, make_vault):
    """`---\\nIntro\\n\\n---\\n\\nrest` is a note without front-matter: its intro is not
    lost, its links count, and the note is never written."""
    rule = "---\nIntro with [[Ann]]\n\n---\n\nrest, with [[Bo]]\n"
    vault = make_vault({"People/Ann.md": CONTACT, "People/Bo.md": CONTACT, "Rule.md": rule})
    result = sync(cli, vault)
    assert result.exit_code == 0, result.output
    assert (vault / "Rule.md").read_text() == rule
    for who in ("Ann", "Bo"):
        inner = block_inner((vault / f"People/{who}.md").read_text(), "connections")
        assert "[[Rule]]" in inner, who
    # Obsidian reads those lines as front-matter: doctor says so, once, at its line.
    doctor = cli("doctor", "--vault", vault, "--today", TODAY)
    assert doctor.output.count("Rule.md") == 1 and "Rule.md:2: frontmatter: the front-matter is a single value" in doctor.output


# --- 17 ----------------------------------------------------------------------------------

def test_crlf_is_kept_in_every_write(cli, make_vault):
    """A CRLF contact with a stale block, a CRLF interview without one and a CRLF note
    without a final newline: every line vaultkit writes ends in CRLF."""
    ann = ("---\r\ntype: contact\r\n---\r\nTop\r\n<!-- vaultkit:begin connections -->\r\nstale\r\n"
           "<!-- vaultkit:end connections -->\r\nBottom\r\n")
    call = "---\r\ntype: interview\r\ncontact: \"[[Ann]]\"\r\ndate: 2026-11-30\r\n---\r\nNotes\r\n"
    bo = "---\r\ntype: contact\r\nreferred_by: Ann\r\n---\r\nno final newline"
    vault = make_vault({"People/Ann.md": ann.encode(), "Interviews/Call.md": call.encode(),
                        "People/Bo.md": bo.encode()})
    assert sync(cli, vault).exit_code == 0
    for rel, original in (("People/Ann.md", None), ("Interviews/Call.md", call), ("People/Bo.md", bo)):
        data = (vault / rel).read_bytes()
        assert b"\n" not in data.replace(b"\r\n", b""), f"{rel} has a bare LF"
        if original is not None:
            assert data.startswith(original.encode()), rel
    text = (vault / "People/Ann.md").read_bytes().decode()
    assert text.startswith("---\r\ntype: contact\r\n---\r\nTop\r\n<!-- vaultkit:begin connections -->\r\n")
    assert text.endswith("<!-- vaultkit:end connections -->\r\nBottom\r\n")
    assert "stale" not in text and "[[Call]]" in text
    assert (vault / "People/Bo.md").read_bytes().startswith(bo.encode() + b"\r\n\r\n<!-- vaultkit:begin")
    assert "wrote 0 files" in sync(cli, vault).output


# --- 18 ----------------------------------------------------------------------------------

def test_parse_errors_name_path_and_line_and_the_rest_syncs(cli, make_vault):
    """ScannerError (a tab), ParserError (an unclosed list), a bad indent, and invalid
    UTF-8 in the front-matter and in the body: each reported as `path:line:`, each left
    byte for byte, the good notes synced; `--json` and `doctor` carry the same lines."""
    bad = {
        "Tab.md": b"---\ntype: contact\n\tname: x\n---\n[[Ann]]\n",
        "Parser.md": b"---\ntype: contact\nx: [a, b\n---\n[[Ann]]\n",
        "Indent.md": b"---\ntype: contact\nname: x\n  role: y\n---\n[[Ann]]\n",
        "Latin1 head.md": b"---\ntype: contact\nname: Jos\xe9\n---\n[[Ann]]\n",
        "Latin1 body.md": b"---\ntype: contact\n---\n\n\nna\xefve [[Ann]]\n",
    }
    lines = {"Tab.md": 3, "Parser.md": 4, "Indent.md": 4, "Latin1 head.md": 3, "Latin1 body.md": 6}
    vault = make_vault({**bad, "People/Ann.md": CONTACT, "People/Bo.md": CONTACT + "[[Ann]]\n"})
    result = sync(cli, vault)
    assert result.exit_code == 1
    for rel, line in lines.items():
        assert f"{rel}:{line}: " in result.output, (rel, result.output)
        assert (vault / rel).read_bytes() == bad[rel], rel
    assert "tab" in result.output.lower()
    assert "UTF-8" in result.output
    ann = block_inner((vault / "People/Ann.md").read_text(), "connections")
    assert "[[Bo]]" in ann
    data = json.loads(sync(cli, vault, "--json").stdout)
    assert {(p["path"], p["line"]) for p in data["problems"]} == set(lines.items())
    doctor = cli("doctor", "--vault", vault, "--today", TODAY)
    assert doctor.exit_code == 1
    for rel, line in lines.items():
        assert f"{rel}:{line}:" in doctor.output, rel


@pytest.mark.parametrize("value", ["2026-02-30", "2026-13-45", "2026-01-01T25:00:00", "!!int abc"])
def test_an_impossible_date_is_reported_not_a_crash(cli, make_vault, value):
    """A typo in a date is the commonest bad front-matter there is: never a crash, the rest
    of the vault synced, and `doctor` names it at its line. A date-shaped value that is no
    day leaves the note readable (that one value is missing); other bad YAML is a problem."""
    bad = f"---\ntype: interview\ncontact: \"[[Ann]]\"\ndate: {value}\n---\n"
    vault = make_vault({"Interviews/Typo.md": bad, "People/Ann.md": CONTACT,
                        "People/Bo.md": CONTACT + "[[Ann]]\n"})
    result = sync(cli, vault)
    assert "[[Bo]]" in block_inner((vault / "People/Ann.md").read_text(), "connections")
    doctor = cli("doctor", "--vault", vault, "--today", TODAY)
    assert doctor.exit_code == 1
    if value.startswith("!!"):
        assert result.exit_code == 1 and "Interviews/Typo.md:" in result.stderr
        assert (vault / "Interviews/Typo.md").read_text() == bad
    else:
        assert result.exit_code == 0, result.output
        assert f"Interviews/Typo.md:4: property: date: no such day: {value}" in doctor.output
        assert doctor.output.count("Interviews/Typo.md") == 1


# --- 19 ----------------------------------------------------------------------------------

def test_python_tags_are_refused_and_never_run(cli, make_vault, tmp_path):
    marker = tmp_path / "pwned"
    evil = (f"---\ntype: contact\nx: !!python/object/apply:os.system [\"touch {marker}\"]\n"
            f"y: !!python/object/new:os.system [\"touch {marker}\"]\n---\n[[Ann]]\n")
    vault = make_vault({"Evil.md": evil, "People/Ann.md": CONTACT})
    for command in (("sync", "--vault", vault, "--today", TODAY),
                    ("doctor", "--vault", vault, "--today", TODAY),
                    ("status", "--vault", vault, "--today", TODAY)):
        cli(*command)
    assert not marker.exists()
    result = sync(cli, vault, "--rebuild")
    assert result.exit_code == 1 and "Evil.md:3:" in result.output
    assert (vault / "Evil.md").read_text() == evil


def test_the_size_cap_counts_bytes_not_characters():
    """The 64 KB cap on front-matter is on its UTF-8 bytes: 16,384 four-byte characters
    are over it although their count is far under it; just under it, they are read."""
    from vaultkit.vault import MAX_FRONTMATTER_BYTES, parse_note

    def note(chars: int) -> bytes:
        return ("---\nk: " + "\U0001F600" * chars + "\n---\n[[Ann]]\n").encode()

    fits = (MAX_FRONTMATTER_BYTES - len("k: \n")) // 4
    read = parse_note("Fits.md", note(fits))
    assert read.ok and not read.problems and [l.target for l in read.links] == ["Ann"]
    over = parse_note("Over.md", note(fits + 1))
    assert not over.ok and "larger than 64 KB" in over.problems[0].message
    assert over.problems[0].line == 1


def test_alias_bomb_and_huge_front_matter_are_capped(cli, make_vault):
    """A billion-laughs front-matter loads fast but explodes when walked; a 100 KB
    front-matter is refused by size. Both are reported quickly and left as they are."""
    lines = ["---", "type: contact", 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, 10):
        prev, cur = chr(96 + i), chr(97 + i)
        lines.append(f"{cur}: &{cur} [" + ",".join([f"*{prev}"] * 9) + "]")
    bomb = "\n".join(lines + ["---", "[[Ann]]", ""])
    huge = "---\ntype: contact\n" + "".join(f"k{i}: {'x' * 90}\n" for i in range(1200)) + "---\n[[Ann]]\n"
    vault = make_vault({"Bomb.md": bomb, "Huge.md": huge, "People/Ann.md": CONTACT,
                        "People/Bo.md": CONTACT + "[[Ann]]\n"})
    started = time.monotonic()
    result = sync(cli, vault)
    doctor = cli("doctor", "--vault", vault, "--today", TODAY, "--json")
    status = cli("status", "--vault", vault, "--today", TODAY, "--json")
    assert time.monotonic() - started < 10
    assert result.exit_code == 1
    assert "Bomb.md:1:" in result.output and "Huge.md:1:" in result.output
    assert (vault / "Bomb.md").read_text() == bomb and (vault / "Huge.md").read_text() == huge
    assert "[[Bo]]" in block_inner((vault / "People/Ann.md").read_text(), "connections")
    assert doctor.exit_code == 1 and status.exit_code == 0
    json.loads(doctor.stdout)
