"""Every render has a budget: steps (loop iterations, calls, filters), CPU time and output.

Each test puts a runaway user template in the vault's templates folder
(`Templates/vaultkit/agenda.md`) and runs the real `vaultkit sync` as a subprocess: the
template is reported with its file and line, no agenda is created, everything else is
synced, exit 1. A subprocess with a timeout, so a template that would hang fails the test
instead of hanging the suite.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import TODAY, run_vaultkit

from vaultkit.markers import block_inner

USER = "Templates/vaultkit"
CONTACT = "---\ntype: contact\n---\n"
AGENDA = "Interviews/Agendas/2026-11-30 Ann - agenda.md"
THANKS = "Thank-yous/2026-11-20 Ann - thank-you.md"
HEAD = "---\ntype: agenda\n---\n"


def vault_with_agenda_template(make_vault, source: str) -> Path:
    return make_vault({
        "People/Ann.md": CONTACT,
        "People/Bo.md": CONTACT + "[[Ann]]\n",
        "Interviews/Next.md": "---\ntype: interview\ncontact: \"[[Ann]]\"\ndate: 2026-11-30\n---\n",
        "Interviews/Past.md": "---\ntype: interview\ncontact: \"[[Ann]]\"\ndate: 2026-11-20\n---\n",
        f"{USER}/agenda.md": source,
    })


def sync(vault: Path):
    return run_vaultkit("sync", "--vault", vault, "--today", TODAY, timeout=90)


def assert_refused(result, vault: Path, line: int, words: str) -> None:
    assert result.returncode == 1, result.stdout + result.stderr
    assert f"{USER}/agenda.md:{line}: " in result.stderr, result.stderr
    assert words in result.stderr, result.stderr
    assert "Traceback" not in result.stderr
    assert not (vault / AGENDA).exists(), "an agenda was created from a template past its budget"
    assert (vault / THANKS).exists(), "the rest of the vault was not synced"
    assert "[[Bo]]" in block_inner((vault / "People/Ann.md").read_text(), "connections")
    assert (vault / f"Follow-ups/{TODAY}.md").exists()


def test_slice_into_millions_of_pieces_is_refused(make_vault):
    # The old guard looked at the wrong argument: 16 s and 1.4 GB, then an agenda.
    vault = vault_with_agenda_template(make_vault, HEAD + "{{ range(10)|slice(20000000)|list|length }}\n")
    assert_refused(sync(vault), vault, 4, "slice")


def test_two_nested_loops_that_print_nothing_stop_at_the_step_budget(make_vault):
    source = HEAD + ("# Agenda\n"
                     "{% for a in range(100000) %}{% for b in range(100000) %}"
                     "{% endfor %}{% endfor %}\n")
    vault = vault_with_agenda_template(make_vault, source)
    assert_refused(sync(vault), vault, 5, "steps")


def test_a_recursive_loop_counts_its_iterations(make_vault):
    source = HEAD + ("{% for x in range(3) recursive %}{% if loop.depth < 40 %}"
                     "{{ loop(range(3)) }}{% endif %}{% endfor %}\n")
    vault = vault_with_agenda_template(make_vault, source)
    result = sync(vault)
    assert result.returncode == 1, result.stderr
    assert f"{USER}/agenda.md:1: " in result.stderr or f"{USER}/agenda.md:4: " in result.stderr
    assert "steps" in result.stderr or "CPU time" in result.stderr, result.stderr
    assert not (vault / AGENDA).exists()
    assert (vault / THANKS).exists()


@pytest.mark.parametrize("source, line", [
    # Few steps, each one heavy: only the CPU clock stops it.
    ("{% for i in range(100000) %}{{ range(100000)|sum|string|length }}{% endfor %}\n", 4),
    # No loop at all: a macro that calls itself twice, 2**40 calls.
    ("{% macro f(n) %}{% if n %}{{ f(n - 1) }}{{ f(n - 1) }}{% endif %}{% endmacro %}"
     "{{ f(40) }}\n", 4),
])
def test_a_render_past_its_cpu_time_is_stopped(make_vault, source, line):
    vault = vault_with_agenda_template(make_vault, HEAD + source)
    result = sync(vault)
    assert result.returncode == 1, result.stderr
    assert f"{USER}/agenda.md:{line}: " in result.stderr, result.stderr
    assert "CPU time" in result.stderr or "steps" in result.stderr
    assert not (vault / AGENDA).exists()
    assert (vault / THANKS).exists()


def test_a_modest_template_with_loops_still_renders(make_vault):
    source = HEAD + ("{% for a in range(300) %}{% for b in range(300) %}{% endfor %}{% endfor %}"
                     "{{ range(10)|slice(3)|map('join', ',')|join(';') }} "
                     "{{ [1, 2, 3]|batch(2)|list|length }} {{ ['a', 'b']|join('+') }}\n")
    vault = vault_with_agenda_template(make_vault, source)
    result = sync(vault)
    assert result.returncode == 0, result.stderr
    text = (vault / AGENDA).read_text()
    assert "0,1,2,3;4,5,6;7,8,9 2 a+b" in text
