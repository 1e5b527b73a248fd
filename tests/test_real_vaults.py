"""A vault as people really write them (kepano's conventions): kinds in every common spelling,
property names as written, `%% comments %%`, no clutter, and a doctor that helps.

The vault is built here, in the style of kepano/kepano-obsidian: `categories` links to
`[[People]]`, `[[Meetings]]`, `[[Companies]]` (and the older `category:`), `people:` on
meetings, `org:` on people, a `Templates/` folder of Obsidian templates with `{{date}}`
placeholders that `.obsidian/templates.json` points at, a `.base` file, a meeting with two
people, meetings from earlier years, and comments.
"""

from __future__ import annotations

import json

import pytest
from conftest import snapshot

from vaultkit.markers import block_inner

TODAY = "2026-12-03"

KEPANO = {
    ".obsidian/templates.json": '{\n  "folder": "Templates"\n}',
    ".obsidian/app.json": "{}",
    "Templates/Meeting Template.md": ('---\ncategories:\n  - "[[Meetings]]"\ntype: []\ndate: {{date}}\n'
                                      "org:\nloc:\npeople: []\ntopics: []\n---\n"),
    "Templates/Company Template.md": '---\ncategories:\n  - "[[Companies]]"\ntype: []\npeople: []\nurl:\n---\n',
    "Templates/Bases/People.base": "filters:\n  and:\n    - categories.contains(link(\"People\"))\n",
    "Categories/People.md": "---\ntags:\n  - categories\n---\n\n![[People.base]]",
    "Categories/Meetings.md": "---\ntags:\n  - categories\n---\n\n![[Meetings.base]]",
    "Categories/Companies.md": "---\ntags:\n  - categories\n---\n\n![[Companies.base]]",
    # People, each with another spelling of the People category.
    "References/Steph Ango.md": ('---\ncategories:\n  - "[[People]]"\ntype:\n  - "[[Authors]]"\norg:\n'
                                 '  - "[[Obsidian]]"\ncreated: 2023-09-12\n---\n## Meetings\n\n'
                                 "![[Meetings.base#Person]]"),
    "References/Kevin Kelly.md": "---\ncategory: [[People]]\ncreated: 2023-09-12\n---\n# Books\n",
    "References/Ann Lee.md": '---\ncategories:\n  - "[[Categories/People|People]]"\norg: "[[Acme]]"\n---\n',
    "References/Bo Chen.md": '---\ncategories: ["[[People.md]]"]\n---\n',
    "References/Cy Diaz.md": "---\ncategories: People\n---\n",
    "References/Dee Ek.md": "---\ntype: Person\n---\n",
    "References/Pat Persons.md": "---\ntype: persons\n---\n",
    # Companies.
    "References/Obsidian.md": '---\ncategories:\n  - "[[Companies]]"\ntype:\n  - "[[Apps]]"\n---\n',
    "References/Acme.md": '---\ntype: organisation\npeople:\n  - "[[Bo Chen]]"\n---\n',
    # Meetings: two people at once, earlier years, `type: meeting`, comments.
    "Notes/2023-09-12 Meeting with Steph.md": ('---\ncategories:\n  - "[[Meetings]]"\ntype: []\ndate: 2023-09-12\n'
                                               'org:\n  - "[[Obsidian]]"\npeople:\n  - "[[Steph Ango]]"\n---\n'
                                               "- Discussed the book [[Out of Control]]"),
    "Notes/2024-03-01 Coffee.md": "---\ntype: Meeting\ndate: 2024-03-01\npeople: [[Kevin Kelly]]\n---\n",
    "Notes/2026-11-30 Ann and Bo.md": ('---\ncategories:\n  - "[[Meetings]]"\ndate: 2026-11-30\n'
                                       'people:\n  - "[[Ann Lee]]"\n  - "[[Bo Chen]]"\n---\n'
                                       "We met. %% [[Cy Diaz]] was going to come %%\n"
                                       "%%\nto ask: [[Dee Ek]]\n%%\n"),
    # Ordinary notes: a placeholder link (a note not written yet), a project naming people.
    "Daily/2026-12-01.md": "## Notes\n\nIdea: [[Emergence]] and [[Kevin Kelly]]\n",
    "Notes/Launch.md": '---\npeople:\n  - "[[Ann Lee]]"\nrelated: "[[Obsidian]]"\n---\nA project.\n',
}


def sync(cli, vault, *args):
    return cli("sync", "--vault", vault, "--today", TODAY, *args)


def block(vault, rel: str, name: str) -> str | None:
    return block_inner((vault / rel).read_text("utf-8"), name)


@pytest.fixture
def kepano(make_vault):
    vault = make_vault(KEPANO)
    # (kepano keeps templates in `Templates/`; here vaultkit is told so too, which keeps this
    # test about kinds and names whatever reads .obsidian/templates.json.)
    (vault / ".vaultkit").mkdir()
    (vault / ".vaultkit/config.toml").write_text('templates_folder = "Templates"\n')
    return vault


# -- kinds -----------------------------------------------------------------------------------

def test_every_spelling_of_a_kind_is_recognised(cli, kepano):
    sync(cli, kepano)
    for person in ("Steph Ango", "Kevin Kelly", "Ann Lee", "Bo Chen", "Cy Diaz", "Dee Ek"):
        assert block(kepano, f"References/{person}.md", "connections") is not None, person
    for company in ("Obsidian", "Acme"):
        assert block(kepano, f"References/{company}.md", "connections") is not None, company
    for meeting in ("2023-09-12 Meeting with Steph", "2024-03-01 Coffee", "2026-11-30 Ann and Bo"):
        assert block(kepano, f"Notes/{meeting}.md", "links") is not None, meeting
    # Kevin's meeting (`type: Meeting`, unquoted `people: [[Kevin Kelly]]`) is his.
    assert "[[2024-03-01 Coffee]]" in block(kepano, "References/Kevin Kelly.md", "connections")
    # A kind vaultkit does not know is no kind, and nothing is written into the note.
    assert (kepano / "References/Pat Persons.md").read_text() == KEPANO["References/Pat Persons.md"]
    # Category pages and ordinary notes stay the user's.
    for rel in ("Categories/People.md", "Daily/2026-12-01.md", "Notes/Launch.md"):
        assert (kepano / rel).read_text() == KEPANO[rel], rel


def test_doctor_names_a_kind_it_does_not_know(cli, kepano):
    out = cli("doctor", "--vault", kepano, "--today", TODAY).output
    assert "References/Pat Persons.md:2: property: type: persons is not a kind vaultkit knows" in out
    # kepano's own `type: [[Authors]]` beside a category is not a kind word: no finding.
    assert "Steph Ango.md: property" not in out


def test_kind_folders_give_a_kind_and_follow_the_config(cli, make_vault):
    vault = make_vault({
        "Calls/2026-11-20 Zoe.md": "---\ndate: 2026-11-20\ncontact: \"[[Zoe]]\"\n---\n",
        "Crew/Zoe.md": "Zoe from the meetup.\n",
        "Crew/Yan.md": "---\ntype: company\n---\n",  # a kind of its own wins over the folder
        ".vaultkit/config.toml": '[kind_folders]\n"Crew" = "contact"\n"Calls" = "interview"\n',
    })
    assert sync(cli, vault).exit_code == 0
    assert "[[2026-11-20 Zoe]]" in block(vault, "Crew/Zoe.md", "connections")
    assert block(vault, "Calls/2026-11-20 Zoe.md", "links") is not None
    yan = block(vault, "Crew/Yan.md", "connections")
    assert yan is not None and "Last interaction" not in yan  # a company's block, not a contact's
    # The cache keeps no kind the configuration no longer gives: the next pass (same notes,
    # cached records) sees Calls/ as ordinary notes, so Zoe's block loses the interview.
    (vault / ".vaultkit/config.toml").write_text('[kind_folders]\n"Crew" = "contact"\n')
    assert sync(cli, vault).exit_code == 0
    zoe = block(vault, "Crew/Zoe.md", "connections")
    assert "**Interviews**" not in zoe and "[[2026-11-20 Zoe]] (`contact`)" in zoe


@pytest.mark.parametrize("table, named", [
    ('"People" = "persons"', 'kind_folders."People"'),
    ('"../Out" = "contact"', 'kind_folders."../Out"'),
    ('".hidden" = "contact"', 'kind_folders.".hidden"'),
    ('"~/x" = "contact"', 'kind_folders."~/x"'),
    ('"People" = 3', 'kind_folders."People"'),
])
def test_bad_kind_folders_are_a_configuration_error(cli, make_vault, table, named):
    vault = make_vault({"People/Ann.md": "Ann\n", ".vaultkit/config.toml": f"[kind_folders]\n{table}\n"})
    before = snapshot(vault)
    result = sync(cli, vault)
    assert result.exit_code == 2 and named in result.output
    assert snapshot(vault) == before


# -- property names as written ----------------------------------------------------------------

def test_blocks_name_properties_as_the_user_wrote_them(cli, kepano):
    sync(cli, kepano)
    ann = block(kepano, "References/Ann Lee.md", "connections")
    assert "[[Launch]] (`people`)" in ann and "`contact`" not in ann
    obsidian = block(kepano, "References/Obsidian.md", "connections")
    assert "[[Steph Ango]]" in obsidian.split("**Interviews**")[0]  # `org:` makes Steph a contact there
    assert "[[Launch]] (`related`)" in obsidian
    # A company's own `people` list counts as its contacts; `org:` on a person too.
    acme = block(kepano, "References/Acme.md", "connections")
    contacts = acme.split("**Interviews**")[0]
    assert "[[Ann Lee]]" in contacts and "[[Bo Chen]]" in contacts
    assert "[[2026-11-30 Ann and Bo]]" in acme
    # Both people at the meeting have it in their blocks.
    for person in ("Ann Lee", "Bo Chen"):
        assert "[[2026-11-30 Ann and Bo]]" in block(kepano, f"References/{person}.md", "connections")


def test_org_label_in_a_company_block(cli, make_vault):
    vault = make_vault({
        "Acme.md": "---\ntype: company\n---\n",
        "Ann.md": '---\ntype: contact\n---\n',
        "Pitch.md": '---\norg: "[[Acme]]"\n---\n',
    })
    sync(cli, vault)
    assert "[[Pitch]] (`org`)" in block(vault, "Acme.md", "connections")


# -- comments ---------------------------------------------------------------------------------

def test_links_inside_obsidian_comments_are_no_backlinks(cli, kepano):
    sync(cli, kepano)
    # Inline `%% [[Cy Diaz]] %%` and a comment across lines around [[Dee Ek]].
    assert "Ann and Bo" not in block(kepano, "References/Cy Diaz.md", "connections")
    assert "Ann and Bo" not in block(kepano, "References/Dee Ek.md", "connections")
    out = cli("doctor", "--vault", kepano, "--today", TODAY, "--all").output
    assert "Ann and Bo.md" not in out


def test_a_link_after_a_closed_comment_still_counts(cli, make_vault):
    vault = make_vault({
        "Ann.md": "---\ntype: contact\n---\n",
        "Bo.md": "---\ntype: contact\n---\n",
        "Note.md": "%% [[Ann]] %% but [[Bo]]\n",
    })
    sync(cli, vault)
    assert "[[Note]]" in block(vault, "Bo.md", "connections")
    assert "[[Note]]" not in block(vault, "Ann.md", "connections")


# -- no clutter -------------------------------------------------------------------------------

def test_a_vault_without_contacts_or_interviews_gets_no_generated_note(cli, make_vault):
    files = {k: v for k, v in KEPANO.items()
             if not k.startswith(("References/", "Notes/2")) or k == "References/Obsidian.md"}
    vault = make_vault(files)
    before = snapshot(vault)
    result = sync(cli, vault)
    assert "no contacts or interviews yet: nothing to generate" in result.output
    after = snapshot(vault)
    assert not (vault / "Referral Index.md").exists() and not (vault / "Follow-ups").exists()
    # The one company gets its block; nothing else is created.
    assert sorted(after) == sorted(before)
    again = sync(cli, vault, "--json")
    assert json.loads(again.output)["nothing_to_generate"] is True


# -- doctor's scope ---------------------------------------------------------------------------

def test_doctor_reports_what_concerns_vaultkit(cli, kepano):
    (kepano / "References/Ann Lee.md").write_text(KEPANO["References/Ann Lee.md"] + "Met at [[Nowhere Conf]].\n")
    result = cli("doctor", "--vault", kepano, "--today", TODAY)
    out = result.output
    assert result.exit_code == 1
    # A link from a contact to a missing note is worth fixing ...
    assert "References/Ann Lee.md:6: unresolved-link: [[Nowhere Conf]]" in out
    # ... a daily note's link to a note not written yet is an Obsidian placeholder.
    assert "[[Emergence]]" not in out.split("Meeting with Steph")[0] and "Daily/2026-12-01.md" not in out
    assert out.splitlines()[-1].startswith("doctor: ") and "--all shows them" in out.splitlines()[-1]
    # kepano's `type: [[Authors]]` classifies; the category note need not exist.
    assert "[[Authors]]" not in out
    every = cli("doctor", "--vault", kepano, "--today", TODAY, "--all").output
    assert "Daily/2026-12-01.md:3: unresolved-link: [[Emergence]]" in every
    assert "References/Steph Ango.md:4: unresolved-link: [[Authors]] (property `type`)" in every
    only = cli("doctor", "--vault", kepano, "--today", TODAY, "--only", "property").output.splitlines()
    assert only[:-1] == ["References/Pat Persons.md:2: property: type: persons is not a kind vaultkit knows "
                         "(contact, person, people; interview, meeting; company, organization, organisation, org)"]
    assert only[-1] == "doctor: 1 finding — 1 property"
    data = json.loads(cli("doctor", "--vault", kepano, "--today", TODAY, "--json").output)
    assert data["count"] == len(data["findings"]) == sum(data["counts"].values())
    assert data["counts"]["property"] == 1 and data["scope"] == "vaultkit" and data["outside_scope"] >= 1
    assert list(data["counts"].values()) == sorted(data["counts"].values(), reverse=True)


def test_doctor_is_quiet_about_placeholders_in_ordinary_notes(cli, make_vault):
    vault = make_vault({"Ann.md": "---\ntype: contact\n---\n", "Idea.md": "See [[Later]].\n"})
    result = cli("doctor", "--vault", vault, "--today", TODAY)
    assert result.exit_code == 0 and "nothing to report" in result.output
    assert cli("doctor", "--vault", vault, "--today", TODAY, "--all").exit_code == 1
