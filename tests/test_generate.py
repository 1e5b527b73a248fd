"""Generated notes, the daily note, and init / new / status / doctor, through the real CLI."""

from __future__ import annotations

import datetime as dt
import json

import pytest
import yaml
from conftest import TODAY, run_vaultkit, snapshot

from vaultkit.moment import format_moment as moment_format
from vaultkit.markers import block_inner


def front_matter(path) -> dict:
    text = path.read_text("utf-8")
    assert text.startswith("---\n")
    return yaml.safe_load(text[4:text.index("\n---", 3)])


def sync(cli, vault, today=TODAY, *args):
    result = cli("sync", "--vault", vault, "--today", today, *args)
    assert result.exit_code in (0, 1), result.output
    return result


CONTACT = "---\ntype: contact\n{extra}---\n"


def contact(extra: str = "") -> str:
    return CONTACT.format(extra=extra)


def interview(who: str, date: str, extra: str = "", body: str = "") -> str:
    return f"---\ntype: interview\ncontact: \"[[{who}]]\"\ndate: {date}\n{extra}---\n{body}"


# -- the new-user walk-through of issue 3 -----------------------------------------------------

def test_init_new_and_sync_on_an_empty_folder(cli, tmp_path):
    vault = tmp_path / "v"
    vault.mkdir()
    env = {"VAULTKIT_TODAY": TODAY}
    assert cli("init", "--vault", vault).exit_code == 0
    assert (vault / ".vaultkit/config.toml").exists() and (vault / "Contacts.base").exists()
    assert (vault / "Templates/vaultkit/agenda.md").exists()
    assert cli("new", "contact", "Ann Lee", "--vault", vault, "--company", "Acme", "--role", "UX Lead",
               "--email", "ann@acme.example", env=env).exit_code == 0
    assert cli("new", "contact", "Bo Chen", "--vault", vault, "--referred-by", "Ann Lee", env=env).exit_code == 0
    assert cli("new", "contact", "Cy Diaz", "--vault", vault, "--referred-by", "Bo Chen", env=env).exit_code == 0
    assert cli("new", "interview", "Bo Chen", "--vault", vault, "--date", "2026-11-29", "--time", "14:30",
               "--medium", "video call", env=env).exit_code == 0
    assert cli("new", "interview", "Ann Lee", "--vault", vault, "--date", "2026-11-21", env=env).exit_code == 0
    result = sync(cli, vault)
    assert result.exit_code == 0, result.output

    agenda = vault / "Interviews/Agendas/2026-11-29 Bo Chen - agenda.md"
    text = agenda.read_text()
    assert "[[Ann Lee]] → you" in text  # how you were introduced
    assert text.index("Describe a typical day in your department") < \
        text.index("What are the employment prospects in this field?") < \
        text.index("What should the most important consideration be in my first job?") < \
        text.index("Who else should I talk to?")
    assert front_matter(agenda)["vaultkit_key"] == "agenda:2026-11-29:Bo Chen"

    thanks = vault / "Thank-yous/2026-11-21 Ann Lee - thank-you.md"
    fm = front_matter(thanks)
    assert fm["sent"] is False and fm["generated_by"] == "vaultkit"
    assert "November 21, 2026" in thanks.read_text() and "Acme" in thanks.read_text()

    daily = block_inner((vault / f"Follow-ups/{TODAY}.md").read_text(), "follow-ups")
    assert "[[2026-11-29 Bo Chen - agenda]]" in daily
    assert "thank [[Ann Lee]] for the interview 2026-11-21 — 7 days ago" in daily
    assert "contact [[Cy Diaz]] (referred by [[Bo Chen]])" in daily
    assert "[[Bo Chen]]" in block_inner((vault / "Referral Index.md").read_text(), "referrals")


# -- agendas ------------------------------------------------------------------------------------

def test_agendas_only_for_planned_interviews_within_the_horizon(cli, make_vault):
    vault = make_vault({
        "Ann.md": contact(),
        "I/2026-12-12 Ann.md": interview("Ann", "2026-12-12", "goals: [Learn about research ops]\n"),
        "I/2026-12-13 Ann.md": interview("Ann", "2026-12-13"),  # today + 15
        "I/2026-11-30 Ann.md": interview("Ann", "2026-11-30", "status: cancelled\n"),
        "I/2026-11-20 Ann.md": interview("Ann", "2026-11-20"),
    })
    sync(cli, vault)
    agendas = sorted(p.name for p in (vault / "Interviews/Agendas").glob("*.md"))
    assert agendas == ["2026-12-12 Ann - agenda.md"]
    assert "- [ ] Learn about research ops" in (vault / "Interviews/Agendas" / agendas[0]).read_text()
    # The horizon moves with today.
    sync(cli, vault, "2026-11-29")
    assert (vault / "Interviews/Agendas/2026-12-13 Ann - agenda.md").exists()


def test_agenda_lists_earlier_interviews_and_the_referral_chain(cli, make_vault):
    vault = make_vault({
        "A.md": contact(), "B.md": contact('referred_by: "[[A]]"\n'),
        "C.md": contact('referred_by: "[[B]]"\ncompany: "[[Acme]]"\n'),
        "Acme.md": "---\ntype: company\n---\n",
        "D.md": contact('company: "[[Acme]]"\n'),
        "I/2026-10-01 D.md": interview("D", "2026-10-01"),
        "I/2026-12-01 C.md": interview("C", "2026-12-01"),
    })
    sync(cli, vault)
    text = (vault / "Interviews/Agendas/2026-12-01 C - agenda.md").read_text()
    assert "[[A]] → [[B]] → you" in text
    assert "2026-10-01" in text and "[[2026-10-01 D" in text


# -- thank-yous ---------------------------------------------------------------------------------

def test_thank_you_draft_per_done_interview_names_date_company_discussion_referrals(cli, make_vault):
    vault = make_vault({
        "Ann.md": contact('company: "[[Acme]]"\nemail: ann@acme.example\n'),
        "Acme.md": "---\ntype: company\n---\n",
        "Bo.md": contact(),
        "I/2026-11-20 Ann.md": interview("Ann", "2026-11-20", 'referrals: ["[[Bo]]"]\n',
                                         "## Notes\n- How research ops teams are staffed\n"),
        "I/2026-11-10 Ann.md": interview("Ann", "2026-11-10", "thank_you_sent: 2026-11-11\n"),
    })
    sync(cli, vault)
    drafts = sorted(p.name for p in (vault / "Thank-yous").glob("*.md"))
    assert drafts == ["2026-11-20 Ann - thank-you.md", "Ann - referral of Bo.md"]
    text = (vault / "Thank-yous/2026-11-20 Ann - thank-you.md").read_text()
    assert "November 20, 2026" in text and "Acme" in text
    assert "How research ops teams are staffed" in text and "Bo" in text
    referral = (vault / "Thank-yous/Ann - referral of Bo.md").read_text()
    assert front_matter(vault / "Thank-yous/Ann - referral of Bo.md")["sent"] is False
    assert "Bo" in referral and "Dear Ann" in referral


def test_referral_thank_you_once_the_referred_person_is_met(cli, make_vault):
    vault = make_vault({"Ann.md": contact(), "Bo.md": contact('referred_by: "[[Ann]]"\n'),
                        "I/2026-12-01 Bo.md": interview("Bo", "2026-12-01")})
    sync(cli, vault)
    assert not (vault / "Thank-yous/Ann - referral of Bo.md").exists()
    sync(cli, vault, "2026-12-02")  # the interview with Bo is now done (no status: by date)
    assert (vault / "Thank-yous/Ann - referral of Bo.md").exists()
    assert "We met on" in (vault / "Thank-yous/Ann - referral of Bo.md").read_text() or \
        "2026-12-01" in (vault / "Thank-yous/Ann - referral of Bo.md").read_text() or \
        "December 1, 2026" in (vault / "Thank-yous/Ann - referral of Bo.md").read_text()


def test_marking_a_draft_sent_clears_it_from_the_daily_note(cli, make_vault):
    vault = make_vault({"Ann.md": contact("status: met\n"), "I/2026-11-20 Ann.md": interview("Ann", "2026-11-20")})
    sync(cli, vault)
    draft = vault / "Thank-yous/2026-11-20 Ann - thank-you.md"
    daily = vault / f"Follow-ups/{TODAY}.md"
    assert "thank [[Ann]]" in block_inner(daily.read_text(), "follow-ups")
    draft.write_text(draft.read_text().replace("sent: false", "sent: 2026-11-27"))
    sync(cli, vault)
    inner = block_inner(daily.read_text(), "follow-ups")
    assert "thank [[Ann]]" not in inner
    assert "1 thank-you sent" in inner
    assert "**Last interaction:** 2026-11-27" in (vault / "Ann.md").read_text()
    # `thank_you_sent: true` on the interview counts as sent too, but not as an interaction.
    draft.unlink()
    (vault / "I/2026-11-20 Ann.md").write_text(interview("Ann", "2026-11-20", "thank_you_sent: true\n"))
    sync(cli, vault)
    assert not draft.exists()
    assert "thank [[Ann]]" not in block_inner(daily.read_text(), "follow-ups")


# -- the daily note -----------------------------------------------------------------------------

def test_daily_note_sections(cli, make_vault):
    vault = make_vault({
        "Ann.md": contact("status: met\nlast_contacted: 2026-10-01\n"),
        "Bo.md": contact('referred_by: "[[Ann]]"\n'),
        "Cy.md": contact("status: contacted\nnext_follow_up: 2026-11-28\nlast_contacted: 2026-11-27\n"),
        "Dee.md": contact("status: met\nlast_contacted: 2026-10-29\n"),  # exactly 30 days: not quiet
        "I/2026-12-05 Cy.md": interview("Cy", "2026-12-05", 'time: "09:30"\n'),
        "I/2026-12-06 Cy.md": interview("Cy", "2026-12-06"),  # today + 8: not upcoming
    })
    sync(cli, vault)
    inner = block_inner((vault / f"Follow-ups/{TODAY}.md").read_text(), "follow-ups")
    up = inner.split("**Thank-yous owed**")[0]
    assert "2026-12-05 09:30 · [[Cy]]" in up and "2026-12-06" not in up
    assert "contact [[Bo]] (referred by [[Ann]])" in inner
    assert "[[Cy]] — follow-up due 2026-11-28" in inner
    quiet = inner.split("**Quiet contacts**")[1]
    assert "[[Ann]] — last interaction 2026-10-01 (58 days ago)" in quiet and "[[Dee]]" not in quiet


def test_the_day_after_gets_a_new_note_and_yesterdays_is_never_touched(cli, make_vault):
    vault = make_vault({"Ann.md": contact(), "I/2026-11-29 Ann.md": interview("Ann", "2026-11-29")})
    sync(cli, vault)
    yesterday = vault / f"Follow-ups/{TODAY}.md"
    before = yesterday.read_bytes()
    stamp = yesterday.stat().st_mtime_ns
    (vault / "Bo.md").write_text(contact('referred_by: "[[Ann]]"\n'))
    sync(cli, vault, "2026-11-29")
    assert yesterday.read_bytes() == before and yesterday.stat().st_mtime_ns == stamp
    today = vault / "Follow-ups/2026-11-29.md"
    assert today.exists() and "contact [[Bo]]" in block_inner(today.read_text(), "follow-ups")


def test_user_text_in_the_daily_note_survives_refreshes(cli, make_vault):
    vault = make_vault({"Ann.md": contact()})
    sync(cli, vault)
    daily = vault / f"Follow-ups/{TODAY}.md"
    daily.write_text(daily.read_text() + "\nCalled Ann, left a message.\n")
    (vault / "Bo.md").write_text(contact('referred_by: "[[Ann]]"\n'))
    sync(cli, vault)
    text = daily.read_text()
    assert text.endswith("\nCalled Ann, left a message.\n") and "contact [[Bo]]" in text


@pytest.mark.parametrize("settings, expected", [
    ({"folder": "Journal", "format": "YYYY/MM/DD ddd"}, "Journal/2026/11/28 Sat.md"),
    ({"folder": "", "format": "D MMMM YYYY"}, "28 November 2026.md"),
    ({}, "2026-11-28.md"),
])
def test_obsidian_daily_note_mode(cli, make_vault, settings, expected):
    vault = make_vault({
        ".vaultkit/config.toml": 'daily = "obsidian"\n',
        ".obsidian/daily-notes.json": json.dumps({**settings, "template": "Tpl/Daily"}),
        "Tpl/Daily.md": "# {{title}}\n\nDate: {{date:dddd}}\n",
        "Ann.md": contact(), "Bo.md": contact('referred_by: "[[Ann]]"\n'),
    })
    sync(cli, vault)
    note = vault / expected
    assert note.exists(), sorted(p.relative_to(vault).as_posix() for p in vault.rglob("*.md"))
    text = note.read_text()
    assert text.startswith(f"# {note.stem}\n\nDate: Saturday\n")
    assert "contact [[Bo]]" in block_inner(text, "follow-ups")
    assert not (vault / "Follow-ups").exists()


def test_obsidian_mode_uses_an_existing_daily_note_and_periodic_notes(cli, make_vault):
    vault = make_vault({
        ".vaultkit/config.toml": 'daily = "obsidian"\n',
        ".obsidian/plugins/periodic-notes/data.json": json.dumps({"daily": {"folder": "Daily", "format": "YYYY-MM-DD"}}),
        "Daily/2026-11-28.md": "My day.\n",
        "Ann.md": contact(), "Bo.md": contact('referred_by: "[[Ann]]"\n'),
    })
    sync(cli, vault)
    text = (vault / "Daily/2026-11-28.md").read_text()
    assert text.startswith("My day.\n\n<!-- vaultkit:begin follow-ups -->\n")


def test_moment_tokens():
    d = dt.date(2026, 3, 5)
    assert moment_format("YYYY-MM-DD", d) == "2026-03-05"
    assert moment_format("YY M D", d) == "26 3 5"
    assert moment_format("ddd, dddd MMM MMMM", d) == "Thu, Thursday Mar March"
    assert moment_format("[Week of] YYYY/MM", d) == "Week of 2026/03"


# -- overrides, init, new -------------------------------------------------------------------------

def test_a_user_template_overrides_the_packaged_one(cli, make_vault):
    vault = make_vault({
        "Templates/vaultkit/agenda.md": "---\ntype: agenda\n---\nMy agenda for {{ contact.name }}\n",
        "Ann.md": contact(), "I/2026-11-30 Ann.md": interview("Ann", "2026-11-30"),
    })
    sync(cli, vault)
    agenda = vault / "Interviews/Agendas/2026-11-30 Ann - agenda.md"
    assert "My agenda for Ann" in agenda.read_text()
    fm = front_matter(agenda)  # the key is added even though the template forgot it
    assert fm["vaultkit_key"] == "agenda:2026-11-30:Ann" and fm["generated_by"] == "vaultkit"


def test_a_template_error_names_file_and_line_and_the_rest_syncs(cli, make_vault):
    vault = make_vault({
        "Templates/vaultkit/agenda.md": "---\ntype: agenda\n---\n{{ persn }}\n",
        "Ann.md": contact(), "Bo.md": contact('referred_by: "[[Ann]]"\n'),
        "I/2026-11-30 Ann.md": interview("Ann", "2026-11-30"),
    })
    result = cli("sync", "--vault", vault, "--today", TODAY)
    assert result.exit_code == 1
    assert "Templates/vaultkit/agenda.md:4:" in result.output
    assert not (vault / "Interviews/Agendas").exists()
    assert "[[Bo]]" in block_inner((vault / "Ann.md").read_text(), "connections")


def test_init_never_overwrites(cli, make_vault):
    vault = make_vault({"Templates/vaultkit/agenda.md": "mine\n", "Contacts.base": "mine\n"})
    result = cli("init", "--vault", vault)
    assert result.exit_code == 0
    assert (vault / "Templates/vaultkit/agenda.md").read_text() == "mine\n"
    assert (vault / "Contacts.base").read_text() == "mine\n"
    assert "kept" in result.output
    before = snapshot(vault)
    assert cli("init", "--vault", vault).exit_code == 0
    assert snapshot(vault) == before
    config = (vault / ".vaultkit/config.toml").read_text()
    assert "quiet_days = 30" in config and "# a contact is quiet" in config


@pytest.mark.parametrize("name, stem", [
    ("Dana O'Neil", "Dana O'Neil"),
    ("Ana: CEO", "Ana CEO"),
    ("x\nevil: true", "x evil true"),
    ("../../etc/passwd", "etc passwd"),
    ("A/B: C?", "A B C"),
])
def test_new_contact_stores_names_literally_in_safe_files(cli, make_vault, name, stem):
    vault = make_vault({})
    result = cli("new", "contact", name, "--vault", vault, "--role", name)
    assert result.exit_code == 0, result.output
    path = vault / "People" / f"{stem}.md"
    assert path.exists(), sorted(p.name for p in (vault / "People").iterdir())
    fm = front_matter(path)
    assert fm["name"] == name and fm["role"] == name and "evil" not in fm
    # Written only inside the vault.
    assert all(p.resolve().is_relative_to(vault.resolve()) for p in vault.rglob("*"))


def test_new_never_overwrites_an_existing_note(cli, make_vault):
    """`new contact "ann lee"` beside People/Ann Lee.md says the note exists (exit 2),
    rather than making `ann lee 2.md`; the note is left as it is."""
    vault = make_vault({"People/Ann Lee.md": "mine\n"})
    result = cli("new", "contact", "ann lee", "--vault", vault)
    assert result.exit_code == 2
    assert "People/Ann Lee.md" in result.stderr and "exists already" in result.stderr
    assert (vault / "People/Ann Lee.md").read_text() == "mine\n"
    assert sorted(p.name for p in (vault / "People").iterdir()) == ["Ann Lee.md"]


def test_new_interview_links_the_contact_and_sets_status_by_date(cli, make_vault):
    vault = make_vault({"People/Ann Lee.md": contact('company: "[[Acme]]"\n'), "Acme.md": "---\ntype: company\n---\n"})
    env = {"VAULTKIT_TODAY": TODAY}
    assert cli("new", "interview", "Ann Lee", "--vault", vault, "--date", "2026-12-01", "--time", "09:00",
               env=env).exit_code == 0
    fm = front_matter(vault / "Interviews/2026-12-01 Ann Lee.md")
    assert fm["contact"] == "[[Ann Lee]]" and fm["status"] == "planned" and fm["time"] == "09:00"
    assert fm["company"] == "[[Acme]]"
    assert cli("new", "interview", "Ann Lee", "--vault", vault, "--date", "2026-11-01", env=env).exit_code == 0
    assert front_matter(vault / "Interviews/2026-11-01 Ann Lee.md")["status"] == "done"
    assert cli("new", "interview", "Ann Lee", "--vault", vault, "--date", "soon").exit_code == 2
    assert cli("new", "interview", "Ann Lee", "--vault", vault, "--date", "2026-12-01",
               "--time", "25:99").exit_code == 2


# -- status and doctor ---------------------------------------------------------------------------

def test_status_prints_todays_follow_ups_and_writes_nothing(cli, sample_copy):
    before = snapshot(sample_copy)
    result = cli("status", "--vault", sample_copy, "--today", TODAY)
    assert result.exit_code == 0
    assert "Upcoming interviews (2)" in result.output
    assert "Sofia Lindqvist" in result.output and "Referrals not yet contacted (3)" in result.output
    assert snapshot(sample_copy) == before and not (sample_copy / ".vaultkit").exists()
    data = json.loads(cli("status", "--vault", sample_copy, "--today", TODAY, "--json").output)
    assert data["today"] == TODAY
    assert {r["contact"]["name"] for r in data["referrals_not_contacted"]} == \
        {"Kwame Asante", "Owen Fitzgerald", "Ruth Castellanos"}
    assert [u["date"] for u in data["upcoming"]] == ["2026-12-01", "2026-12-03"]


def test_doctor_on_the_sample_vault(cli, sample_copy):
    before = snapshot(sample_copy)
    result = cli("doctor", "--vault", sample_copy, "--today", TODAY)
    assert result.exit_code == 1
    out = result.output
    # An ordinary note's link to a note not written yet is an Obsidian placeholder: only --all shows it.
    assert "unresolved-link" not in out and "--all shows them" in out
    assert "ambiguous-link: [[Portfolio]]" in out
    assert "referral-cycle" in out and "Grace Adeyemi" in out
    assert out.splitlines()[-1].startswith("doctor: 6 findings — 5 ambiguous-link, 1 referral-cycle")
    every = cli("doctor", "--vault", sample_copy, "--today", TODAY, "--all").output
    assert "Notes/Reading List.md:12: unresolved-link: [[Just Enough Research - chapter notes]]" in every
    assert every.count("unresolved-link") == 2  # the finding and the counts
    only = cli("doctor", "--vault", sample_copy, "--today", TODAY, "--all", "--only", "unresolved-link")
    assert only.exit_code == 1 and only.output.splitlines() == [
        "Notes/Reading List.md:12: unresolved-link: [[Just Enough Research - chapter notes]] does not resolve to any note",
        "doctor: 1 finding — 1 unresolved-link"]
    assert snapshot(sample_copy) == before
    data = json.loads(cli("doctor", "--vault", sample_copy, "--json").output)
    assert data["count"] == len(data["findings"]) == sum(data["counts"].values()) > 0
    assert data["counts"] == {"ambiguous-link": 5, "referral-cycle": 1} and data["outside_scope"] == 2


def test_doctor_reports_each_kind(cli, make_vault):
    vault = make_vault({
        "Ann.md": contact("email: a@x.example\nstatus: friend\n"),
        "Ann2.md": contact("name: Ann\nemail: A@x.example\n"),
        "Bad.md": "---\ntitle: a: b\n---\n",
        "Broken.md": contact() + "<!-- vaultkit:end connections -->\n",
        "I.md": "---\ntype: interview\ncontact: Nobody\n---\n",
    })
    out = cli("doctor", "--vault", vault).output
    for kind in ("duplicate-contact", "property", "frontmatter", "markers", "unresolved-link"):
        assert kind in out, kind
    assert "unknown contact status 'friend'" in out and "an interview needs a date" in out


def test_doctor_exit_0_on_a_clean_vault(cli, make_vault):
    vault = make_vault({"Ann.md": contact(), "Bo.md": contact('referred_by: "[[Ann]]"\n')})
    result = cli("doctor", "--vault", vault)
    assert result.exit_code == 0 and "nothing to report" in result.output


@pytest.mark.parametrize("command", [[], ["sync"], ["watch"], ["init"], ["new"], ["new", "contact"],
                                     ["new", "interview"], ["status"], ["doctor"]])
def test_every_command_has_help(cli, command):
    result = cli(*command, "--help")
    assert result.exit_code == 0 and "Usage:" in result.output and "--help" in result.output


def test_cli_as_a_subprocess(sample_copy):
    result = run_vaultkit("sync", "--vault", sample_copy, "--today", TODAY, "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["written"] > 0
    result = run_vaultkit("status", "--vault", sample_copy, "--today", TODAY)
    assert result.returncode == 0 and "Thank-yous owed" in result.stdout


@pytest.mark.parametrize("key", ["agenda:2026-11-28:Ann Lee", "thank-you:2026-11-28:O'Brien",
                                 "agenda:2026-11-28:Ann: Lee #1", "agenda:2026-11-28:'quoted'",
                                 "agenda:2026-11-28:- dash", "agenda:2026-11-28:Zoë \"Z\" Ng", " padded "])
def test_a_generated_notes_key_is_written_as_the_yaml_filter_writes_a_value(key):
    """One way to write a value into front-matter: the key line of a generated note is what
    templates' `yaml` filter gives, on one line, and it loads back to the key."""
    import yaml

    from vaultkit.generate import ensure_keys
    from vaultkit.render import yaml_value
    text = ensure_keys("---\ntitle: x\n---\nBody\n", key)
    line = next(l for l in text.splitlines() if l.startswith("vaultkit_key:"))
    assert line == f"vaultkit_key: {yaml_value(key)}"
    assert yaml.safe_load(line)["vaultkit_key"] == key
