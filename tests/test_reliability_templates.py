"""Templates, each tried through `vaultkit sync` / `vaultkit new` with a
hostile or broken user template in the vault's templates folder.

The renderer's unit tests are in test_render.py (the same escapes, limits and filters on
the `Renderer` alone). Here the checks are what a user sees: exit 1 (2 for `new`, which
creates nothing), a message `Templates/vaultkit/NAME:LINE: …` naming the template and its
line, no note created from that template, and the rest of the vault synced.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import yaml

from conftest import TODAY, snapshot

from vaultkit import render
from vaultkit.markers import block_inner

USER = "Templates/vaultkit"
CONTACT = "---\ntype: contact\n---\n"
AGENDA = "Interviews/Agendas/2026-11-30 Ann - agenda.md"
THANKS = "Thank-yous/2026-11-20 Ann - thank-you.md"


def sync(cli, vault, *args):
    return cli("sync", "--vault", vault, "--today", TODAY, *args)


def vault_with(make_vault, templates: dict[str, str], extra: dict | None = None) -> Path:
    """Ann, an interview due an agenda and one due a thank-you, and user templates."""
    return make_vault({
        "People/Ann.md": CONTACT,
        "People/Bo.md": CONTACT + "[[Ann]]\n",
        "Interviews/Next.md": "---\ntype: interview\ncontact: \"[[Ann]]\"\ndate: 2026-11-30\n---\n",
        "Interviews/Past.md": "---\ntype: interview\ncontact: \"[[Ann]]\"\ndate: 2026-11-20\n---\n",
        **{f"{USER}/{name}": source for name, source in templates.items()},
        **(extra or {}),
    })


def assert_refused(result, vault: Path, template: str, line: int, absent: str = AGENDA,
                   present: str = THANKS) -> None:
    """exit 1, `path:line:` named, no note from that template, the rest synced."""
    assert result.exit_code == 1, result.output
    assert f"{USER}/{template}:{line}: " in result.stderr, result.stderr
    assert not (vault / absent).exists(), f"{absent} was created from a refused template"
    assert (vault / present).exists(), "the notes of other templates were not created"
    assert "[[Bo]]" in block_inner((vault / "People/Ann.md").read_text(), "connections")
    assert (vault / f"Follow-ups/{TODAY}.md").exists()


# --- 27 ----------------------------------------------------------------------------------

def test_a_typo_is_an_error_not_an_empty_value(cli, make_vault):
    source = "---\ntype: agenda\n---\n# Agenda for {{ persn }}\n"
    vault = vault_with(make_vault, {"agenda.md": source})
    result = sync(cli, vault)
    assert_refused(result, vault, "agenda.md", 4)
    assert "'persn' is undefined" in result.stderr
    # Fixed, the agenda is created on the next sync (a refused note is not in the ledger).
    (vault / USER / "agenda.md").write_text(source.replace("persn", "contact.name"))
    assert sync(cli, vault).exit_code == 0
    assert "# Agenda for Ann" in (vault / AGENDA).read_text()


def test_a_missing_attribute_is_an_error_too(cli, make_vault):
    vault = vault_with(make_vault, {"agenda.md": "---\ntype: agenda\n---\n\n{{ contact.nmae }}\n"})
    assert_refused(sync(cli, vault), vault, "agenda.md", 5)


# --- 28 ----------------------------------------------------------------------------------

def test_syntax_error_names_file_and_line_and_creates_nothing(cli, make_vault):
    source = "---\ntype: thank-you\n---\nDear {{ contact.name | }},\n"
    vault = vault_with(make_vault, {"thank-you.md": source})
    result = sync(cli, vault)
    assert_refused(result, vault, "thank-you.md", 4, absent=THANKS, present=AGENDA)
    assert "syntax error" in result.stderr


def test_unclosed_block_names_the_template(cli, make_vault):
    vault = vault_with(make_vault, {"agenda.md": "---\ntype: agenda\n---\n{% if contact.name %}\nx\n"})
    result = sync(cli, vault)
    assert result.exit_code == 1 and f"{USER}/agenda.md:" in result.stderr
    assert not (vault / AGENDA).exists()


def test_new_contact_with_a_broken_template_creates_nothing(cli, make_vault):
    vault = make_vault({f"{USER}/contact.md": "---\ntype: contact\nname: {{ name | yaml }\n---\n"})
    result = cli("new", "contact", "Ann Lee", "--vault", vault)
    assert result.exit_code == 2
    assert f"{USER}/contact.md:3: " in result.stderr and "nothing was created" in result.stderr
    assert not (vault / "People").exists()


# --- 29 ----------------------------------------------------------------------------------

ESCAPES = [
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "{{ cycler.__init__.__globals__.os.popen('touch MARK').read() }}",
    "{{ joiner.__init__.__globals__['os'].system('touch MARK') }}",
    "{{ namespace.__init__.__globals__ }}",
    "{{ self._TemplateReference__context.environment }}",
    "{{ '{0.__class__.__mro__}'.format(contact) }}",
    "{{ '{0.__init__.__globals__}'.format(cycler) }}",
    "{{ ''|attr('__class__')|attr('__mro__') }}",
    "{% set _ = contact.update({'name': 'changed'}) %}{{ contact.name }}",
    "{% set _ = interview.goals.append('x') %}x",
    "{{ lipsum.__globals__['os'].system('touch MARK') }}",
    "{{ range.__self__.__import__('os').system('touch MARK') }}",
    "{{ contact.__class__.__subclasses__ }}",
]


@pytest.mark.parametrize("escape", ESCAPES)
def test_sandbox_escapes_are_refused(cli, make_vault, tmp_path, escape):
    mark = tmp_path / "pwned"
    source = "---\n" + escape.replace("MARK", str(mark)) + "\n---\n"
    vault = vault_with(make_vault, {"agenda.md": source})
    result = sync(cli, vault)
    assert_refused(result, vault, "agenda.md", 2)
    assert not mark.exists()


def test_templates_get_plain_data_only(cli, sample_copy, monkeypatch):
    """Every context a real sync of the sample vault hands a template is made of plain
    values (no object whose methods could act on the vault)."""
    plain = (str, int, float, bool, type(None))
    seen: list[str] = []

    def check(value, where: str) -> None:
        if isinstance(value, dict):
            for k, v in value.items():
                assert isinstance(k, str), where
                check(v, f"{where}.{k}")
        elif isinstance(value, (list, tuple)):
            for i, v in enumerate(value):
                check(v, f"{where}[{i}]")
        else:
            assert isinstance(value, plain), f"{where} is a {type(value).__name__}"

    real_render = render.Renderer.render

    def render_checked(self, name, context):
        check(context, name)
        seen.append(name)
        return real_render(self, name, context)

    monkeypatch.setattr(render.Renderer, "render", render_checked)
    assert sync(cli, sample_copy).exit_code == 0
    assert {"agenda.md", "thank-you.md", "follow-ups.md"} <= set(seen)


# --- 30 ----------------------------------------------------------------------------------

@pytest.mark.parametrize("bomb", [
    "{{ 'a' * 10**8 }}",
    "{% for i in range(10**7) %}aaaaaaaaaa{% endfor %}",
    "{{ 'x' | center(10**9) }}",
    "{{ ('x' ~ 'y' * 1000) * 100000 }}",
    "{% set s = 'ab' * 1000 %}{{ s | replace('', s) }}",
    "{{ '%*s' % (10**9, 'x') }}",
    "{{ 'a'.ljust(10**9) }}",
    "{{ 9 ** (9 ** 9) }}",
    "{% macro m(n) %}{{ 'x' * 100000 }}{{ m(n) }}{% endmacro %}{{ m(1) }}",
])
def test_runaway_output_is_refused_fast(cli, make_vault, bomb):
    vault = vault_with(make_vault, {"agenda.md": "---\ntype: agenda\n---\n" + bomb + "\n"})
    started = time.monotonic()
    result = sync(cli, vault)
    assert time.monotonic() - started < 10
    assert result.exit_code == 1, result.output
    assert f"{USER}/agenda.md:" in result.stderr
    assert not (vault / AGENDA).exists()
    assert (vault / THANKS).exists()


# --- 31 ----------------------------------------------------------------------------------

def test_symlinked_template_pointing_outside_is_refused(cli, make_vault, tmp_path):
    secret = tmp_path / "secret.md"
    secret.write_text("---\ntype: agenda\n---\nTOP SECRET {{ contact.name }}\n")
    vault = vault_with(make_vault, {})
    (vault / USER).mkdir(parents=True)
    (vault / USER / "agenda.md").symlink_to(secret)
    result = sync(cli, vault)
    assert result.exit_code == 1
    assert f"{USER}/agenda.md: " in result.stderr and "outside" in result.stderr
    assert not (vault / AGENDA).exists()
    assert not any(b"TOP SECRET" in data for rel, data in snapshot(vault).items()
                   if not rel.startswith(USER))


@pytest.mark.parametrize("include", [
    "{% include '../../../secret.md' %}",
    "{% include '/etc/hostname' %}",
    "{% include 'linked/secret.md' %}",
    "{% import '../secret.md' as s %}",
    "{% extends '../../secret.md' %}",
])
def test_includes_outside_the_templates_folder_are_refused(cli, make_vault, tmp_path, include):
    (tmp_path / "secret.md").write_text("TOP SECRET\n")
    vault = vault_with(make_vault, {"agenda.md": "---\ntype: agenda\n---\n" + include + "\n"})
    (vault / USER / "linked").symlink_to(tmp_path, target_is_directory=True)
    result = sync(cli, vault)
    assert result.exit_code == 1, result.output
    assert f"{USER}/agenda.md:4: " in result.stderr
    assert not (vault / AGENDA).exists()
    assert not any(b"TOP SECRET" in data for data in snapshot(vault).values())


def test_a_templates_folder_that_is_a_symlink_out_of_the_vault_is_refused(cli, make_vault, tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "agenda.md").write_text("---\ntype: agenda\n---\nTOP SECRET\n")
    vault = vault_with(make_vault, {})
    (vault / "Templates").mkdir()
    (vault / USER).symlink_to(elsewhere, target_is_directory=True)
    result = sync(cli, vault)
    assert result.exit_code == 1 and f"{USER}/agenda.md" in result.stderr
    assert not (vault / AGENDA).exists()


def test_a_template_that_includes_itself_is_an_error_not_a_crash(cli, make_vault):
    vault = vault_with(make_vault, {"agenda.md": "---\ntype: agenda\n---\n{% include 'agenda.md' %}\n"})
    result = sync(cli, vault)
    assert result.exit_code == 1 and f"{USER}/agenda.md:" in result.stderr
    assert not (vault / AGENDA).exists()


# --- 32 ----------------------------------------------------------------------------------

NASTY = [
    "x\nevil: true",
    "Ana: CEO",
    "O'Brien #1",
    "a ]] b | c # d ^e",
    "{{ 7*7 }}",
    "{% raw %}",
    "- [[Bo]]",
    "'; DROP: [1, 2",
    "&anchor *alias !!python/object:os.system",
    "<!-- vaultkit:end connections -->",
]
FM_KEYS = {
    "agenda": {"type", "generated_by", "vaultkit_key", "interview", "contact", "date"},
    "thank-you": {"type", "generated_by", "vaultkit_key", "to", "interview", "sent"},
}


def split(text: str) -> tuple[dict, str]:
    assert text.startswith("---\n")
    end = text.index("\n---\n", 3)
    return yaml.safe_load(text[4:end]), text[end + 5:]


@pytest.mark.parametrize("name", NASTY)
def test_names_go_into_yaml_as_data(cli, make_vault, name):
    """A contact whose name would break YAML, add a key, end a wikilink or look like a
    template: the agenda and thank-you vaultkit writes have exactly their keys, the
    front-matter loads back, the links point at the contact, and the name is text."""
    contact = "---\n" + yaml.safe_dump({"type": "contact", "name": name}, allow_unicode=True) + "---\n"
    vault = make_vault({
        "People/c.md": contact,
        "Interviews/Next.md": "---\ntype: interview\ncontact: \"[[c]]\"\ndate: 2026-11-30\n---\n",
        "Interviews/Past.md": ("---\ntype: interview\ncontact: \"[[c]]\"\ndate: 2026-11-20\n---\n"
                               "## Notes\n- " + name.replace("\n", " ") + " said {{ 6*7 }}\n"),
    })
    result = sync(cli, vault)
    assert result.exit_code == 0, result.output
    agendas = list((vault / "Interviews/Agendas").glob("*.md"))
    thanks = list((vault / "Thank-yous").glob("*.md"))
    assert len(agendas) == 1 and len(thanks) == 1
    for path, kind in ((agendas[0], "agenda"), (thanks[0], "thank-you")):
        meta, body = split(path.read_text())
        assert set(meta) == FM_KEYS[kind], (kind, meta)
        link = meta["contact"] if kind == "agenda" else meta["to"]
        assert link.startswith("[[c|") and link.endswith("]]") and link.count("]]") == 1, link
        assert "49" not in body and "42" not in body
        assert block_inner(path.read_text(), "connections") is None
    thank_you = thanks[0].read_text()
    assert "{{ 6*7 }}" in thank_you
    connections = block_inner((vault / "People/c.md").read_text(), "connections")
    assert agendas[0].stem in connections and thanks[0].stem in connections


@pytest.mark.parametrize("name", NASTY)
def test_new_contact_keeps_the_real_name_in_front_matter(cli, make_vault, name):
    vault = make_vault({"People/Bo.md": CONTACT})
    result = cli("new", "contact", "--vault", vault, "--role", name, "--referred-by", "Bo", "--", name)
    assert result.exit_code == 0, result.output
    [created] = [p for p in (vault / "People").glob("*.md") if p.name != "Bo.md"]
    meta, body = split(created.read_text())
    assert meta["name"] == name and meta["role"] == name and meta["type"] == "contact"
    assert meta["referred_by"] == ["[[Bo]]"]
    assert "49" not in body
    assert sync(cli, vault).exit_code == 0
    assert "**Referred you to**\n- " in block_inner((vault / "People/Bo.md").read_text(), "connections")


def test_note_content_is_never_rendered_as_a_template(cli, sample_copy):
    """Template syntax typed into notes (a name, a goal, a discussed point) stays text in
    every note vaultkit writes for the sample vault."""
    people = sorted((sample_copy / "People").glob("*.md"))
    note = people[0]
    text = note.read_text()
    note.write_text(text.replace("\n---\n", "\nrole: \"{{ 7*7 }} {% if true %}x{% endif %}\"\n---\n", 1))
    assert sync(cli, sample_copy).exit_code == 0
    for rel, data in snapshot(sample_copy).items():
        assert b"49 x" not in data, rel
