"""Every bad property value is named by `doctor` at its line, once, with advice that works;
the note is still read with that one value missing. Through the real CLI on real files."""

from __future__ import annotations

import pytest
from conftest import TODAY

from vaultkit.markers import block_inner

ANN = "---\ntype: contact\n---\n"


def _doctor(cli, vault) -> str:
    result = cli("doctor", "--vault", vault, "--today", TODAY)
    assert result.exit_code == 1, result.output
    return result.output


def _sync(cli, vault, code: int = 0):
    result = cli("sync", "--vault", vault, "--today", TODAY)
    assert result.exit_code == code, result.output
    return result


def test_unquoted_impossible_date_keeps_the_note_readable(cli, make_vault):
    vault = make_vault({
        "People/Ann.md": ANN,
        "Interviews/Typo.md": "---\ntype: interview\ncontact: \"[[Ann]]\"\nmedium: Zoom\n"
                              "date: 2026-02-30\n---\n",
    })
    _sync(cli, vault)
    # The interview is read (it shows in Ann's block), its date missing.
    assert "[[Typo]]" in block_inner((vault / "People/Ann.md").read_text(), "connections")
    out = _doctor(cli, vault)
    assert "Interviews/Typo.md:5: property: date: no such day: 2026-02-30" in out
    assert "quote it" not in out and "needs a date" not in out
    assert out.count("Interviews/Typo.md") == 1


def test_quoted_impossible_date_is_reported_once(cli, make_vault):
    vault = make_vault({
        "People/Ann.md": ANN,
        "Interviews/Typo.md": "---\ntype: interview\ncontact: \"[[Ann]]\"\ndate: \"2026-02-30\"\n---\n",
    })
    out = _doctor(cli, vault)
    assert "Interviews/Typo.md:4: property: date: no such day: 2026-02-30" in out
    assert out.count("Interviews/Typo.md") == 1


@pytest.mark.parametrize("written", ["25:99", "\"25:99\""])
def test_impossible_time_is_reported_and_not_shown(cli, make_vault, written):
    vault = make_vault({
        "People/Ann.md": ANN,
        "Interviews/Soon.md": f"---\ntype: interview\ncontact: \"[[Ann]]\"\ndate: 2026-11-30\ntime: {written}\n---\n",
    })
    _sync(cli, vault)
    agenda = (vault / "Interviews/Agendas/2026-11-30 Ann - agenda.md").read_text()
    assert "25:99" not in agenda and "1599" not in agenda
    out = _doctor(cli, vault)
    assert "Interviews/Soon.md:5: property: time: not a time of day: 25:99" in out


@pytest.mark.parametrize("written, shown", [("9:05", "09:05"), ("\"14:30\"", "14:30"), ("2:30 pm", "2:30 pm")])
def test_a_time_of_day_is_not_reported(cli, make_vault, written, shown):
    vault = make_vault({
        "People/Ann.md": ANN,
        "Interviews/Soon.md": f"---\ntype: interview\ncontact: \"[[Ann]]\"\ndate: 2026-11-30\ntime: {written}\n---\n",
    })
    _sync(cli, vault)
    assert shown in (vault / "Interviews/Agendas/2026-11-30 Ann - agenda.md").read_text()
    assert cli("doctor", "--vault", vault, "--today", TODAY).exit_code == 0


def test_repeated_key_is_reported_at_its_line(cli, make_vault):
    vault = make_vault({
        "People/Ann.md": "---\ntype: contact\nstatus: met\nrole: Lead\nstatus: contacted\n---\n",
        "People/Bo.md": "---\ntype: contact\nrole: x\ncompany: [Acme]\n# a comment\nrole: y\n---\n",
    })
    out = _doctor(cli, vault)
    assert "People/Ann.md:5: property: status: repeated key (also on line 3)" in out
    assert "People/Bo.md:6: property: role: repeated key (also on line 3)" in out


@pytest.mark.parametrize("prop, value", [("referred_by", "42"), ("company", "7"), ("referred_by", "{a: Ann}")])
def test_a_link_property_that_names_nobody_is_reported(cli, make_vault, prop, value):
    vault = make_vault({"People/Ann.md": ANN, "People/Bo.md": f"---\ntype: contact\n{prop}: {value}\n---\n"})
    _sync(cli, vault)
    assert "[[Bo]]" not in block_inner((vault / "People/Ann.md").read_text(), "connections")
    out = _doctor(cli, vault)
    assert f"People/Bo.md:3: property: {prop}: " in out and "is not a name or a link" in out


@pytest.mark.parametrize("value", ["5", "{a: Ann}"])
def test_an_interview_contact_that_is_no_name_is_reported(cli, make_vault, value):
    vault = make_vault({
        "People/Ann.md": ANN,
        "Interviews/I.md": f"---\ntype: interview\ncontact: {value}\ndate: 2026-11-20\n---\n",
    })
    _sync(cli, vault)
    # `{a: Ann}` is no link to Ann (it was taken as one).
    assert "[[I]]" not in block_inner((vault / "People/Ann.md").read_text(), "connections")
    out = _doctor(cli, vault)
    assert "Interviews/I.md:3: property: contact: " in out and "is not a name or a link" in out


def test_a_done_interview_in_the_future_is_reported(cli, make_vault):
    vault = make_vault({
        "People/Ann.md": ANN,
        "Interviews/I.md": "---\ntype: interview\ncontact: \"[[Ann]]\"\ndate: 2026-12-10\nstatus: done\n---\n",
    })
    out = _doctor(cli, vault)
    assert "Interviews/I.md:5: property: status: done, but the interview is dated 2026-12-10" in out


def test_front_matter_that_is_a_single_value_is_reported(cli, make_vault):
    vault = make_vault({"People/Ann.md": ANN, "Notes/N.md": "---\ntype contact\n---\nAbout [[Ann]]\n"})
    out = _doctor(cli, vault)
    assert "Notes/N.md:2: frontmatter: the front-matter is a single value (type contact)" in out


def test_cr_only_line_endings_are_read_as_lines_and_kept(cli, make_vault):
    bo = "---\rtype: contact\rreferred_by: \"[[Ann]]\"\r---\rNotes\r"
    vault = make_vault({"People/Ann.md": ANN, "People/Bo.md": bo.encode()})
    _sync(cli, vault)
    # Bo is a contact referred by Ann, and his block is written with his line endings.
    assert "**Referred you to**\n- [[Bo]]" in block_inner((vault / "People/Ann.md").read_text(), "connections")
    data = (vault / "People/Bo.md").read_bytes()
    assert data.startswith(bo.encode()) and b"\n" not in data
    assert "**Referred by**\r- [[Ann]]\r" in data.decode()
    _sync(cli, vault)
    assert (vault / "People/Bo.md").read_bytes() == data  # and nothing more to do
    out = _doctor(cli, vault)
    assert "People/Bo.md:1: line-endings: the note's lines end in CR only" in out


def test_new_interview_with_an_impossible_date_says_no_such_day(cli, make_vault):
    vault = make_vault({".obsidian/app.json": "{}", "People/Ann.md": ANN})
    result = cli("new", "interview", "Ann", "--vault", vault, "--date", "2026-02-30",
                 env={"VAULTKIT_TODAY": TODAY})
    assert result.exit_code == 2
    assert "no such day: 2026-02-30" in result.output
