"""File names from people's names, on real temp folders."""

from __future__ import annotations

import os
import unicodedata
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vaultkit.errors import UnsafePath
from vaultkit.names import FALLBACK, FORBIDDEN, MAX_NAME_BYTES, safe_filename, unique_note_path

RESERVED = {"CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$",
            *(f"{d}{n}" for d in ("COM", "LPT") for n in "0123456789¹²³")}


def make_vault(tmp_path: Path, files: dict[str, str] | None = None) -> Path:
    vault = tmp_path / "vault"
    vault.mkdir()
    for rel, content in (files or {}).items():
        path = vault / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content)
    return vault


def assert_safe(out: str, max_bytes: int = 200) -> None:
    assert out
    assert not set(out) & set(FORBIDDEN)
    assert not any(unicodedata.category(c) in ("Cc", "Cs") for c in out)
    assert not out.startswith(".")
    assert not out.endswith((".", " "))
    assert out == out.strip()
    assert out.split(".")[0].rstrip(" ").upper() not in RESERVED
    assert len(out.encode("utf-8")) <= max_bytes
    assert unicodedata.is_normalized("NFC", out)


@pytest.mark.parametrize("ch", list(FORBIDDEN))
def test_every_forbidden_character_is_replaced(ch):
    out = safe_filename(f"Ann{ch}Lee")
    assert out == "Ann Lee"
    assert_safe(out)


@pytest.mark.parametrize("name, expected", [
    ("A/B: C?", "A B C"),
    ('Robert "Bob" Smith', "Robert Bob Smith"),
    ("[[Ann]] #1 ^x |y", "Ann 1 x y"),
    ("Ann\tLee\nevil: true", "Ann Lee evil true"),
    ("Ann\x00Lee\x7f\x85", "Ann Lee"),
    ("  Ann   Lee  ", "Ann Lee"),
    ("Ann\u00a0Lee", "Ann Lee"),
    ("Zoë Ōkubo", "Zoë Ōkubo"),
    ("Ann\udcffLee", "Ann Lee"),  # a lone surrogate from an undecodable file name
    ("O'Brien & Co. (Dublin)", "O'Brien & Co. (Dublin)"),
])
def test_cleaning(name, expected):
    assert safe_filename(name) == expected


@pytest.mark.parametrize("name, expected", [
    ("..", FALLBACK),
    ("../../x", "x"),
    ("../..", FALLBACK),
    ("/abs/path", "abs path"),
    ("C:\\Windows\\x", "C Windows x"),
    (".hidden", "hidden"),
    ("...dots", "dots"),
    ("Smith, J.", "Smith, J"),
    ("trailing. . ", "trailing"),
    ("", FALLBACK),
    ("   ", FALLBACK),
    ("???", FALLBACK),
    ("\x00\x01\n", FALLBACK),
])
def test_paths_dots_and_empties(name, expected):
    out = safe_filename(name)
    assert out == expected
    assert "/" not in out and "\\" not in out and out != ".."


@pytest.mark.parametrize("name, expected", [
    ("CON", "CON_"), ("con", "con_"), ("Nul", "Nul_"), ("aux.txt", "aux_.txt"),
    ("COM1", "COM1_"), ("lpt9", "lpt9_"), ("COM¹", "COM¹_"), ("PRN.", "PRN_"),
    ("con .txt", "con_.txt"), ("CONSOLE", "CONSOLE"), ("COM10", "COM10"), ("Con Ed", "Con Ed"),
])
def test_windows_reserved_names(name, expected):
    assert safe_filename(name) == expected


def test_long_cjk_name_is_capped_on_a_character_boundary():
    name = "山田太郎" * 75  # 300 characters, 900 bytes
    out = safe_filename(name)
    assert len(out.encode("utf-8")) <= 200
    assert out.encode("utf-8").decode("utf-8") == out
    assert name.startswith(out)
    assert len(out) == 66


def test_cap_keeps_combining_marks_with_their_letter():
    name = "a" * 199 + "q\u0301\u0302"  # q with two marks has no composed form
    out = safe_filename(name)
    assert out == "a" * 199


def test_cap_strips_what_becomes_trailing():
    assert safe_filename("a" * 199 + ". b", max_bytes=200) == "a" * 199


def test_nfd_input_gives_nfc_output():
    nfd = unicodedata.normalize("NFD", "Zoë Ōkubo-Åström")
    assert nfd != "Zoë Ōkubo-Åström"
    assert safe_filename(nfd) == "Zoë Ōkubo-Åström"


def test_idempotent_on_examples():
    for name in ("CON", "aux.txt", "a" * 400, "../x", "Zoë", "A/B: C?"):
        once = safe_filename(name)
        assert safe_filename(once) == once


def test_max_bytes_too_small_is_an_error():
    with pytest.raises(ValueError):
        safe_filename("x", max_bytes=3)


@settings(max_examples=400, deadline=None)
@given(name=st.text(), max_bytes=st.integers(16, 255))
def test_any_text_gives_a_safe_name(tmp_path_factory, name, max_bytes):
    out = safe_filename(name, max_bytes)
    assert_safe(out, max_bytes)
    assert safe_filename(out, max_bytes) == out
    vault = tmp_path_factory.getbasetemp() / "hyp-vault"
    vault.mkdir(exist_ok=True)
    target = (vault / "People" / (out + ".md")).resolve()
    assert target.is_relative_to(vault.resolve())
    assert target.parent == (vault / "People").resolve()


# --- unique_note_path -------------------------------------------------------------------

def test_unique_path_when_free(tmp_path):
    vault = make_vault(tmp_path)
    assert unique_note_path(vault, "People", "Ann Lee") == "People/Ann Lee.md"
    assert unique_note_path(vault, "", "Ann Lee") == "Ann Lee.md"
    assert unique_note_path(vault, "Interviews/Agendas", "x") == "Interviews/Agendas/x.md"


def test_unique_path_numbers_taken_names(tmp_path):
    vault = make_vault(tmp_path, {"People/Ann Lee.md": "", "People/Ann Lee 2.md": ""})
    assert unique_note_path(vault, "People", "Ann Lee") == "People/Ann Lee 3.md"


def test_unique_path_collides_case_insensitively(tmp_path):
    vault = make_vault(tmp_path, {"People/ann lee.md": ""})
    assert unique_note_path(vault, "People", "Ann Lee") == "People/Ann Lee 2.md"


def test_unique_path_collides_across_normalisation(tmp_path):
    vault = make_vault(tmp_path)
    (vault / "People").mkdir()
    (vault / "People" / unicodedata.normalize("NFD", "Zoë.md")).write_text("")
    assert unique_note_path(vault, "People", "Zoë") == "People/Zoë 2.md"
    assert unique_note_path(vault, "People", "ZOË") == "People/ZOË 2.md"


def test_unique_path_respects_icloud_placeholder(tmp_path):
    vault = make_vault(tmp_path, {"People/.Ann Lee.md.icloud": ""})
    assert unique_note_path(vault, "People", "Ann Lee") == "People/Ann Lee 2.md"


def test_unique_path_cleans_stem_and_folder(tmp_path):
    vault = make_vault(tmp_path)
    assert unique_note_path(vault, "../../People/./x:y", "../A/B: C?") == "People/x y/A B C.md"
    assert unique_note_path(vault, "/abs/", "CON") == "abs/CON_.md"
    assert unique_note_path(vault, "..", "") == f"{FALLBACK}.md"


def test_unique_path_suffix_fits_a_long_stem(tmp_path):
    vault = make_vault(tmp_path)
    stem = "é" * 200  # 400 bytes: cut to the name limit
    first = unique_note_path(vault, "People", stem)
    (vault / first).parent.mkdir(parents=True)
    (vault / first).write_text("")
    second = unique_note_path(vault, "People", stem)
    assert second != first and second.endswith(" 2.md")
    name = second.rsplit("/", 1)[1]
    assert len(name.removesuffix(".md").encode()) <= MAX_NAME_BYTES
    assert len(("." + name + ".icloud").encode()) <= 255


def test_unique_path_refuses_a_folder_symlinked_outside(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    vault = make_vault(tmp_path)
    os.symlink(outside, vault / "People")
    with pytest.raises(UnsafePath):
        unique_note_path(vault, "People", "Ann")
