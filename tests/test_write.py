"""Managed blocks, the safe writer and the vault lock.

Everything runs on real files under pytest's tmp_path. The only thing replaced is the
module attributes `write._link`, `write._replace` and `lock.fcntl`: seams the module
offers for this (to stand for Windows or a file system without hard links), not mocks of
the file system.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vaultkit import lock, write
from vaultkit.errors import LockError, MarkerError, UnsafePath, WriteConflict
from vaultkit.model import FileState
from vaultkit.lock import VaultLock
from vaultkit.markers import block_inner, block_spans, check_markers, decode, encode, find_block, set_block, uses_crlf
from vaultkit.scan import scan
from vaultkit.folders import remove_temp_files
from vaultkit.write import safe_write
from vaultkit.files import file_state, read_with_state, sha256_hex

ROOT = Path(__file__).resolve().parents[1]
BEGIN = "<!-- vaultkit:begin {} -->"
END = "<!-- vaultkit:end {} -->"


def make_vault(tmp_path: Path, files: dict[str, str | bytes] | None = None) -> Path:
    vault = tmp_path / "vault"
    vault.mkdir()
    for rel, content in (files or {}).items():
        path = vault / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content if isinstance(content, bytes) else content.encode())
    return vault


def block(name: str, inner: str, eol: str = "\n") -> str:
    return f"{BEGIN.format(name)}{eol}{inner}{END.format(name)}{eol}"


def temp_files(vault: Path) -> list[Path]:
    return [p for p in vault.rglob("*") if p.name.startswith(write.TEMP_PREFIX)]


# --- text -----------------------------------------------------------------------------

def test_decode_reports_and_strips_bom():
    assert decode(b"\xef\xbb\xbfhi\n") == ("hi\n", True)
    assert decode(b"hi\n") == ("hi\n", False)
    assert decode("é".encode()) == ("é", False)


def test_decode_rejects_invalid_utf8():
    with pytest.raises(UnicodeDecodeError):
        decode(b"caf\xe9\n")


def test_encode_round_trips_bom():
    for data in (b"\xef\xbb\xbfa\r\nb\r\n", b"plain\n", b""):
        text, bom = decode(data)
        assert encode(text, bom) == data


def test_uses_crlf():
    assert uses_crlf("a\r\nb\r\n")
    assert not uses_crlf("a\nb\n")
    assert not uses_crlf("no newline")
    assert not uses_crlf("")
    assert uses_crlf("a\r\nb\r\nc\n")  # dominant
    assert uses_crlf("a\r\nb\n")  # tie: the first one
    assert not uses_crlf("a\nb\r\n")


# --- finding blocks -------------------------------------------------------------------

def test_find_block_spans_inner_text():
    text = "# Ann\n\n" + block("connections", "- one\n- two\n") + "after\n"
    start, end = find_block(text, "connections")
    assert text[start:end] == "- one\n- two\n"
    assert block_inner(text, "connections") == "- one\n- two\n"
    assert find_block(text, "links") is None
    assert block_inner(text, "links") is None


def test_find_block_empty_inner():
    text = block("links", "")
    start, end = find_block(text, "links")
    assert start == end == len(BEGIN.format("links")) + 1


def test_end_marker_on_the_last_line_without_newline():
    text = "x\n<!-- vaultkit:begin links -->\nin\n<!-- vaultkit:end links -->"
    assert block_inner(text, "links") == "in\n"
    assert set_block(text, "links", "new\n") == text.replace("in\n", "new\n")


def test_markers_tolerate_trailing_whitespace_and_cr():
    text = "x\r\n<!-- vaultkit:begin links -->  \r\nin\r\n<!-- vaultkit:end links -->\t\r\n"
    assert block_inner(text, "links") == "in\r\n"


def test_note_without_markers_has_no_blocks():
    assert find_block("just text\n", "connections") is None
    assert block_spans("just text\n") == []
    check_markers("just text\n")


@pytest.mark.parametrize(
    "text, line, words",
    [
        ("a\n<!-- vaultkit:begin x -->\nb\n", 2, "no end"),
        ("a\nb\n<!-- vaultkit:end x -->\n", 3, "no begin"),
        (block("x", "1\n") + "\n" + block("x", "2\n"), 5, "second block 'x'"),
        ("<!-- vaultkit:begin x -->\n<!-- vaultkit:begin y -->\n<!-- vaultkit:end y -->\n"
         "<!-- vaultkit:end x -->\n", 2, "nested"),
        ("<!-- vaultkit:begin x -->\n<!-- vaultkit:end y -->\n", 2, "while block 'x'"),
        ("t\n<!-- vaultkit:begin my block -->\n", 2, "malformed"),
        ("t\n\n  <!-- vaultkit:end x -->\n", 3, "malformed"),
        ("<!-- vaultkit:begin x -->\n```\n<!-- vaultkit:end x -->\n", 1, "never closed"),
    ],
)
def test_broken_markers_raise_with_line(text, line, words):
    for check in (check_markers, lambda t: find_block(t, "x"), lambda t: find_block(t, "other")):
        with pytest.raises(MarkerError) as info:
            check(text)
        assert info.value.line == line
        assert words in info.value.message
    with pytest.raises(MarkerError):
        set_block(text, "x", "new\n")


def test_unbalanced_block_of_another_name_blocks_every_block():
    text = block("links", "ok\n") + "<!-- vaultkit:begin connections -->\n"
    with pytest.raises(MarkerError) as info:
        find_block(text, "links")
    assert info.value.line == 4


def test_markers_in_code_fences_are_not_markers():
    text = (
        "How the block looks:\n"
        "```markdown\n<!-- vaultkit:begin connections -->\n```\n"
        "~~~~\n<!-- vaultkit:end connections -->\n```\nstill code\n~~~~\n"
        "   ```\n<!-- vaultkit:begin x -->\n   ````\n"
        + block("connections", "real\n")
    )
    check_markers(text)
    assert block_inner(text, "connections") == "real\n"
    assert [name for name, _, _ in block_spans(text)] == ["connections"]
    assert find_block(text, "x") is None


def test_inline_mention_of_a_marker_is_not_a_marker():
    text = "Use `<!-- vaultkit:begin NAME -->` to start a block.\n"
    check_markers(text)
    assert find_block(text, "NAME") is None


def test_block_spans_lists_every_block_and_survives_broken_markers():
    text = block("a", "1\n") + block("b", "2\n")
    assert [(n, text[s:e]) for n, s, e in block_spans(text)] == [("a", "1\n"), ("b", "2\n")]
    broken = block("a", "1\n") + "<!-- vaultkit:end zz -->\n" + block("a", "3\n")
    assert [(n, broken[s:e]) for n, s, e in block_spans(broken)] == [("a", "1\n"), ("a", "3\n")]


# --- setting blocks -------------------------------------------------------------------

def test_set_block_replaces_only_the_inner_text():
    text = "---\ntype: contact\n---\n# Ann\n\n" + block("connections", "old\n") + "\nMy own text.\n"
    new = set_block(text, "connections", "- [[Bob]]\n- [[Cy]]\n")
    assert new == text.replace("old\n", "- [[Bob]]\n- [[Cy]]\n")


def test_set_block_same_inner_returns_same_text():
    text = "x\n\n" + block("links", "same\n")
    assert set_block(text, "links", "same\n") == text


def test_set_block_to_empty():
    text = "x\n\n" + block("links", "old\n")
    assert set_block(text, "links", "") == "x\n\n" + block("links", "")


@pytest.mark.parametrize(
    "text, head",
    [
        ("# Ann\nSome text", "# Ann\nSome text\n\n"),  # no trailing newline
        ("# Ann\nSome text\n", "# Ann\nSome text\n\n"),
        ("# Ann\n\n", "# Ann\n\n"),  # already ends with a blank line
        ("# Ann\n \t\n", "# Ann\n \t\n"),  # a white-space line is blank too
        ("", ""),  # empty note
        ("\n", "\n"),
    ],
)
def test_set_block_appends_after_a_blank_line(text, head):
    new = set_block(text, "connections", "- [[Bob]]\n")
    assert new == head + block("connections", "- [[Bob]]\n")
    assert new.startswith(text)
    assert block_inner(new, "connections") == "- [[Bob]]\n"


def test_set_block_crlf_note_stays_crlf():
    text = "# Ann\r\nText\r\n\r\n" + block("links", "old\r\n", "\r\n") + "tail\r\n"
    new = set_block(text, "links", "a\nb\n")
    assert new == text.replace("old\r\n", "a\r\nb\r\n")
    assert "\n" not in new.replace("\r\n", "")

    appended = set_block("# Ann\r\nText", "links", "a\nb\n")
    assert appended == "# Ann\r\nText\r\n\r\n" + block("links", "a\r\nb\r\n", "\r\n")
    assert "\n" not in appended.replace("\r\n", "")


def test_set_block_adds_a_missing_final_newline_to_inner():
    assert block_inner(set_block("", "links", "x"), "links") == "x\n"


def test_set_block_keeps_bom_and_prefix_byte_exact():
    original = b"\xef\xbb\xbf---\r\nname: Zo\xc3\xab\r\n---\r\nBody with trailing spaces   "
    text, bom = decode(original)
    data = encode(set_block(text, "connections", "- [[Bob]]\n"), bom)
    assert data.startswith(original)
    assert data == original + b"\r\n\r\n" + block("connections", "- [[Bob]]\r\n", "\r\n").encode()
    # Replacing it again keeps everything outside the block.
    text2, bom2 = decode(data)
    again = encode(set_block(text2, "connections", "- [[Cy]]\n"), bom2)
    assert again == data.replace(b"[[Bob]]", b"[[Cy]]")


def test_two_blocks_coexist():
    text = set_block("# Referral Index\n", "referrals", "tree\n")
    text = set_block(text, "follow-ups", "today\n")
    text = set_block(text, "referrals", "new tree\n")
    assert block_inner(text, "referrals") == "new tree\n"
    assert block_inner(text, "follow-ups") == "today\n"
    assert text == ("# Referral Index\n\n" + block("referrals", "new tree\n")
                    + "\n" + block("follow-ups", "today\n"))


def test_set_block_refuses_to_append_inside_an_open_fence():
    text = "intro\n```\nunclosed code\n"
    with pytest.raises(MarkerError) as info:
        set_block(text, "links", "x\n")
    assert info.value.line == 2


@pytest.mark.parametrize("inner", [
    "a\n<!-- vaultkit:end links -->\n",
    "<!-- vaultkit:begin other -->\n<!-- vaultkit:end other -->\n",
    "```mermaid\nflowchart\n",
])
def test_set_block_refuses_inner_that_would_break_markers(inner):
    with pytest.raises(MarkerError):
        set_block("x\n", "links", inner)


def test_set_block_allows_closed_fences_in_inner():
    inner = "```mermaid\nflowchart LR\n  a --> b\n```\n"
    new = set_block("x\n", "referrals", inner)
    assert block_inner(new, "referrals") == inner


# Whole blocks and plain lines are repeated so that well-formed notes come up often.
LINES = ["text", "text", "", "", "```", "~~~", "````", "  ```py", "`inline` vaultkit: word",
         BEGIN.format("a"), END.format("a"), BEGIN.format("b"), END.format("b"),
         "<!-- vaultkit:begin a -->  ", "<!-- vaultkit:end a",
         *[f"{BEGIN.format('a')}\nold\n{END.format('a')}"] * 3,
         *[f"{BEGIN.format('b')}\n```\nb\n```\n{END.format('b')}"] * 3]


@settings(max_examples=500, deadline=None)
@given(lines=st.lists(st.sampled_from(LINES), max_size=12), eol=st.sampled_from(["\n", "\r\n"]),
       final=st.booleans())
def test_set_block_properties(lines, eol, final):
    text = "\n".join(lines).replace("\n", eol) + (eol if final and lines else "")
    for name, start, end in block_spans(text):  # never raises
        assert 0 <= start <= end <= len(text) and name in ("a", "b")
    try:
        check_markers(text)
    except MarkerError:
        with pytest.raises(MarkerError):
            set_block(text, "a", "x\n")
        return
    old = find_block(text, "a")
    try:
        new = set_block(text, "a", "x\ny\n")
    except MarkerError as exc:  # only when appending after a fence left open
        assert old is None and "never closed" in exc.message
        return
    check_markers(new)
    want = "x\ny\n".replace("\n", "\r\n") if uses_crlf(text) else "x\ny\n"
    start, end = find_block(new, "a")
    assert new[start:end] == want
    if old is None:
        assert new.startswith(text)
    else:
        assert new[:start] == text[:old[0]] and new[end:] == text[old[1]:]
    assert block_inner(new, "b") == block_inner(text, "b")
    assert set_block(new, "a", "x\ny\n") == new


# --- reading --------------------------------------------------------------------------

def test_read_with_state_and_file_state(tmp_path):
    path = tmp_path / "n.md"
    path.write_bytes(b"hello\n")
    data, state = read_with_state(path)
    st = path.stat()
    assert data == b"hello\n"
    assert state == FileState(st.st_size, st.st_mtime_ns, sha256_hex(b"hello\n"))
    assert file_state(path) == state
    assert file_state(path, data) == state


def test_read_with_state_refuses_a_fifo(tmp_path):
    fifo = tmp_path / "pipe.md"
    os.mkfifo(fifo)
    with pytest.raises(OSError, match="not a regular file"):
        read_with_state(fifo)  # and does not hang


# --- safe_write: creating -------------------------------------------------------------

def test_create_in_new_folder(tmp_path):
    vault = make_vault(tmp_path)
    state = safe_write(vault, "Thank-yous/2026/Ann.md", b"Dear Ann\n", None)
    path = vault / "Thank-yous/2026/Ann.md"
    assert path.read_bytes() == b"Dear Ann\n"
    assert state == file_state(path)
    assert temp_files(vault) == []


def test_create_uses_the_umask_mode(tmp_path):
    vault = make_vault(tmp_path)
    old = os.umask(0o022)
    try:
        safe_write(vault, "a.md", b"x", None)
    finally:
        os.umask(old)
    assert stat.S_IMODE((vault / "a.md").stat().st_mode) == 0o644


def test_create_never_overwrites(tmp_path):
    vault = make_vault(tmp_path, {"People/Ann.md": "mine\n"})
    with pytest.raises(WriteConflict):
        safe_write(vault, "People/Ann.md", b"generated\n", None)
    assert (vault / "People/Ann.md").read_bytes() == b"mine\n"
    assert temp_files(vault) == []


def test_create_refuses_a_dangling_symlink(tmp_path):
    vault = make_vault(tmp_path)
    (vault / "a.md").symlink_to(vault / "nowhere.md")
    with pytest.raises(WriteConflict):
        safe_write(vault, "a.md", b"x", None)
    assert not (vault / "nowhere.md").exists()


def test_create_refuses_beside_an_icloud_placeholder(tmp_path):
    vault = make_vault(tmp_path, {"People/.Ann.md.icloud": b"bplist"})
    with pytest.raises(WriteConflict, match="iCloud"):
        safe_write(vault, "People/Ann.md", b"x", None)
    assert not (vault / "People/Ann.md").exists()


def test_create_without_hard_links(tmp_path, monkeypatch):
    """Through the `_link` seam: a file system without hard links (FAT, some shares)."""
    def no_links(src, dst):
        raise PermissionError(1, "Operation not permitted")

    monkeypatch.setattr(write, "_link", no_links)
    vault = make_vault(tmp_path, {"taken.md": "mine\n"})
    state = safe_write(vault, "new/a.md", b"hello\n", None)
    assert (vault / "new/a.md").read_bytes() == b"hello\n"
    assert state == file_state(vault / "new/a.md")
    with pytest.raises(WriteConflict):
        safe_write(vault, "taken.md", b"x", None)
    assert (vault / "taken.md").read_bytes() == b"mine\n"
    assert temp_files(vault) == []


def test_create_loses_a_race_without_overwriting(tmp_path, monkeypatch):
    """Through the `_link` seam: the note appears just before our link."""
    vault = make_vault(tmp_path)

    def user_first(src, dst):
        Path(dst).write_bytes(b"the user's\n")
        os.link(src, dst)

    monkeypatch.setattr(write, "_link", user_first)
    with pytest.raises(WriteConflict):
        safe_write(vault, "a.md", b"ours\n", None)
    assert (vault / "a.md").read_bytes() == b"the user's\n"
    assert temp_files(vault) == []


@pytest.mark.parametrize("rel", ["../x.md", "a/../../x.md", "a/../b.md", "/etc/x.md",
                                 "a\x00b.md", "", ".", "a/"])
def test_refuses_unsafe_paths(tmp_path, rel):
    vault = make_vault(tmp_path)
    with pytest.raises(UnsafePath):
        safe_write(vault, rel, b"x", None)
    assert not (tmp_path / "x.md").exists()
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["vault"]


def test_refuses_a_symlinked_folder_pointing_outside(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    vault = make_vault(tmp_path)
    (vault / "People").symlink_to(outside)
    with pytest.raises(UnsafePath):
        safe_write(vault, "People/Ann.md", b"x", None)
    with pytest.raises(UnsafePath):
        safe_write(vault, "People/new/Ann.md", b"x", None)
    assert list(outside.iterdir()) == []


def test_symlinked_note_inside_vault_writes_its_target(tmp_path):
    vault = make_vault(tmp_path, {"Real/Ann.md": "old\n"})
    (vault / "Ann.md").symlink_to(vault / "Real/Ann.md")
    _, state = read_with_state(vault / "Ann.md")
    safe_write(vault, "Ann.md", b"new\n", state)
    assert (vault / "Ann.md").is_symlink()
    assert (vault / "Real/Ann.md").read_bytes() == b"new\n"


def test_symlinked_note_pointing_outside_is_refused(tmp_path):
    outside = tmp_path / "elsewhere.md"
    outside.write_bytes(b"not yours\n")
    vault = make_vault(tmp_path)
    (vault / "Ann.md").symlink_to(outside)
    _, state = read_with_state(vault / "Ann.md")
    with pytest.raises(UnsafePath):
        safe_write(vault, "Ann.md", b"new\n", state)
    assert outside.read_bytes() == b"not yours\n"


def test_vault_itself_may_be_a_symlink(tmp_path):
    real = make_vault(tmp_path)
    link = tmp_path / "link"
    link.symlink_to(real)
    safe_write(link, "a.md", b"x", None)
    assert (real / "a.md").read_bytes() == b"x"


# --- safe_write: replacing ------------------------------------------------------------

@pytest.mark.parametrize("mode", [0o644, 0o664, 0o600])
def test_replace_preserves_mode(tmp_path, mode):
    vault = make_vault(tmp_path, {"n.md": "old\n"})
    (vault / "n.md").chmod(mode)
    _, state = read_with_state(vault / "n.md")
    new = safe_write(vault, "n.md", b"new\n", state)
    assert (vault / "n.md").read_bytes() == b"new\n"
    assert stat.S_IMODE((vault / "n.md").stat().st_mode) == mode
    assert new == file_state(vault / "n.md")
    assert temp_files(vault) == []


def test_replace_conflict_when_content_changed(tmp_path):
    vault = make_vault(tmp_path, {"n.md": "old\n"})
    path = vault / "n.md"
    _, state = read_with_state(path)
    path.write_bytes(b"user edit\n")
    with pytest.raises(WriteConflict):
        safe_write(vault, "n.md", b"ours\n", state)
    assert path.read_bytes() == b"user edit\n"
    assert temp_files(vault) == []


def test_replace_conflict_when_same_size_and_mtime_but_other_bytes(tmp_path):
    vault = make_vault(tmp_path, {"n.md": "abc\n"})
    path = vault / "n.md"
    _, state = read_with_state(path)
    path.write_bytes(b"xyz\n")
    os.utime(path, ns=(state.mtime_ns, state.mtime_ns))  # a coarse clock would hide the edit
    with pytest.raises(WriteConflict):
        safe_write(vault, "n.md", b"ours\n", state)
    assert path.read_bytes() == b"xyz\n"
    assert temp_files(vault) == []


def test_replace_conflict_when_only_mtime_changed(tmp_path):
    vault = make_vault(tmp_path, {"n.md": "same\n"})
    path = vault / "n.md"
    _, state = read_with_state(path)
    os.utime(path, ns=(state.mtime_ns, state.mtime_ns + 1_000_000_000))
    with pytest.raises(WriteConflict):
        safe_write(vault, "n.md", b"ours\n", state)
    assert path.read_bytes() == b"same\n"


def test_replace_conflict_when_deleted(tmp_path):
    vault = make_vault(tmp_path, {"n.md": "x\n"})
    _, state = read_with_state(vault / "n.md")
    (vault / "n.md").unlink()
    with pytest.raises(WriteConflict):
        safe_write(vault, "n.md", b"ours\n", state)
    assert not (vault / "n.md").exists()


def test_replace_refuses_hard_links(tmp_path):
    vault = make_vault(tmp_path, {"n.md": "old\n"})
    os.link(vault / "n.md", tmp_path / "other-name.md")
    _, state = read_with_state(vault / "n.md")
    with pytest.raises(UnsafePath, match="hard links"):
        safe_write(vault, "n.md", b"new\n", state)
    assert (vault / "n.md").read_bytes() == b"old\n"
    assert (tmp_path / "other-name.md").read_bytes() == b"old\n"
    assert temp_files(vault) == []


def test_replace_leaves_a_read_only_note_alone(tmp_path):
    vault = make_vault(tmp_path, {"n.md": "old\n"})
    (vault / "n.md").chmod(0o444)
    _, state = read_with_state(vault / "n.md")
    with pytest.raises(PermissionError):
        safe_write(vault, "n.md", b"new\n", state)
    assert (vault / "n.md").read_bytes() == b"old\n"


def test_replace_retries_a_transient_failure(tmp_path, monkeypatch):
    """`write._replace` is the module's seam for the rename; the files stay real."""
    vault = make_vault(tmp_path, {"n.md": "old\n"})
    _, state = read_with_state(vault / "n.md")
    calls = []

    def flaky(src, dst):
        calls.append(dst)
        if len(calls) <= 2:
            raise PermissionError(13, "The process cannot access the file (sharing violation)")
        os.replace(src, dst)

    monkeypatch.setattr(write, "_replace", flaky)
    monkeypatch.setattr(write, "_REPLACE_DELAY", 0.001)
    safe_write(vault, "n.md", b"new\n", state)
    assert len(calls) == 3
    assert (vault / "n.md").read_bytes() == b"new\n"
    assert temp_files(vault) == []


def test_replace_gives_up_and_cleans_up(tmp_path, monkeypatch):
    """Through the `_replace` seam: a failure that never clears is raised, nothing left."""
    vault = make_vault(tmp_path, {"n.md": "old\n"})
    _, state = read_with_state(vault / "n.md")
    calls = []

    def stuck(src, dst):
        calls.append(dst)
        raise PermissionError(13, "denied")

    monkeypatch.setattr(write, "_replace", stuck)
    monkeypatch.setattr(write, "_REPLACE_DELAY", 0.001)
    with pytest.raises(PermissionError):
        safe_write(vault, "n.md", b"new\n", state)
    assert len(calls) == write._REPLACE_TRIES
    assert (vault / "n.md").read_bytes() == b"old\n"
    assert temp_files(vault) == []


def test_replace_does_not_retry_a_real_error(tmp_path, monkeypatch):
    """Through the `_replace` seam: a disk-full error is raised at once."""
    vault = make_vault(tmp_path, {"n.md": "old\n"})
    _, state = read_with_state(vault / "n.md")
    calls = []

    def full(src, dst):
        calls.append(dst)
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(write, "_replace", full)
    with pytest.raises(OSError):
        safe_write(vault, "n.md", b"new\n", state)
    assert len(calls) == 1
    assert temp_files(vault) == []


def test_retry_rechecks_the_file(tmp_path, monkeypatch):
    """Through the `_replace` seam: an edit made between two tries is not overwritten."""
    vault = make_vault(tmp_path, {"n.md": "old\n"})
    path = vault / "n.md"
    _, state = read_with_state(path)

    def busy_then_edited(src, dst):
        path.write_bytes(b"edited meanwhile\n")
        raise PermissionError(13, "busy")

    monkeypatch.setattr(write, "_replace", busy_then_edited)
    monkeypatch.setattr(write, "_REPLACE_DELAY", 0.001)
    with pytest.raises(WriteConflict):
        safe_write(vault, "n.md", b"ours\n", state)
    assert path.read_bytes() == b"edited meanwhile\n"
    assert temp_files(vault) == []


def test_rewrite_with_the_returned_state(tmp_path):
    vault = make_vault(tmp_path)
    state = safe_write(vault, "n.md", b"one\n", None)
    state = safe_write(vault, "n.md", b"two\n", state)
    safe_write(vault, "n.md", b"three\n", state)
    assert (vault / "n.md").read_bytes() == b"three\n"


def cleanup_temp_files(vault):
    """What a pass does with the temporary files its walk found (and any in .vaultkit/)."""
    return remove_temp_files(vault, scan(vault).temp_files)


def test_cleanup_temp_files(tmp_path):
    vault = make_vault(tmp_path, {
        "a.md": "keep\n",
        ".vaultkit-tmp-1a2b": "left by a crash",
        "People/.vaultkit-tmp-ffff": "left by a crash",
        ".git/objects/.vaultkit-tmp-0000": "not ours to touch",
        "People/vaultkit-tmp-no-dot.md": "a note",
    })
    assert cleanup_temp_files(vault) == [".vaultkit-tmp-1a2b", "People/.vaultkit-tmp-ffff"]
    assert temp_files(vault) == [vault / ".git/objects/.vaultkit-tmp-0000"]
    assert (vault / "a.md").exists() and (vault / "People/vaultkit-tmp-no-dot.md").exists()
    assert cleanup_temp_files(vault) == []


# --- the lock -------------------------------------------------------------------------

HOLDER = """
import sys, time
from pathlib import Path
from vaultkit.lock import VaultLock
with VaultLock(Path(sys.argv[1]), owner="watch"):
    print("locked", flush=True)
    time.sleep(120)
"""


def test_lock_held_by_another_process_then_freed_by_its_death(tmp_path):
    vault = make_vault(tmp_path)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-c", HOLDER, str(vault)],
                            stdout=subprocess.PIPE, text=True, env=env)
    try:
        assert proc.stdout.readline().strip() == "locked"
        began = time.monotonic()
        with pytest.raises(LockError) as info:
            VaultLock(vault, timeout=0.3).acquire()
        assert time.monotonic() - began >= 0.3
        assert f"vaultkit watch (pid {proc.pid}) since " in str(info.value)
        assert "try again when it finishes" in str(info.value)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
        proc.stdout.close()
    with VaultLock(vault, timeout=0) as lock:
        assert lock.held
    assert (vault / ".vaultkit/lock").exists()


def test_lock_excludes_a_second_holder_in_the_same_process(tmp_path):
    vault = make_vault(tmp_path)
    with VaultLock(vault, owner="vaultkit sync"):
        with pytest.raises(LockError, match=rf"locked by vaultkit sync \(pid {os.getpid()}\)"):
            VaultLock(vault, timeout=0.05).acquire()
    with VaultLock(vault, timeout=0):
        pass


def test_lock_waits_for_the_holder_to_finish(tmp_path):
    vault = make_vault(tmp_path)
    first = VaultLock(vault)
    first.acquire()
    timer = threading.Timer(0.2, first.release)
    timer.start()
    try:
        with VaultLock(vault, timeout=5) as second:
            assert second.held
    finally:
        timer.join()
    assert not first.held


def test_lock_is_not_reentrant(tmp_path):
    lock = VaultLock(make_vault(tmp_path))
    with lock:
        with pytest.raises(RuntimeError):
            lock.acquire()
    lock.release()  # harmless when not held


def test_lock_file_names_the_holder_and_is_emptied_on_release(tmp_path):
    vault = make_vault(tmp_path)
    with VaultLock(vault, owner="watch"):
        holder = lock._read_holder(vault / ".vaultkit/lock")
        assert holder["pid"] == os.getpid() and holder["owner"] == "watch"
        assert set(holder) == {"pid", "owner", "host", "started"}
    assert (vault / ".vaultkit/lock").read_bytes() == b""


def test_lock_fallback_without_fcntl(tmp_path, monkeypatch):
    """`lock.fcntl` is the module's seam for platforms without flock (Windows)."""
    monkeypatch.setattr(lock, "fcntl", None)
    vault = make_vault(tmp_path)
    with VaultLock(vault, owner="watch"):
        assert (vault / ".vaultkit/lock").exists()
        with pytest.raises(LockError, match=rf"vaultkit watch \(pid {os.getpid()}\)"):
            VaultLock(vault, timeout=0.05).acquire()
    assert not (vault / ".vaultkit/lock").exists()

    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    (vault / ".vaultkit/lock").write_text(json.dumps(  # left behind by a process that died
        {"pid": dead.pid, "owner": "sync", "host": socket.gethostname(), "started": "2026-01-01"}))
    with VaultLock(vault, timeout=0) as held:
        assert held.held
        assert lock._read_holder(vault / ".vaultkit/lock")["pid"] == os.getpid()
