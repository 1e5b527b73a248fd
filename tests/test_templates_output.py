"""A generated note's rendered front-matter is checked before anything is created.

Through the real `vaultkit sync`, with a user template `Templates/vaultkit/agenda.md`:
front-matter that is not YAML, or not a mapping, is a template problem naming the
template (exit 1, no agenda, the rest synced); a template that hard-codes `vaultkit_key`
or `generated_by` never wins over the real ones, so losing `.vaultkit/` creates no
duplicate; the rest of the rendered front-matter is kept as written.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from conftest import TODAY, snapshot

from vaultkit.generate import ensure_keys
from vaultkit.errors import TemplateProblem

USER = "Templates/vaultkit"
AGENDA = "Interviews/Agendas/2026-11-30 Ann - agenda.md"
THANKS = "Thank-yous/2026-11-20 Ann - thank-you.md"
KEY = "agenda:2026-11-30:Ann"


def vault_with_agenda_template(make_vault, source: str) -> Path:
    return make_vault({
        "People/Ann.md": "---\ntype: contact\n---\n",
        "Interviews/Next.md": "---\ntype: interview\ncontact: \"[[Ann]]\"\ndate: 2026-11-30\n---\n",
        "Interviews/Past.md": "---\ntype: interview\ncontact: \"[[Ann]]\"\ndate: 2026-11-20\n---\n",
        f"{USER}/agenda.md": source,
    })


def sync(cli, vault):
    return cli("sync", "--vault", vault, "--today", TODAY)


def front_matter(path: Path) -> dict:
    return yaml.safe_load(path.read_text().split("---\n")[1])


@pytest.mark.parametrize("head, words", [
    ("---\n- a list\n- not a mapping\n---\n", "not a mapping"),
    ("---\njust a sentence\n---\n", "not a mapping"),
    ("---\ntitle: Meeting: Q3\n---\n", "not valid YAML"),
    ("---\ntype: agenda\n", "no closing"),
])
def test_rendered_front_matter_that_is_not_a_mapping_creates_nothing(cli, make_vault, head, words):
    vault = vault_with_agenda_template(make_vault, head + "# Agenda for {{ contact.name }}\n")
    result = sync(cli, vault)
    assert result.exit_code == 1, result.output
    assert f"{USER}/agenda.md: " in result.stderr and words in result.stderr, result.stderr
    assert not (vault / AGENDA).exists()
    assert (vault / THANKS).exists(), "the rest of the vault was not synced"


def test_a_hard_coded_key_never_wins_and_losing_the_state_makes_no_duplicate(cli, make_vault):
    source = ("---\ntype: agenda\nvaultkit_key: my-agenda\n# a comment the user wrote\n"
              "generated_by: me\nmood: 'calm'\n---\n# Agenda\n")
    vault = vault_with_agenda_template(make_vault, source)
    assert sync(cli, vault).exit_code == 0
    text = (vault / AGENDA).read_text()
    assert text == ("---\ntype: agenda\nvaultkit_key: " + KEY + "\n# a comment the user wrote\n"
                    "generated_by: vaultkit\nmood: 'calm'\n---\n# Agenda\n")
    shutil.rmtree(vault / ".vaultkit")
    before = snapshot(vault)
    result = sync(cli, vault)
    assert result.exit_code == 0, result.output
    assert not (vault / "Interviews/Agendas/2026-11-30 Ann - agenda 2.md").exists()
    assert snapshot(vault) == before


def test_a_template_without_the_keys_gets_them_added(cli, make_vault):
    vault = vault_with_agenda_template(make_vault, "---\ntype: agenda\n---\n# Agenda\n")
    assert sync(cli, vault).exit_code == 0
    meta = front_matter(vault / AGENDA)
    assert meta == {"generated_by": "vaultkit", "vaultkit_key": KEY, "type": "agenda"}


def test_ensure_keys_replaces_only_the_key_lines():
    assert ensure_keys("# no front-matter\n", "k") == (
        "---\ngenerated_by: vaultkit\nvaultkit_key: k\n---\n# no front-matter\n")
    assert ensure_keys("---\nVaultKit_Key: x\nvaultkit_key: y\na: [1, 2]\n---\nbody\n", "k:1") == (
        "---\ngenerated_by: vaultkit\nvaultkit_key: k:1\na: [1, 2]\n---\nbody\n")
    with pytest.raises(TemplateProblem):
        ensure_keys("---\n- x\n---\n", "k")
    with pytest.raises(TemplateProblem):
        ensure_keys("---\nvaultkit_key: >\n  folded\n---\n", "k")
