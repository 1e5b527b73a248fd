"""Link style: a vault set to Markdown links in Obsidian (`useMarkdownLinks`, with its
`newLinkFormat`) gets Markdown links in blocks and generated notes; front-matter keeps
`"[[…]]"`; config `link_style` overrides."""

from __future__ import annotations

import json

from conftest import snapshot

from vaultkit.markers import block_inner

FILES = {
    "People/Ann Lee.md": "---\ntype: contact\n---\n",
    "People/Bo Chen.md": "---\ntype: contact\nreferred_by: \"[[Ann Lee]]\"\n---\n",
    "Interviews/2026-11-20 Bo Chen.md": ("---\ntype: interview\ncontact: \"[[Bo Chen]]\"\ndate: 2026-11-20\n"
                                         "status: done\n---\n"),
}


def app(markdown: bool, fmt: str | None = None) -> str:
    data = {"useMarkdownLinks": markdown}
    if fmt:
        data["newLinkFormat"] = fmt
    return json.dumps(data)


def sync(cli, vault):
    result = cli("sync", "--vault", vault, "--today", "2026-11-28")
    assert result.exit_code == 0, result.output
    return result


def test_markdown_links_shortest(cli, make_vault):
    vault = make_vault({**FILES, ".obsidian/app.json": app(True)})
    sync(cli, vault)
    block = block_inner((vault / "People/Bo Chen.md").read_text(), "connections")
    assert "[Ann Lee](Ann%20Lee.md)" in block and "[[" not in block
    draft = (vault / "Thank-yous/2026-11-20 Bo Chen - thank-you.md").read_text()
    head, _, body = draft.partition("\n---\n")
    assert 'to: "[[Bo Chen]]"' in head  # front-matter stays a wikilink
    assert "[[" not in body.split("## Before you send")[0]
    index = block_inner((vault / "Referral Index.md").read_text(), "referrals")
    assert "- [Ann Lee](Ann%20Lee.md)" in index
    before = snapshot(vault)
    assert "wrote 0 files" in sync(cli, vault).output
    assert snapshot(vault) == before


def test_markdown_links_relative_and_absolute(cli, make_vault):
    vault = make_vault({**FILES, ".obsidian/app.json": app(True, "relative")})
    sync(cli, vault)
    block = block_inner((vault / "Interviews/2026-11-20 Bo Chen.md").read_text(), "links")
    assert "[Ann Lee](../People/Ann%20Lee.md)" in block
    other = make_vault({**FILES, ".obsidian/app.json": app(True, "absolute")}, name="abs")
    sync(cli, other)
    block = block_inner((other / "Interviews/2026-11-20 Bo Chen.md").read_text(), "links")
    assert "[Ann Lee](People/Ann%20Lee.md)" in block


def test_config_overrides_obsidian(cli, make_vault):
    vault = make_vault({**FILES, ".obsidian/app.json": app(True),
                        ".vaultkit/config.toml": 'link_style = "wikilink"\n'})
    sync(cli, vault)
    assert "[[Ann Lee]]" in block_inner((vault / "People/Bo Chen.md").read_text(), "connections")
    plain = make_vault({**FILES, ".vaultkit/config.toml": 'link_style = "markdown"\n'}, name="md")
    sync(cli, plain)
    assert "[Ann Lee](Ann%20Lee.md)" in block_inner((plain / "People/Bo Chen.md").read_text(), "connections")
    bad = make_vault({**FILES, ".vaultkit/config.toml": 'link_style = "html"\n'}, name="bad")
    result = cli("sync", "--vault", bad, "--today", "2026-11-28")
    assert result.exit_code == 2 and "link_style" in result.output


def test_switching_style_rewrites_the_blocks(cli, make_vault):
    vault = make_vault({**FILES, ".obsidian/app.json": app(False)})
    sync(cli, vault)
    assert "[[Ann Lee]]" in (vault / "People/Bo Chen.md").read_text()
    (vault / ".obsidian/app.json").write_text(app(True))
    sync(cli, vault)
    assert "[Ann Lee](Ann%20Lee.md)" in (vault / "People/Bo Chen.md").read_text()
