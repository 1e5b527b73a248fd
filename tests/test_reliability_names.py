"""File names made from people's names, tried through `vaultkit new contact`,
`vaultkit new interview` and the agendas and thank-yous `vaultkit sync` generates.

`safe_filename` and `unique_note_path` alone are tested in test_names.py. Here hostile
names — every forbidden character, `..`, absolute paths, NUL and control characters,
300-character CJK names, NFC/NFD pairs, Windows device names — come in as a user would
type them or as a contact's front-matter holds them, and the checks are: no write lands
outside the vault, no existing note is overwritten, every file name is safe, and every
link vaultkit writes resolves back to the note it means.

macOS hands out file names in NFD; Linux keeps whatever bytes it is given, so the macOS
case is tried with a name typed in NFD, and a file name stored in NFD (as a Mac or a sync
tool would leave it).
"""

from __future__ import annotations

import os
import unicodedata
from pathlib import Path

import pytest
import yaml

from conftest import TODAY, snapshot
from test_names import assert_safe

from vaultkit.index import Index
from vaultkit.links import extract_links
from vaultkit.model import Link
from vaultkit.scan import scan
from vaultkit.vault import parse_note
from vaultkit.markers import block_inner, block_spans

CONTACT = "---\ntype: contact\n---\n"
CJK = "名" * 300
HOSTILE = [
    'a*b"c\\d/e<f>g:h|i?j#k^l[m]n',
    "../../outside",
    "/etc/passwd",
    "..",
    ".",
    ".hidden",
    "a\x01b\x1fc\x7fd\x85e",
    "line\nbreak: true",
    CJK,
    "Zoe\u0308 Ōkubo",  # NFD
    "CON",
    "com1.txt",
    "LPT9",
    "nul",
    "Ann. . ",
    "???",
    "a" * 300,
    "👩\u200d👩\u200d👧" * 40,
    "\u202eevil\u202c",
    "<!-- vaultkit:end connections -->",
    "-dash",
]


def sync(cli, vault, *args):
    return cli("sync", "--vault", vault, "--today", TODAY, *args)


def front_matter(path: Path) -> dict:
    text = path.read_text("utf-8")
    return yaml.safe_load(text[4:text.index("\n---\n", 3)])


def index_of(vault: Path) -> Index:
    result = scan(vault)
    records = [parse_note(p, (vault / p).read_bytes()) for p in result.notes]
    return Index(records, result.attachments)


def resolves_to(ix: Index, target: str, source: str) -> str | None:
    return ix.resolver.resolve(Link(target, "wiki", 1), source)


def wikilinks(text: str) -> list[Link]:
    return [link for link in extract_links(text) if link.style == "wiki"]


def outside(root: Path, vault: Path) -> dict[str, bytes]:
    """Every file under `root` that is not in the vault."""
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*")
            if p.is_file() and vault not in p.parents}


@pytest.fixture
def boxed(tmp_path):
    """A vault two folders down, with files beside it that a `../` must not reach."""
    vault = tmp_path / "box" / "inner" / "vault"
    vault.mkdir(parents=True)
    for rel in ("box/outside.md", "box/inner/outside.md", "etc/passwd.md", "People/outside.md"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("not the vault's\n")
    return tmp_path, vault


@pytest.mark.parametrize("name", HOSTILE, ids=range(len(HOSTILE)))
def test_hostile_name_through_new_contact_and_new_interview(cli, boxed, name):
    root, vault = boxed
    before = outside(root, vault)
    result = cli("new", "contact", "--vault", vault, "--", name)
    assert result.exit_code == 0, result.output
    [created] = list((vault / "People").iterdir())
    assert_safe(created.name.removesuffix(".md"))
    assert front_matter(created)["name"] == name  # the real name is kept
    interview = cli("new", "interview", "--vault", vault, "--date", "2026-11-30", "--today", "2026-11-28",
                    "--", name)
    assert interview.exit_code == 0, interview.output
    assert "no contact note" not in interview.output, "the new contact cannot be found by its name"
    [call] = list((vault / "Interviews").iterdir())
    assert_safe(call.name.removesuffix(".md"))
    ix = index_of(vault)
    contact_link = front_matter(call)["contact"]
    assert resolves_to(ix, wikilinks(contact_link)[0].target, call.relative_to(vault).as_posix()) \
        == created.relative_to(vault).as_posix()
    assert sync(cli, vault).exit_code == 0
    [agenda] = list((vault / "Interviews/Agendas").iterdir())
    assert_safe(agenda.name.removesuffix(".md"))
    assert agenda.stem.endswith(" - agenda")
    assert outside(root, vault) == before


def test_new_contact_never_overwrites(cli, make_vault):
    """A name that cleans to an existing note's name — the same after `../` is dropped, in
    another case, in NFC instead of NFD, or beside an iCloud placeholder — is refused
    (exit 2) naming the note it would duplicate; nothing is written."""
    existing = {
        "People/outside.md": "mine\n",
        "People/ann lee.md": "mine too\n",
        "People/Zoë.md": "NFC\n",
        "People/.Bo.md.icloud": "placeholder",
        "People/CON_.md": "device\n",
    }
    vault = make_vault(existing)
    for name, taken in (("../../outside", "outside.md"), ("Ann Lee", "ann lee.md"),
                        ("Zoe\u0308", "Zoë.md"), ("Bo", ".Bo.md.icloud"), ("con", "CON_.md")):
        result = cli("new", "contact", name, "--vault", vault)
        assert result.exit_code == 2, result.output
        assert f"People/{taken}" in result.stderr and "exists already" in result.stderr, (name, result.output)
    for rel, data in existing.items():
        assert (vault / rel).read_text() == data
    assert sorted(p.name for p in (vault / "People").iterdir()) == sorted(
        rel.split("/")[1] for rel in existing)


def hostile_vault(make_vault) -> Path:
    """Contacts named with hostile names (NUL included, which no command line can pass),
    each with a done interview (a thank-you is due), a planned one (an agenda is due), a
    referral to the next contact (a referral thank-you is due), and an interview whose
    contact is only a hostile plain-text name (no note)."""
    names = HOSTILE + ["NUL\x00byte", "Zoë Ōkubo"]  # the last: the NFC twin of an NFD name
    files = {}
    for i, name in enumerate(names):
        nxt = (i + 1) % len(names)
        files[f"People/c{i}.md"] = "---\n" + yaml.safe_dump(
            {"type": "contact", "name": name, "status": "met"}, allow_unicode=True) + "---\n"
        files[f"Interviews/past{i}.md"] = (f"---\ntype: interview\ncontact: \"[[c{i}]]\"\n"
                                           f"date: 2026-11-20\nreferrals: [\"[[c{nxt}]]\"]\n---\n")
        files[f"Interviews/next{i}.md"] = f"---\ntype: interview\ncontact: \"[[c{i}]]\"\ndate: 2026-11-30\n---\n"
        files[f"Interviews/loose{i}.md"] = "---\n" + yaml.safe_dump(
            {"type": "interview", "contact": name + " (no note)", "date": "2026-11-29"},
            allow_unicode=True) + "---\n"
    return make_vault(files), len(names)


def test_hostile_names_in_front_matter_make_safe_generated_notes(cli, make_vault, tmp_path):
    vault, n = hostile_vault(make_vault)
    before = snapshot(vault)
    around = outside(tmp_path, vault)
    result = sync(cli, vault)
    assert result.exit_code == 0, result.output
    after = snapshot(vault)
    assert outside(tmp_path, vault) == around, "something was written outside the vault"
    for rel, data in before.items():
        assert after[rel].startswith(data), f"{rel}: more than a block was added"
    new = sorted(set(after) - set(before))
    folders = ("Interviews/Agendas/", "Thank-yous/", "Follow-ups/", "Reviews/")
    assert all(rel.startswith(folders) or rel == "Referral Index.md" for rel in new), new
    assert len([r for r in new if r.startswith("Interviews/Agendas/")]) == 2 * n
    assert len([r for r in new if r.startswith("Thank-yous/")]) == 2 * n
    for rel in new:
        stem = rel.rsplit("/", 1)[-1].removesuffix(".md")
        assert_safe(stem, 240)
        if rel.startswith("Interviews/Agendas/"):
            assert stem.endswith((" - agenda", " - agenda 2", " - agenda 3")), stem
        elif rel.startswith("Thank-yous/") and " - referral of " not in stem:
            assert stem.endswith((" - thank-you", " - thank-you 2", " - thank-you 3")), stem

    # Every link vaultkit wrote resolves: front-matter links to the contacts, and block
    # links to the generated notes.
    ix = index_of(vault)
    for rel in new:
        if not rel.startswith(("Interviews/Agendas/", "Thank-yous/")):
            continue
        meta = front_matter(vault / rel)
        found = {key: resolves_to(ix, wikilinks(meta[key])[0].target, rel)
                 for key in ("contact", "to", "referred", "interview") if key in meta}
        loose = (found.get("interview") or "").startswith("Interviews/loose")
        for key, path in found.items():
            if key == "interview":
                assert path and path.startswith("Interviews/"), (rel, meta)
            elif loose:
                assert path is None  # the contact has no note: the link stays open
            else:
                assert path and path.startswith("People/c"), (rel, key, meta[key])
    for i in range(n):
        text = (vault / f"People/c{i}.md").read_text()
        inner = block_inner(text, "connections")
        assert [name for name, _, _ in block_spans(text)] == ["connections"]
        targets = [link.target for link in wikilinks(inner)]
        assert len(targets) >= 5, inner  # 2 interviews, agenda, thank-you, referrals
        for target in targets:
            assert resolves_to(ix, target, f"People/c{i}.md") is not None, (i, target)
    again = sync(cli, vault)
    assert "wrote 0 files" in again.output


def test_a_user_note_where_a_generated_note_would_go_is_kept(cli, make_vault):
    mine = "# My own agenda, not vaultkit's\n"
    vault = make_vault({
        "People/Ann.md": CONTACT,
        "Interviews/Next.md": "---\ntype: interview\ncontact: \"[[Ann]]\"\ndate: 2026-11-30\n---\n",
        "Interviews/Agendas/2026-11-30 ann - AGENDA.md": mine,
    })
    assert sync(cli, vault).exit_code == 0
    assert (vault / "Interviews/Agendas/2026-11-30 ann - AGENDA.md").read_text() == mine
    assert (vault / "Interviews/Agendas/2026-11-30 Ann - agenda 2.md").exists()
    inner = block_inner((vault / "People/Ann.md").read_text(), "connections")
    assert "[[2026-11-30 Ann - agenda 2]]" in inner


def test_long_names_keep_what_the_note_is(cli, make_vault):
    """A 300-character CJK name is cut to fit ~200 bytes; the ` - agenda`, ` - thank-you`
    and ` - referral of ` that say what a note is are never cut off."""
    other = "é" * 300
    vault = make_vault({
        "People/a.md": "---\ntype: contact\nname: " + CJK + "\n---\n",
        "People/b.md": "---\ntype: contact\nname: " + other + "\nreferred_by: \"[[a]]\"\n---\n",
        "Interviews/Next.md": "---\ntype: interview\ncontact: \"[[a]]\"\ndate: 2026-11-30\n---\n",
        "Interviews/Past.md": "---\ntype: interview\ncontact: \"[[b]]\"\ndate: 2026-11-20\n---\n",
    })
    assert sync(cli, vault).exit_code == 0
    stems = [p.stem for p in (vault / "Interviews/Agendas").iterdir()] + \
            [p.stem for p in (vault / "Thank-yous").iterdir()]
    assert len(stems) == 3
    assert any(s.startswith("2026-11-30 名") and s.endswith(" - agenda") for s in stems), stems
    assert any(s.startswith("2026-11-20 é") and s.endswith(" - thank-you") for s in stems), stems
    assert any(s.startswith("名") and " - referral of é" in s for s in stems), stems
    for s in stems:
        assert len(s.encode()) <= 200


def test_nfc_and_nfd_spellings_of_one_name_are_one_name(cli, make_vault):
    """Two contacts whose names differ only in normalisation get distinct generated
    notes (numbered), never one overwriting the other."""
    vault = make_vault({
        "People/one.md": "---\ntype: contact\nname: Zoë\n---\n",
        "People/two.md": "---\ntype: contact\nname: Zoe\u0308\n---\n",
        "Interviews/A.md": "---\ntype: interview\ncontact: \"[[one]]\"\ndate: 2026-11-30\n---\n",
        "Interviews/B.md": "---\ntype: interview\ncontact: \"[[two]]\"\ndate: 2026-11-30\n---\n",
    })
    assert sync(cli, vault).exit_code == 0
    agendas = sorted(p.name for p in (vault / "Interviews/Agendas").iterdir())
    assert agendas == ["2026-11-30 Zoë - agenda 2.md", "2026-11-30 Zoë - agenda.md"]
    assert all(unicodedata.is_normalized("NFC", a) for a in agendas)
    for who in ("one", "two"):
        inner = block_inner((vault / f"People/{who}.md").read_text(), "connections")
        [agenda] = [l.target for l in wikilinks(inner) if "agenda" in l.target]
        meta = front_matter(vault / "Interviews/Agendas" / f"{agenda}.md")
        assert meta["contact"].startswith(f"[[{who}|")


def test_a_file_name_stored_in_nfd_resolves_links_typed_in_nfc(cli, make_vault):
    """macOS (and Syncthing from a Mac) can leave `Zoë.md` on disk in NFD, while links are
    typed in NFC. On Linux the NFD bytes are kept as given, which is how such a vault
    arrives: the links must still find the note."""
    vault = make_vault({
        "People/Zoe\u0308.md": CONTACT,
        "People/Bo.md": "---\ntype: contact\nreferred_by: \"[[Zo\u00eb]]\"\n---\nMet [[Zo\u00eb]]\n",
        "Interviews/Call.md": "---\ntype: interview\ncontact: \"[[Zo\u00eb]]\"\ndate: 2026-11-30\n---\n",
    })
    assert sync(cli, vault).exit_code == 0
    inner = block_inner((vault / "People/Zoe\u0308.md").read_text(), "connections")
    assert "[[Bo]]" in inner and "[[Call]]" in inner


def test_no_write_outside_the_vault_even_through_a_symlinked_folder(cli, make_vault, tmp_path):
    """`Interviews/Agendas` is a symlink to a folder outside the vault: the agendas due
    there are refused and reported, nothing is written outside, the rest syncs."""
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    vault = make_vault({
        "People/Ann.md": CONTACT,
        "Interviews/Next.md": "---\ntype: interview\ncontact: \"[[Ann]]\"\ndate: 2026-11-30\n---\n",
        "Interviews/Past.md": "---\ntype: interview\ncontact: \"[[Ann]]\"\ndate: 2026-11-20\n---\n",
    })
    (vault / "Interviews/Agendas").symlink_to(elsewhere, target_is_directory=True)
    result = sync(cli, vault)
    assert result.exit_code == 1
    assert "Interviews/Agendas" in result.stderr and "outside the vault" in result.stderr
    assert list(elsewhere.iterdir()) == []
    assert (vault / "Thank-yous/2026-11-20 Ann - thank-you.md").exists()
    assert block_inner((vault / "People/Ann.md").read_text(), "connections")
    assert os.path.islink(vault / "Interviews/Agendas")
