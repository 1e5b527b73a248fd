"""Obsidian's own settings: templates folders, Excluded files, the daily note as Obsidian and
Periodic Notes make it. Vaults carry the settings files as Obsidian writes them."""

from __future__ import annotations

import datetime as dt
import json
import logging

import pytest
from conftest import TODAY, snapshot

from vaultkit.batch import apply_batch
from vaultkit.daily import fill_template
from vaultkit.markers import block_inner
from vaultkit.obsidian import LinkSettings, daily_settings, link_settings
from vaultkit.scope import exclusion_rule
from vaultkit.sync import Session


def obsidian_json(data) -> str:
    """JSON as Obsidian saves its settings: two-space indent, no trailing newline."""
    return json.dumps(data, indent=2)


def contact(extra: str = "") -> str:
    return f"---\ntype: contact\n{extra}---\n"


def sync(cli, vault, today=TODAY):
    result = cli("sync", "--vault", vault, "--today", today)
    assert result.exit_code == 0, result.output
    return result


def under(snap: dict[str, bytes], *prefixes: str) -> dict[str, bytes]:
    return {p: b for p, b in snap.items() if p.startswith(prefixes)}


# -- templates folders and Excluded files ------------------------------------------------------

EXCLUDED_VAULT = {
    ".obsidian/app.json": obsidian_json({"userIgnoreFilters": ["Archive/", "/^Old .*\\.md$/"],
                                         "alwaysUpdateLinks": True, "useMarkdownLinks": False}),
    ".obsidian/templates.json": obsidian_json({"folder": "Templates", "dateFormat": "YYYY-MM-DD"}),
    ".obsidian/plugins/templater-obsidian/data.json": obsidian_json({
        "command_timeout": 5, "templates_folder": "Meta/Templater", "templates_pairs": [["", ""]],
        "trigger_on_file_creation": False, "enable_system_commands": False}),
    # a contact template, as the core Templates plugin fills it: its front-matter is no YAML yet
    "Templates/Contact.md": "---\ntype: contact\ncreated: {{date}}\nreferred_by: \"[[Ann]]\"\n---\n# {{title}}\n",
    "Templates/Plain.md": "A template linking [[Ann]].\n",
    "Meta/Templater/Meeting.md": ("---\ntype: interview\ncontact: \"[[Ann]]\"\ndate: <% tp.date.now() %>\n"
                                  "status: done\n---\n<% tp.file.cursor() %>\n"),
    "Archive/Zed.md": contact('referred_by: "[[Ann]]"\nstatus: contacted\nnext_follow_up: 2026-11-01\n'),
    "Old Contact.md": contact('referred_by: "[[Ann]]"\nnext_follow_up: 2026-11-01\n'),
    "People/Ann.md": contact() + "Use [[Templates/Contact]] for new people; see [[Zed]].\n",
    "People/Bo.md": contact('referred_by: "[[Ann]]"\nnext_follow_up: 2026-11-01\n'),
}


def test_templates_and_excluded_files_are_only_link_targets(cli, make_vault):
    vault = make_vault(EXCLUDED_VAULT)
    before = snapshot(vault)
    sync(cli, vault)
    after = snapshot(vault)
    kept = ("Templates/", "Meta/", "Archive/", "Old Contact.md")
    assert under(after, *kept) == under(before, *kept)  # byte for byte, nothing created there
    ann = block_inner((vault / "People/Ann.md").read_text(), "connections")
    assert "[[Bo]]" in ann and "Zed" not in ann and "Old Contact" not in ann and "Templates" not in ann
    assert "Meeting" not in ann
    index = (vault / "Referral Index.md").read_text()
    assert "[[Bo]]" in index and "Zed" not in index and "Old Contact" not in index
    daily = (vault / f"Follow-ups/{TODAY}.md").read_text()
    assert "[[Bo]]" in daily and "Zed" not in daily and "Old Contact" not in daily
    assert not (vault / "Thank-yous").exists()  # the Templater meeting is no done interview
    doctor = cli("doctor", "--vault", vault, "--today", TODAY, "--json")
    findings = json.loads(doctor.output)["findings"]
    assert not [f for f in findings if f["path"].startswith(kept)], findings
    assert not [f for f in findings if "Templates/Contact" in f["message"] or "[[Zed]]" in f["message"]]
    again = cli("sync", "--vault", vault, "--today", TODAY)
    assert again.exit_code == 0 and "wrote 0 files" in again.output, again.output
    assert snapshot(vault) == after


def test_an_archived_contact_stops_counting_once_excluded(cli, make_vault):
    files = {k: v for k, v in EXCLUDED_VAULT.items() if k != ".obsidian/app.json"}
    vault = make_vault(files)
    sync(cli, vault)
    assert "[[Zed]]" in (vault / "Referral Index.md").read_text()  # not excluded yet: a contact
    (vault / ".obsidian/app.json").write_text(EXCLUDED_VAULT[".obsidian/app.json"])
    sync(cli, vault)
    assert "Zed" not in block_inner((vault / "Referral Index.md").read_text(), "referrals")
    assert "Zed" not in block_inner((vault / "People/Ann.md").read_text(), "connections")


def test_vaultkits_own_templates_folder_is_a_link_target_not_a_note(cli, make_vault):
    vault = make_vault({
        ".vaultkit/config.toml": 'templates_folder = "My Templates"\n',
        "My Templates/contact.md": contact('referred_by: "[[Ann]]"\n'),
        "People/Ann.md": contact() + "How to add people: [[contact]].\n",
    })
    before = snapshot(vault)
    sync(cli, vault)
    assert snapshot(vault)["My Templates/contact.md"] == before["My Templates/contact.md"]
    assert "[[contact]]" not in (vault / "Referral Index.md").read_text()
    doctor = cli("doctor", "--vault", vault, "--today", TODAY, "--json")
    assert not [f for f in json.loads(doctor.output)["findings"] if f["kind"] == "unresolved-link"]


def test_a_watch_pass_keeps_a_new_template_out(make_vault):
    vault = make_vault({k: v for k, v in EXCLUDED_VAULT.items()})
    session = Session(vault, dt.date.fromisoformat(TODAY))
    try:
        session.sync()
        ann_before = (vault / "People/Ann.md").read_bytes()
        (vault / "Templates/Referral.md").write_text(contact('referred_by: "[[Ann]]"\n'))
        (vault / "Archive/Yan.md").write_text(contact('referred_by: "[[Ann]]"\n'))
        report, _ = apply_batch(session, ["Templates/Referral.md", "Archive/Yan.md"], settle_seconds=0)
        assert report.written == 0 and not report.problems
        assert (vault / "People/Ann.md").read_bytes() == ann_before
        # ...and a new template is a link target at once, as sync would have it
        (vault / "Notes.md").write_text("See [[Templates/Referral]].\n")
        apply_batch(session, ["Notes.md"], settle_seconds=0)
        assert "Notes.md" not in session.index.unresolved
    finally:
        session.close()


@pytest.mark.parametrize("filters, path, expected", [
    (["Archive/"], "Archive/Zed.md", True),
    (["Archive/"], "Archived.md", False),
    (["Archive"], "Archived/Zed.md", True),  # Obsidian matches the start of the path
    (["/\\d{4}-\\d{2}-\\d{2}/"], "Journal/2026-12-04.md", True),
    (["/\\d{4}-\\d{2}-\\d{2}/"], "People/Ann.md", False),
    (["/[unclosed/", "Archive/"], "Archive/Zed.md", True),
    (["/"], "People/Ann.md", False),
])
def test_exclusion_rule(make_vault, filters, path, expected):
    vault = make_vault({".obsidian/app.json": obsidian_json({"userIgnoreFilters": filters})})
    assert exclusion_rule(vault)(path) is expected


def test_link_settings_are_read(make_vault):
    vault = make_vault({".obsidian/app.json": obsidian_json({"useMarkdownLinks": True, "newLinkFormat": "relative"})})
    assert link_settings(vault) == LinkSettings(True, "relative")
    assert link_settings(make_vault({}, name="empty")) == LinkSettings(None, None)


# -- the daily note ---------------------------------------------------------------------------

OBSIDIAN_MODE = {".vaultkit/config.toml": 'daily = "obsidian"\n', "People/Ann.md": contact(),
                 "People/Bo.md": contact('referred_by: "[[Ann]]"\n')}
CORE = ".obsidian/daily-notes.json"
PERIODIC = ".obsidian/plugins/periodic-notes/data.json"
PLUGINS = ".obsidian/core-plugins.json"


def daily_vault(make_vault, files: dict):
    return make_vault({**OBSIDIAN_MODE, **files})


def made(vault) -> list[str]:
    return sorted(p.relative_to(vault).as_posix() for p in vault.rglob("*.md")
                  if not p.relative_to(vault).as_posix().startswith(("People/", "Tpl/", "Referral Index", "Reviews/")))


@pytest.mark.parametrize("files, expected", [
    # Periodic Notes' daily settings win over the core plugin's when enabled…
    ({CORE: obsidian_json({"folder": "Core", "format": "YYYY-MM-DD"}),
      PERIODIC: obsidian_json({"daily": {"enabled": True, "folder": "Periodic", "format": "dddd, MMMM Do YYYY",
                                         "template": ""}, "weekly": {"enabled": False}})},
     "Periodic/Friday, December 4th 2026.md"),
    # …not when disabled
    ({CORE: obsidian_json({"folder": "Core", "format": "YYYY-MM-DD"}),
      PERIODIC: obsidian_json({"daily": {"enabled": False, "folder": "Periodic", "format": "YYYY"}})},
     "Core/2026-12-04.md"),
    # Periodic Notes 1.0: the active calendar set's `day`
    ({PERIODIC: obsidian_json({"showGettingStartedBanner": False, "activeCalendarSet": "Work", "calendarSets": [
        {"id": "Default", "day": {"enabled": True, "folder": "Wrong", "format": "YYYY"}},
        {"id": "Work", "ctime": "2026-01-01T00:00:00Z",
         "day": {"enabled": True, "folder": "Journal/Daily", "format": "gggg/[W]ww/YYYY-MM-DD",
                 "templatePath": "Tpl/Daily.md"},
         "week": {"enabled": False}}]}),
      "Tpl/Daily.md": "# {{title}}\n"},
     "Journal/Daily/2026/W49/2026-12-04.md"),
    # the core plugin turned on in core-plugins.json, never configured: its defaults
    ({PLUGINS: obsidian_json(["file-explorer", "daily-notes", "templates"])}, "2026-12-04.md"),
    ({PLUGINS: obsidian_json({"file-explorer": True, "daily-notes": True})}, "2026-12-04.md"),
    # turned off, and nothing else set: vaultkit's own daily note
    ({PLUGINS: obsidian_json({"file-explorer": True, "daily-notes": False})}, "Follow-ups/2026-12-04.md"),
    # broken Periodic Notes settings: logged, the core plugin's used
    ({PERIODIC: '{"daily": {"enabled": true,', CORE: obsidian_json({"format": "DD.MM.YYYY"})}, "04.12.2026.md"),
])
def test_which_daily_note(cli, make_vault, files, expected):
    vault = daily_vault(make_vault, files)
    sync(cli, vault, "2026-12-04")
    assert made(vault) == [expected]
    assert "[[Bo]]" in block_inner((vault / expected).read_text(), "follow-ups")


def test_broken_settings_are_logged_not_fatal(make_vault, caplog):
    vault = make_vault({PERIODIC: '{"daily": ', CORE: obsidian_json({"folder": "D"})})
    with caplog.at_level(logging.WARNING):
        settings = daily_settings(vault)
    assert settings is not None and settings.folder == "D" and settings.source == "daily-notes"
    assert any("periodic-notes/data.json" in r.getMessage() and "JSON" in r.getMessage() for r in caplog.records)


def test_settings_symlinked_out_of_the_vault_are_not_read(make_vault, tmp_path):
    outside = tmp_path / "elsewhere.json"
    outside.write_text(obsidian_json({"folder": "Leaked", "format": "YYYY"}))
    vault = make_vault({PLUGINS: obsidian_json(["daily-notes"])})
    (vault / CORE).symlink_to(outside)
    settings = daily_settings(vault)
    assert settings is not None and settings.folder == "" and settings.format == "YYYY-MM-DD"


KEPANO = """---
tags:
  - daily
created: {{date}} {{time}}
---
# {{title}}

<< [[{{date-1d}}]] | [[{{date+1d}}]] >>
{{date:dddd D MMMM}} · week {{date:gggg-[W]ww}} · {{DATE:YYYY}}
Yesterday: [[{{yesterday}}]] · tomorrow: [[{{tomorrow}}]]
Next week: {{date+1w:YYYY-MM-DD}} · last month: {{date-1M:YYYY-MM-DD}} · next year: {{date+1y:YYYY}}
At {{time:HH:mm}}, plus two hours {{time+2h:HH:mm}}; {{ date }}
"""


def test_the_daily_template_is_filled_as_obsidian_fills_it(cli, make_vault):
    files = {CORE: obsidian_json({"folder": "Daily", "format": "YYYY-MM-DD", "template": "Tpl/Daily"}),
             "Tpl/Daily.md": KEPANO}
    vault = daily_vault(make_vault, files)
    sync(cli, vault, "2026-12-31")
    text = (vault / "Daily/2026-12-31.md").read_text()
    assert text.startswith("""---
tags:
  - daily
created: 2026-12-31 00:00
---
# 2026-12-31

<< [[2026-12-30]] | [[2027-01-01]] >>
Thursday 31 December · week 2027-W01 · 2026
Yesterday: [[2026-12-30]] · tomorrow: [[2027-01-01]]
Next week: 2027-01-07 · last month: 2026-11-30 · next year: 2027
At 00:00, plus two hours 02:00; 2026-12-31
""")
    assert "[[Bo]]" in block_inner(text, "follow-ups")
    assert (vault / "Tpl/Daily.md").read_text() == KEPANO
    # the same vault and day give the same note
    again = make_vault({**OBSIDIAN_MODE, **files}, name="again")
    sync(cli, again, "2026-12-31")
    assert (again / "Daily/2026-12-31.md").read_bytes() == (vault / "Daily/2026-12-31.md").read_bytes()


@pytest.mark.parametrize("template, expected", [
    ("{{title}} {{date}}", "Fri 4 2026/12/04"),
    ("{{date:MMMM}} {{time}}", "December 00:00"),
    ("{{date-1d}} {{date+1d:Do}}", "2026/12/03 5th"),
    ("{{date+1M:YYYY-MM-DD}} {{date-1y:YYYY-MM-DD}}", "2027-01-04 2025-12-04"),
    ("{{date+1Q:YYYY-MM-DD}} {{date+3h:HH}} {{date+30m:HH:mm}}", "2027-03-04 03 00:30"),
    ("{{yesterday}}|{{tomorrow}}|{{Title}}", "2026/12/03|2026/12/05|Fri 4"),
    ("{{unknown}} {{date:}}", "{{unknown}} {{date:}}"),
])
def test_fill_template(template, expected):
    assert fill_template(template, dt.date(2026, 12, 4), "YYYY/MM/DD", "Fri 4") == expected


def test_month_end_is_clamped():
    assert fill_template("{{date+1M:YYYY-MM-DD}}", dt.date(2027, 1, 31), "YYYY", "") == "2027-02-28"


def test_templates_are_not_counted_as_notes(cli, make_vault):
    vault = make_vault({"People/Ann.md": contact()})
    assert cli("init", "--vault", vault).exit_code == 0
    result = sync(cli, vault)
    assert result.output.startswith("1 note read (1 parsed),"), result.output
    notes = [p for p in vault.rglob("*.md") if "Templates" not in p.parts and ".vaultkit" not in p.parts]
    assert len(notes) >= 3  # Ann, the referral index, the daily note…
    again = sync(cli, vault)  # nothing changed: the shortcut remembers the count
    assert again.output.startswith(f"{len(notes)} notes read (0 parsed),"), again.output
