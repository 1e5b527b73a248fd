"""`vaultkit import contacts`: vCard and LinkedIn files into contact notes, through the real CLI."""

from __future__ import annotations

import datetime as dt
import json
import os
import pty
import subprocess
import sys
import unicodedata

import pytest
import yaml
from conftest import TODAY, run_vaultkit, snapshot

ENV = {"VAULTKIT_TODAY": TODAY}


def front_matter(path) -> dict:
    text = path.read_text("utf-8")
    assert text.startswith("---\n")
    return yaml.safe_load(text[4:text.index("\n---", 3)])


def crlf(text: str) -> bytes:
    """vCard lines end in CRLF (RFC 6350)."""
    return text.replace("\n", "\r\n").encode("utf-8")


VCARDS = crlf(
    "BEGIN:VCARD\n"
    "VERSION:3.0\n"
    "N:Lee;Ann;;;\n"
    "FN:Ann Lee\n"
    "EMAIL;TYPE=INTERNET,HOME:ann@home.example\n"
    "EMAIL;TYPE=INTERNET,WORK,pref:ann@acme.example\n"
    "ORG:Acme\\, Inc.;Research;User Studies\n"
    "TITLE:Senior UX Researcher\n"
    "TEL;TYPE=CELL:+1 555 0100\n"
    "NOTE:A long note that a phone folds over\n"
    "  two lines\n"
    "URL;TYPE=linkedin:https://www.linkedin.com/in/ann-\n"
    " lee\n"
    "END:VCARD\n"
    "BEGIN:VCARD\n"
    "VERSION:4.0\n"
    # The name as macOS writes it: decomposed (NFD); the note gets it composed (NFC).
    f"FN:{unicodedata.normalize('NFD', 'Zoë Åström')}\n"
    "N:Åström;Zoë;;;\n"
    "EMAIL:zoe@private.example\n"
    "EMAIL;PREF=1:zoe@volvo.example\n"
    "TEL;VALUE=uri;TYPE=cell:tel:+46-70-123-4567\n"
    "ORG:Volvo Cars;Design\n"
    "TITLE:Design Lead\n"
    "END:VCARD\n"
    "BEGIN:VCARD\n"
    "VERSION:4.0\n"
    "N:Okafor;Nell;Ada;;\n"
    "EMAIL:nell@opencampus.example\n"
    "END:VCARD\n"
    "BEGIN:VCARD\n"
    "VERSION:3.0\n"
    "EMAIL:nobody@example.org\n"
    "END:VCARD\n"
)

LINKEDIN = (
    "Notes:\n"
    "\"When exporting your connection data, you may notice that some of the email addresses are "
    "missing. You will only see email addresses for connections who have allowed their connections "
    "to see or download their email address using this setting "
    "https://www.linkedin.com/psettings/privacy/email. You can learn more about that here: "
    "https://www.linkedin.com/help/linkedin/answer/261\"\n"
    "\n"
    "First Name,Last Name,URL,Email Address,Company,Position,Connected On\n"
    "Bo,Chen,https://www.linkedin.com/in/bochen,,\"Globex, Inc.\",\"Designer, Payments\",07 Dec 2025\n"
    "Cy,Diaz,https://www.linkedin.com/in/cy-diaz-42,cy@initech.example,Initech,Engineer,15 Mar 2024\n"
    ",,https://www.linkedin.com/in/ghost,,,,01 Jan 2020\n"
)


def import_(cli, vault, path, *args):
    return cli("import", "contacts", path, "--vault", vault, *args, env=ENV)


# -- vCard ------------------------------------------------------------------------------------


def test_vcard_3_and_4_become_contact_notes(cli, make_vault, tmp_path):
    vault = make_vault()
    card_file = tmp_path / "address book.txt"  # told by its content, not its name
    card_file.write_bytes(VCARDS)
    result = import_(cli, vault, card_file)
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "created People/Ann Lee.md",
        "created People/Zoë Åström.md",
        "created People/Nell Ada Okafor.md",
        "imported 3 contacts, 0 already in the vault, 1 skipped (no name)",
    ]
    assert f"{card_file}:" in result.stderr and "skipped (no name)" in result.stderr

    ann = vault / "People/Ann Lee.md"
    assert front_matter(ann) == {
        "type": "contact", "name": "Ann Lee", "company": "Acme, Inc.", "role": "Senior UX Researcher",
        "email": "ann@acme.example",  # the preferred of the two
        "phone": "+1 555 0100", "linkedin": "https://www.linkedin.com/in/ann-lee",  # unfolded
        "referred_by": [], "status": "prospect", "last_contacted": None, "next_follow_up": None, "tags": [],
    }
    assert "- LinkedIn: https://www.linkedin.com/in/ann-lee\n" in ann.read_text("utf-8")

    zoe_path = vault / "People" / "Zoë Åström.md"
    assert zoe_path.exists()
    assert os.listdir(vault / "People").count(unicodedata.normalize("NFC", "Zoë Åström.md")) == 1
    zoe = front_matter(zoe_path)
    assert zoe["name"] == unicodedata.normalize("NFC", "Zoë Åström")
    assert (zoe["email"], zoe["company"], zoe["role"], zoe["phone"]) == \
        ("zoe@volvo.example", "Volvo Cars", "Design Lead", "+46-70-123-4567")
    assert "linkedin" not in zoe and "connected_on" not in zoe

    nell = front_matter(vault / "People/Nell Ada Okafor.md")  # no FN: the name is built from N
    assert nell["name"] == "Nell Ada Okafor" and nell["email"] == "nell@opencampus.example"
    assert nell["company"] is None and "phone" not in nell


def test_imported_contacts_are_read_by_sync_like_any_other(cli, make_vault, tmp_path):
    vault = make_vault({"Companies/Acme, Inc..md": "---\ntype: company\n---\n"})
    (tmp_path / "c.vcf").write_bytes(VCARDS)
    assert import_(cli, vault, tmp_path / "c.vcf").exit_code == 0
    # A company that has a note becomes a link to it, as with `new contact --company`.
    assert front_matter(vault / "People/Ann Lee.md")["company"] == "[[Acme, Inc.]]"
    result = cli("doctor", "--vault", vault, "--today", TODAY)
    assert "duplicate-contact" not in result.output and "frontmatter" not in result.output


# -- LinkedIn ---------------------------------------------------------------------------------


def test_linkedin_connections_csv(cli, make_vault, tmp_path):
    vault = make_vault()
    export = tmp_path / "Connections.csv"
    export.write_bytes(b"\xef\xbb\xbf" + LINKEDIN.replace("\n", "\r\n").encode("utf-8"))  # BOM, CRLF
    result = import_(cli, vault, export)
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "created People/Bo Chen.md",
        "created People/Cy Diaz.md",
        "imported 2 contacts, 0 already in the vault, 1 skipped (no name)",
    ]
    assert f"{export}:7: skipped (no name)" in result.stderr
    bo_text = (vault / "People/Bo Chen.md").read_text("utf-8")
    bo = front_matter(vault / "People/Bo Chen.md")
    assert bo["company"] == "Globex, Inc." and bo["role"] == "Designer, Payments"
    assert bo["email"] is None  # the blank email of LinkedIn's export: the property stays empty
    assert bo["linkedin"] == "https://www.linkedin.com/in/bochen"
    assert bo["connected_on"] == dt.date(2025, 12, 7)
    assert "\nconnected_on: 2025-12-07\n" in bo_text  # a bare date, as Obsidian reads one
    cy = front_matter(vault / "People/Cy Diaz.md")
    assert cy["email"] == "cy@initech.example" and cy["connected_on"] == dt.date(2024, 3, 15)


def test_linkedin_date_it_cannot_read_is_left_out_with_a_warning(cli, make_vault, tmp_path):
    vault = make_vault()
    export = tmp_path / "Connections.csv"
    export.write_text("First Name,Last Name,URL,Email Address,Company,Position,Connected On\n"
                      "Bo,Chen,,,,,sometime\n", "utf-8")
    result = import_(cli, vault, export)
    assert result.exit_code == 0
    assert f"{export}:2: Connected On 'sometime' is not a date" in result.stderr
    assert "connected_on" not in front_matter(vault / "People/Bo Chen.md")


# -- people already in the vault ----------------------------------------------------------------


EXISTING = {
    # Same email as Ann's second address (the file's case differs).
    "People/A. Lee.md": "---\ntype: contact\nname: A. Lee\nemail: Ann@Home.example\n---\nMy notes.\n",
    # Same LinkedIn URL as Bo, written without https://www. and with a trailing slash.
    "Contacts/Bobby.md": "---\ntype: contact\nlinkedin: linkedin.com/in/BoChen/\n---\n",
    # Same name as Zoë, composed differently and in another case.
    "zoe.md": f"---\ntype: contact\nname: {unicodedata.normalize('NFD', 'ZOË ÅSTRÖM')}\n---\n",
}


def test_people_with_a_note_are_left_alone_and_listed(cli, make_vault, tmp_path):
    vault = make_vault(EXISTING)
    before = snapshot(vault)
    (tmp_path / "c.vcf").write_bytes(VCARDS)
    (tmp_path / "Connections.csv").write_text(LINKEDIN, "utf-8")
    first = import_(cli, vault, tmp_path / "c.vcf")
    assert first.exit_code == 0, first.output
    assert "already in the vault: Ann Lee (People/A. Lee.md, same email)" in first.stdout
    assert "already in the vault: Zoë Åström (zoe.md, same name)" in first.stdout
    assert first.stdout.splitlines()[-1] == "imported 1 contact, 2 already in the vault, 1 skipped (no name)"
    second = import_(cli, vault, tmp_path / "Connections.csv")
    assert "already in the vault: Bo Chen (Contacts/Bobby.md, same LinkedIn URL)" in second.stdout
    assert second.stdout.splitlines()[-1] == "imported 1 contact, 1 already in the vault, 1 skipped (no name)"
    after = snapshot(vault)
    for path, data in before.items():
        assert after[path] == data, path  # byte for byte
    assert sorted(set(after) - set(before)) == ["People/Cy Diaz.md", "People/Nell Ada Okafor.md"]


def test_the_same_person_twice_in_the_file_makes_one_note(cli, make_vault, tmp_path):
    vault = make_vault()
    cards = crlf(
        "BEGIN:VCARD\nVERSION:3.0\nFN:Ann Lee\nEMAIL:ann@acme.example\nEND:VCARD\n"
        "BEGIN:VCARD\nVERSION:3.0\nFN:Annie Lee\nEMAIL:ANN@acme.example\nTITLE:UX Lead\nEND:VCARD\n"
        "BEGIN:VCARD\nVERSION:3.0\nFN:ann lee\nTEL:+1 555 0199\nEND:VCARD\n"
    )
    (tmp_path / "c.vcf").write_bytes(cards)
    result = import_(cli, vault, tmp_path / "c.vcf")
    assert result.exit_code == 0, result.output
    assert os.listdir(vault / "People") == ["Ann Lee.md"]
    ann = front_matter(vault / "People/Ann Lee.md")
    assert (ann["email"], ann["role"], ann["phone"]) == ("ann@acme.example", "UX Lead", "+1 555 0199")
    assert result.stdout.splitlines()[-1] == \
        "imported 1 contact, 0 already in the vault, 0 skipped (no name), 2 listed twice in the file"


def test_a_second_import_changes_nothing(cli, make_vault, tmp_path):
    vault = make_vault()
    (tmp_path / "c.vcf").write_bytes(VCARDS)
    assert import_(cli, vault, tmp_path / "c.vcf").exit_code == 0
    before = snapshot(vault)
    stamps = {p: (vault / p).stat().st_mtime_ns for p in before}
    again = import_(cli, vault, tmp_path / "c.vcf")
    assert again.exit_code == 0
    assert again.stdout.splitlines()[-1] == "imported 0 contacts, 3 already in the vault, 1 skipped (no name)"
    assert snapshot(vault) == before
    assert {p: (vault / p).stat().st_mtime_ns for p in before} == stamps


def test_dry_run_lists_and_writes_nothing(cli, make_vault, tmp_path):
    vault = make_vault({"People/A. Lee.md": EXISTING["People/A. Lee.md"]})
    (tmp_path / "c.vcf").write_bytes(VCARDS)
    tree = sorted(p.relative_to(vault).as_posix() for p in vault.rglob("*"))
    before = snapshot(vault)
    result = import_(cli, vault, tmp_path / "c.vcf", "--dry-run")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "would create People/Zoë Åström.md",
        "would create People/Nell Ada Okafor.md",
        "already in the vault: Ann Lee (People/A. Lee.md, same email)",
        "dry run: would import 2 contacts, 1 already in the vault, 1 skipped (no name)",
    ]
    assert sorted(p.relative_to(vault).as_posix() for p in vault.rglob("*")) == tree  # not even .vaultkit/
    assert snapshot(vault) == before


def test_names_that_are_not_file_names(cli, make_vault, tmp_path):
    vault = make_vault({"People/Ann Lee.md": "---\ntype: company\n---\n"})  # a name taken, by a company
    export = tmp_path / "Connections.csv"
    export.write_text("First Name,Last Name,URL,Email Address,Company,Position,Connected On\n"
                      "../../etc,x,,,,,\n"
                      "A/B:,C?,,,,,\n"
                      "Ann,Lee,,,,,\n", "utf-8")
    result = import_(cli, vault, export)
    assert result.exit_code == 0, result.output
    assert sorted(os.listdir(vault / "People")) == ["A B C.md", "Ann Lee 2.md", "Ann Lee.md", "etc x.md"]
    assert front_matter(vault / "People/A B C.md")["name"] == "A/B: C?"
    assert front_matter(vault / "People/etc x.md")["name"] == "../../etc x"
    assert front_matter(vault / "People/Ann Lee 2.md")["type"] == "contact"
    assert not (tmp_path / "etc").exists()


# -- files it cannot read ---------------------------------------------------------------------------


@pytest.mark.parametrize("name, content, says", [
    ("missing.vcf", None, "cannot read the file"),
    ("latin1.vcf", "BEGIN:VCARD\nVERSION:3.0\nFN:Jos\xe9\nEND:VCARD\n".encode("latin-1"), "not UTF-8"),
    ("notes.csv", b"Name,Phone\nAnn,123\n", "neither a vCard file"),
    ("Connections.csv", b"Notes:\nsomething else entirely\n", "neither a vCard file"),
    ("photo.vcf", b"\x89PNG\r\n\x1a\n", "not UTF-8"),
    ("broken.vcf", crlf("BEGIN:VCARD\nVERSION:3.0\nFN:Ann Lee\nthis is not a property\nEND:VCARD\n"),
     "not a readable vCard file"),
    ("cut.vcf", crlf("BEGIN:VCARD\nVERSION:3.0\nFN:Ann Lee\n"), "not a readable vCard file"),
])
def test_a_file_it_cannot_read_is_exit_2_naming_it(cli, make_vault, tmp_path, name, content, says):
    vault = make_vault({"People/Bo.md": "---\ntype: contact\n---\n"})
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    tree = sorted(p.relative_to(vault).as_posix() for p in vault.rglob("*"))
    result = import_(cli, vault, path)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.startswith(f"vaultkit: {path}") and says in result.stderr
    assert "nothing was imported" in result.stderr
    assert sorted(p.relative_to(vault).as_posix() for p in vault.rglob("*")) == tree


def test_a_broken_card_is_named_by_line(cli, make_vault, tmp_path):
    vault = make_vault()
    path = tmp_path / "c.vcf"
    path.write_bytes(crlf("BEGIN:VCARD\nVERSION:3.0\nFN:Ann Lee\nEND:VCARD\n"
                          "BEGIN:VCARD\nVERSION:3.0\nFN:Bo\nno colon here\nEND:VCARD\n"))
    result = import_(cli, vault, path)
    assert result.exit_code == 2
    assert f"vaultkit: {path}:8: not a readable vCard file" in result.stderr
    assert not (vault / "People").exists()  # not even the good card before it


def test_a_template_error_writes_nothing(cli, make_vault, tmp_path):
    vault = make_vault({"Templates/vaultkit/contact.md": "---\nname: {{ name | nosuchfilter }}\n---\n"})
    (tmp_path / "c.vcf").write_bytes(VCARDS)
    result = import_(cli, vault, tmp_path / "c.vcf")
    assert result.exit_code == 2
    assert "Templates/vaultkit/contact.md" in result.stderr
    assert not (vault / "People").exists()


# -- `new contact` keeps its output --------------------------------------------------------------


def test_new_contact_gets_no_empty_import_properties(cli, make_vault):
    vault = make_vault()
    assert cli("new", "contact", "Ann Lee", "--vault", vault, "--email", "ann@acme.example", env=ENV).exit_code == 0
    text = (vault / "People/Ann Lee.md").read_text("utf-8")
    keys = [line.split(":")[0] for line in text.split("---\n")[1].splitlines() if not line.startswith(" ")]
    assert keys == ["type", "name", "company", "role", "email", "referred_by", "status", "last_contacted",
                    "next_follow_up", "tags"]
    assert "- LinkedIn:\n" in text


# -- the progress bar -------------------------------------------------------------------------------


def test_progress_bar_on_a_terminal_for_a_big_file(make_vault, tmp_path):
    vault = make_vault()
    export = tmp_path / "Connections.csv"
    rows = "".join(f"Person,Number {i},,,,,\n" for i in range(120))
    export.write_text("First Name,Last Name,URL,Email Address,Company,Position,Connected On\n" + rows, "utf-8")
    primary, secondary = pty.openpty()
    env = {k: v for k, v in os.environ.items() if k != "VAULTKIT_VAULT"}
    env.update(ENV, TERM="xterm", COLUMNS="100")
    proc = subprocess.Popen([sys.executable, "-m", "vaultkit", "import", "contacts", str(export),
                             "--vault", str(vault)], stdout=secondary, stderr=secondary, env=env)
    os.close(secondary)
    out = b""
    while True:
        try:
            chunk = os.read(primary, 65536)
        except OSError:  # the terminal closes when the process ends
            break
        if not chunk:
            break
        out += chunk
    os.close(primary)
    assert proc.wait(timeout=120) == 0
    text = out.decode("utf-8", "replace")
    assert "Importing contacts" in text and "100%" in text
    assert "imported 120 contacts, 0 already in the vault, 0 skipped (no name)" in text
    assert len(os.listdir(vault / "People")) == 120


def test_no_progress_bar_when_output_is_not_a_terminal(cli, make_vault, tmp_path):
    vault = make_vault()
    export = tmp_path / "Connections.csv"
    rows = "".join(f"Person,Number {i},,,,,\n" for i in range(60))
    export.write_text("First Name,Last Name,URL,Email Address,Company,Position,Connected On\n" + rows, "utf-8")
    result = import_(cli, vault, export)
    assert result.exit_code == 0
    assert "Importing contacts" not in result.output


# -- odd cards, old templates, the lock, help --------------------------------------------------------


def test_organisations_are_not_people_and_n_may_hold_several_names(cli, make_vault, tmp_path):
    vault = make_vault()
    (tmp_path / "c.vcf").write_bytes(crlf(
        "BEGIN:VCARD\nVERSION:4.0\nKIND:org\nFN:Acme Inc.\nEMAIL:info@acme.example\nEND:VCARD\n"
        "BEGIN:VCARD\nVERSION:3.0\nN:;;;;\nFN:Globex\nORG:Globex;\nX-ABShowAs:COMPANY\nEND:VCARD\n"
        "BEGIN:VCARD\nVERSION:4.0\nN:Lee,Li;Ann,Marie;;Dr.;\nEND:VCARD\n"
    ))
    result = import_(cli, vault, tmp_path / "c.vcf")
    assert result.exit_code == 0, result.output
    assert os.listdir(vault / "People") == ["Ann Marie Lee Li.md"]
    assert result.stdout.splitlines()[-1] == \
        "imported 1 contact, 0 already in the vault, 0 skipped (no name), 2 skipped (not a person)"
    assert f"{tmp_path / 'c.vcf'}:1: skipped (not a person)" in result.stderr
    assert f"{tmp_path / 'c.vcf'}:7: skipped (not a person)" in result.stderr


def test_a_name_that_is_not_its_file_name_is_shown(cli, make_vault, tmp_path):
    vault = make_vault()
    export = tmp_path / "Connections.csv"
    export.write_text("First Name,Last Name,URL,Email Address,Company,Position,Connected On\n"
                      "Ann,Lee,,,,,\nA/B:,C?,,,,,\n", "utf-8")
    result = import_(cli, vault, export, "--dry-run")
    assert result.stdout.splitlines()[:2] == ["would create People/Ann Lee.md",
                                              "would create People/A B C.md (A/B: C?)"]


def test_an_old_contact_template_is_used_and_what_it_leaves_out_is_said(cli, make_vault, tmp_path):
    old = "---\ntype: contact\nname: {{ name | yaml }}\nemail:{% if email %} {{ email | yaml }}{% endif %}\n---\n"
    vault = make_vault({"Templates/vaultkit/contact.md": old})
    (tmp_path / "c.vcf").write_bytes(VCARDS)
    result = import_(cli, vault, tmp_path / "c.vcf")
    assert result.exit_code == 0, result.output
    assert ("vaultkit: Templates/vaultkit/contact.md: the contact template has no `phone`, `linkedin` — "
            "the notes are made without them") in result.stderr
    assert (vault / "People/Ann Lee.md").read_text("utf-8") == \
        "---\ntype: contact\nname: Ann Lee\nemail: ann@acme.example\n---\n"


def test_a_held_lock_is_exit_2_and_nothing_written(cli, make_vault, tmp_path):
    from vaultkit.lock import VaultLock
    vault = make_vault()
    (tmp_path / "c.vcf").write_bytes(VCARDS)
    with VaultLock(vault, owner="vaultkit sync"):
        result = run_vaultkit("import", "contacts", tmp_path / "c.vcf", "--vault", vault, env=ENV)
    assert result.returncode == 2
    assert "vaultkit sync" in result.stderr
    assert not (vault / "People").exists()


@pytest.mark.parametrize("command, says", [(["import"], "contacts"), (["import", "contacts"], "--dry-run")])
def test_import_has_help(cli, command, says):
    result = cli(*command, "--help")
    assert result.exit_code == 0 and "Usage:" in result.output and says in result.output


def test_note_paths_list_the_folder_once_and_agree_with_unique_note_path(make_vault):
    from vaultkit.names import NotePaths, unique_note_path
    vault = make_vault({"People/Ann Lee.md": "x", "People/.Bo.md.icloud": "", "People/ZOË.md": "x"})
    paths = NotePaths(vault, "People")
    for stem in ("ann lee", "Bo", unicodedata.normalize("NFD", "zoë"), "A/B: C?", "Cy", "cy", "CY"):
        expected = unique_note_path(vault, "People", stem)
        assert paths.take(stem) == expected
        (vault / expected).write_text("x")  # so that the next unique_note_path sees it too
    # Handed-out paths count as taken without a second listing; so does one marked taken.
    assert paths.take("Dee") == "People/Dee.md" and paths.take("Dee") == "People/Dee 2.md"
    paths.mark_taken("People/Eve.md")
    assert paths.take("Eve") == "People/Eve 2.md"


def test_namesakes_with_different_linkedin_urls_are_different_people(cli, make_vault, tmp_path):
    vault = make_vault({
        "People/John Smith.md": "---\ntype: contact\nlinkedin: https://www.linkedin.com/in/jsmith-1\n---\n",
        "People/Mary Jones.md": "---\ntype: contact\nemail: mary@old-job.example\n---\n",
    })
    export = tmp_path / "Connections.csv"
    export.write_text("First Name,Last Name,URL,Email Address,Company,Position,Connected On\n"
                      "John,Smith,https://www.linkedin.com/in/jsmith-2,,Initech,,\n"
                      "John,Smith,https://www.linkedin.com/in/jsmith-3,,Globex,,\n"
                      "John,Smith,https://www.linkedin.com/in/jsmith-1,,Acme,,\n"
                      "Mary,Jones,https://www.linkedin.com/in/mary,mary@new-job.example,,,\n", "utf-8")
    result = import_(cli, vault, export)
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "created People/John Smith 2.md (John Smith)",
        "created People/John Smith 3.md (John Smith)",
        "already in the vault: John Smith (People/John Smith.md, same LinkedIn URL)",
        # A new address is no sign of another person: the name decides.
        "already in the vault: Mary Jones (People/Mary Jones.md, same name)",
        "imported 2 contacts, 2 already in the vault, 0 skipped (no name)",
    ]
    assert front_matter(vault / "People/John Smith 2.md")["company"] == "Initech"
    assert front_matter(vault / "People/John Smith 3.md")["company"] == "Globex"


def test_vcard_2_1_quoted_printable_and_a_tel_uri_with_an_extension(cli, make_vault, tmp_path):
    vault = make_vault()
    (tmp_path / "c.vcf").write_bytes(crlf(
        "BEGIN:VCARD\nVERSION:2.1\nN;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:M=C3=BCller;J=C3=BCrgen;;;\n"
        "FN;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:J=C3=BCrgen M=C3=BCller\nEMAIL;PREF;INTERNET:jm@example.de\n"
        "END:VCARD\n"
        "BEGIN:VCARD\nVERSION:4.0\nFN:Simon Perreault\n"
        'TEL;VALUE=uri;TYPE="work,voice";PREF=1:tel:+1-418-656-9254;ext=102\n'
        'TEL;VALUE=uri;TYPE="work,cell":tel:+1-418-262-6501\nEND:VCARD\n'
    ))
    result = import_(cli, vault, tmp_path / "c.vcf")
    assert result.exit_code == 0, result.output
    assert front_matter(vault / "People/Jürgen Müller.md")["email"] == "jm@example.de"
    assert front_matter(vault / "People/Simon Perreault.md")["phone"] == "+1-418-656-9254 ext. 102"


# -- --json -----------------------------------------------------------------------------------------


def test_json_lists_what_was_imported_and_what_was_not(cli, make_vault, tmp_path):
    vault = make_vault({"People/A. Lee.md": EXISTING["People/A. Lee.md"]})
    (tmp_path / "c.vcf").write_bytes(VCARDS)
    result = import_(cli, vault, tmp_path / "c.vcf", "--json")
    assert result.exit_code == 0, result.output
    assert result.stderr == ""  # the skipped card is in the document, not on stderr
    doc = json.loads(result.stdout)  # stdout is the one document, nothing else
    zoe = unicodedata.normalize("NFC", "Zoë Åström")
    assert doc == {
        "file": str(tmp_path / "c.vcf"), "kind": "vcard", "dry_run": False, "imported": 2,
        "created": [{"path": f"People/{zoe}.md", "name": zoe},
                    {"path": "People/Nell Ada Okafor.md", "name": "Nell Ada Okafor"}],
        "existing": [{"name": "Ann Lee", "path": "People/A. Lee.md", "why": "same email"}],
        "skipped": [{"line": 30, "reason": "no name"}],
        "merged": 0, "warnings": [], "failed": [],
        "summary": "imported 2 contacts, 1 already in the vault, 1 skipped (no name)",
    }
    for created in doc["created"]:
        assert (vault / created["path"]).is_file(), created


def test_json_with_dry_run_says_what_it_would_create_and_writes_nothing(cli, make_vault, tmp_path):
    vault = make_vault()
    export = tmp_path / "Connections.csv"
    export.write_text(LINKEDIN, "utf-8")
    tree = sorted(p.relative_to(vault).as_posix() for p in vault.rglob("*"))
    result = import_(cli, vault, export, "--dry-run", "--json")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert (doc["kind"], doc["dry_run"], doc["imported"]) == ("linkedin", True, 0)
    assert [c["path"] for c in doc["created"]] == ["People/Bo Chen.md", "People/Cy Diaz.md"]
    assert doc["skipped"] == [{"line": 7, "reason": "no name"}]  # the row with no name
    assert doc["summary"] == "would import 2 contacts, 0 already in the vault, 1 skipped (no name)"
    assert sorted(p.relative_to(vault).as_posix() for p in vault.rglob("*")) == tree


def test_json_as_a_process_and_a_second_import(make_vault, tmp_path):
    vault = make_vault()
    (tmp_path / "c.vcf").write_bytes(VCARDS)
    args = ("import", "contacts", tmp_path / "c.vcf", "--vault", vault, "--json")
    first = run_vaultkit(*args, env=ENV)
    assert first.returncode == 0, first.stderr
    assert [c["name"] for c in json.loads(first.stdout)["created"]] == \
        ["Ann Lee", unicodedata.normalize("NFC", "Zoë Åström"), "Nell Ada Okafor"]
    again = run_vaultkit(*args, env=ENV)
    assert again.returncode == 0, again.stderr
    doc = json.loads(again.stdout)
    assert (doc["imported"], doc["created"]) == (0, [])
    assert [(e["name"], e["why"]) for e in doc["existing"]] == \
        [("Ann Lee", "same email"), (unicodedata.normalize("NFC", "Zoë Åström"), "same email"),
         ("Nell Ada Okafor", "same email")]


def test_json_a_file_it_cannot_read_is_still_exit_2_on_stderr(make_vault, tmp_path):
    vault = make_vault()
    (tmp_path / "notes.txt").write_text("just some text\n", "utf-8")
    result = run_vaultkit("import", "contacts", tmp_path / "notes.txt", "--vault", vault, "--json", env=ENV)
    assert result.returncode == 2
    assert result.stdout == "" and "neither a vCard file" in result.stderr
