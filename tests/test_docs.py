"""The documentation in docs/ is checked against the program, so it cannot drift:
docs/cli.md is the `--help` of every command, and docs/config.md names every key.

After changing a command's options, regenerate docs/cli.md with `python tests/test_docs.py`.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import click

ROOT = Path(__file__).resolve().parent.parent
CLI_DOC = ROOT / "docs" / "cli.md"

HEAD = """# Command reference

Every command and option, as `vaultkit … --help` prints them. (This page is generated from
the program by `python tests/test_docs.py`, and a test fails when it no longer matches.)
"""


def _commands(command: click.Command, prefix: list[str], parent: click.Context | None = None):
    """Every command with the context it runs in (settings such as `-h` inherited, as
    when it is run)."""
    ctx = click.Context(command, info_name=prefix[-1], parent=parent, terminal_width=88,
                        max_content_width=88, **command.context_settings)
    yield prefix, command, ctx
    if isinstance(command, click.Group):
        for name in sorted(command.list_commands(ctx)):
            yield from _commands(command.get_command(ctx, name), [*prefix, name], ctx)


def cli_reference() -> str:
    """docs/cli.md as the program says it should be."""
    from vaultkit.cli import main
    parts = [HEAD]
    for path, command, ctx in _commands(main, ["vaultkit"]):
        parts.append(f"\n## `{' '.join(path)}`\n\n```text\n{command.get_help(ctx).rstrip()}\n```\n")
    return "".join(parts)


def test_cli_reference_matches_the_program():
    assert CLI_DOC.read_text("utf-8") == cli_reference(), \
        "docs/cli.md is out of date: run `python tests/test_docs.py`"


def test_every_configuration_key_is_documented():
    from dataclasses import fields

    from vaultkit.config import Config
    text = (ROOT / "docs" / "config.md").read_text("utf-8")
    missing = [f.name for f in fields(Config) if f"`{f.name}`" not in text]
    assert not missing, f"docs/config.md does not document {missing}"


def test_docs_and_readme_point_only_inside_the_repository():
    pages = [ROOT / "README.md", ROOT / "SECURITY.md", *sorted((ROOT / "docs").glob("*.md"))]
    for page in pages:
        text = page.read_text("utf-8")
        assert "../shared" not in text, page
        text = re.sub(r"```.*?```|`[^`\n]*`", "", text, flags=re.S)  # examples, not links
        for target in re.findall(r"\]\(([^)#]+)(?:#[^)]*)?\)", text):
            if re.match(r"[a-z]+:", target):
                continue  # a web address
            assert (page.parent / target).exists(), f"{page.name} links to {target}, which is not there"


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    CLI_DOC.write_text(cli_reference(), "utf-8")
    print(f"wrote {CLI_DOC.relative_to(ROOT)}")


def test_code_and_tests_cite_only_what_the_repository_holds():
    """Comments and docstrings point to docs/ or SECURITY.md, never to documents a clone
    does not have."""
    sources = [*ROOT.glob("vaultkit/*.py"), *ROOT.glob("tests/*.py"), *ROOT.glob("bench/*")]
    for path in sources:
        if path.name == "test_docs.py" or not path.is_file():
            continue
        text = path.read_text("utf-8")
        found = re.findall(r"\bSPEC\b|\bRELIABILITY\b|\.\./shared|\btest_item\d+_", text)
        assert not found, f"{path.relative_to(ROOT)} cites {found[0]}"  # (test_itemNN_: an outside list's numbers)
