"""The shape of the code: imports point one way (no cycle, no module importing a later
stage), each outside library lives in one module, and modules stay small.

The stages, earliest first, are in STAGE below; a new module must be given its place
there (the test names any module it does not know).
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "vaultkit"

# A module may import only modules of an earlier stage or of its own stage (and, within
# one stage, no cycle). Files on disk → parsed notes → index → plan → write → commands.
STAGE = {
    "__init__": 0, "errors": 0, "model": 0, "clock": 0,
    "config": 1, "discover": 1, "folders": 1, "mail": 1, "outcome": 1, "markers": 1, "links": 1,
    "names": 1, "files": 1, "libc": 1, "moment": 1, "obsidian": 1, "kinds": 1, "comments": 1, "hidden": 1, "values": 1, "properties": 1, "fastyaml": 1, "closing": 1,
    "cache": 2, "vault": 2, "scan": 2, "parallel": 2, "changes": 2,
    "resolve": 2, "referrals": 3, "keys": 3, "index": 3, "cadence": 3,
    "facts": 4, "scope": 4, "scoped": 4,
    "blocks": 5, "stored": 5, "sandbox": 5, "review": 5, "icsfeed": 5, "ticks": 5, "render": 5, "generate": 5, "daily": 5,
    "edits": 5,
    "reading": 6, "write": 6, "batchwrite": 6, "lock": 6, "wholevault": 6, "fingerprint": 6, "planning": 6, "writer": 6,
    "sync": 7, "batch": 7.5,
    "watch": 8, "live": 8, "create": 8, "report": 8, "importer": 9,
    "cli": 9, "__main__": 10,
}

# Each outside library, and the one module allowed to import it.
OWNERS = {"click": {"cli"}, "watchdog": {"watch"}, "frontmatter": {"vault"},
          "jinja2": {"render", "sandbox"}, "icalendar": {"icsfeed"}, "vobject": {"importer"}}

MAX_LINES = 500
# Modules that were larger than MAX_LINES when this test was written; each may not grow,
# and the number goes down as they are split.
LARGER: dict[str, int] = {}


def _imports(path: Path) -> tuple[set[str], set[str]]:
    """(vaultkit modules, outside top-level packages) that `path` imports at run time
    (typing-only imports under `if TYPE_CHECKING:` left out)."""
    tree = ast.parse(path.read_text("utf-8"))
    ours: set[str] = set()
    outside: set[str] = set()

    class Visitor(ast.NodeVisitor):
        def visit_If(self, node: ast.If) -> None:
            if "TYPE_CHECKING" in ast.unparse(node.test):
                for child in node.orelse:
                    self.visit(child)
                return
            self.generic_visit(node)

        def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
            module = node.module or ""
            if node.level == 1 or module.split(".")[0] == "vaultkit":
                parts = module.split(".")
                if node.level == 1 and module:
                    ours.add(parts[0])
                elif len(parts) > 1 and node.level == 0:
                    ours.add(parts[1])
                else:
                    ours.update(a.name for a in node.names)
            elif node.level == 0:
                outside.add(module.split(".")[0])

        def visit_Import(self, node: ast.Import) -> None:
            for alias in node.names:
                parts = alias.name.split(".")
                if parts[0] == "vaultkit":
                    if len(parts) > 1:
                        ours.add(parts[1])
                else:
                    outside.add(parts[0])

    Visitor().visit(tree)
    modules = {p.stem for p in PACKAGE.glob("*.py")}
    return {m for m in ours if m in modules and m != path.stem}, outside


def _graph() -> dict[str, set[str]]:
    return {p.stem: _imports(p)[0] for p in sorted(PACKAGE.glob("*.py"))}


def test_every_module_has_a_stage():
    unknown = sorted(set(_graph()) - set(STAGE))
    assert not unknown, f"give these modules a stage in STAGE: {unknown}"


def test_imports_never_point_to_a_later_stage():
    wrong = [f"{m} (stage {STAGE[m]}) imports {d} (stage {STAGE[d]})"
             for m, deps in _graph().items() for d in sorted(deps)
             if m in STAGE and d in STAGE and STAGE[d] > STAGE[m]]
    assert not wrong, "\n".join(wrong)


def test_no_import_cycle():
    graph = _graph()
    state: dict[str, int] = {}
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for dep in sorted(graph.get(node, ())):
            if state.get(dep) == 1:
                return path[path.index(dep):] + [dep]
            if dep not in state:
                found = visit(dep)
                if found:
                    return found
        path.pop()
        state[node] = 2
        return None

    for module in sorted(graph):
        if module not in state:
            cycle = visit(module)
            assert cycle is None, " -> ".join(cycle)


def test_each_outside_library_lives_in_one_module():
    wrong = []
    for path in sorted(PACKAGE.glob("*.py")):
        _, outside = _imports(path)
        for library, owners in OWNERS.items():
            if library in outside and path.stem not in owners:
                wrong.append(f"{path.stem} imports {library} (only {', '.join(sorted(owners))} may)")
    assert not wrong, "\n".join(wrong)


def test_modules_stay_small():
    wrong = []
    for path in sorted(PACKAGE.glob("*.py")):
        lines = len(path.read_text("utf-8").splitlines())
        limit = LARGER.get(path.stem, MAX_LINES)
        if lines > limit:
            wrong.append(f"{path.stem}.py has {lines} lines (at most {limit})")
    assert not wrong, "\n".join(wrong)


def test_a_no_change_sync_imports_neither_jinja2_nor_watchdog(make_vault):
    """The path of a sync with nothing to do stays light: no template engine, no watcher."""
    import subprocess
    import sys

    from conftest import ROOT
    vault = make_vault({"People/Ann.md": "---\ntype: contact\n---\n", ".obsidian/app.json": "{}"})
    code = ("import sys; from vaultkit.cli import main\n"
            "try:\n    main(['sync', '--vault', sys.argv[1], '--today', '2026-11-28'])\n"
            "except SystemExit:\n    pass\n"
            "print('LOADED:' + ' '.join(sorted(m for m in ('jinja2', 'watchdog') if m in sys.modules)))")

    def loaded() -> str:
        done = subprocess.run([sys.executable, "-c", code, str(vault)], check=True, cwd=ROOT,
                              capture_output=True, text=True)
        return done.stdout.rsplit("LOADED:", 1)[1].strip()

    assert loaded() == "jinja2"  # the first sync renders notes (and the check sees it)
    assert loaded() == ""  # the second has nothing to do


def test_per_note_outcomes_are_not_command_stopping_errors():
    """A broken marker, a template error, a write refused or skipped are per-note problems:
    none of them is the kind of error that stops a command (exit 2)."""
    from vaultkit.errors import (ConfigError, LockError, MarkerError, NoteError, NotAVault,
                                 TemplateProblem, UnsafePath, VaultkitError, WriteConflict)
    for per_note in (MarkerError, TemplateProblem, UnsafePath, WriteConflict):
        assert issubclass(per_note, NoteError) and not issubclass(per_note, VaultkitError)
    for fatal in (ConfigError, LockError, NotAVault):
        assert issubclass(fatal, VaultkitError) and not issubclass(fatal, NoteError)
