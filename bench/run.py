"""Benchmark `vaultkit sync` against the floors of the same machine, in the same run.

    python bench/run.py [--sizes 1000,10000,50000] [--runs 5] [--runs-large 3]
                        [--out bench/out/results.json] [--cmd "vaultkit"] [--floors-only]
                        [--keep] [--workdir DIR]

For each size: generate a vault (bench/genvault.py), measure the floors in-process (read
every note's bytes; walk and stat every note) on the vault as generated and again on the
vault the first sync leaves (more notes, and blocks in them: the vault the cold, warm and
one-note syncs read, and the floor they are divided by), the interpreter's start-up and the import
of `vaultkit.cli` as subprocesses, then each sync scenario as a whole process (wall time,
CPU time and the child's own peak RSS from `os.wait4`), median of `--runs` runs (at most
`--runs-large` for vaults of 50,000 notes or more, to keep one run of all three sizes under
~25 minutes on two cores: the first syncs and their dry runs dominate, and the dry runs
share one fresh copy of the vault instead of copying it each run). Scenarios: the first
`sync --dry-run` and the first `sync` on a fresh vault, a cold sync (blocks current, no
`.vaultkit/`), a warm no-change sync, one body edit, one new link. Prints Markdown tables
(times, ratios, and the targets with pass/fail, see TARGETS) and writes a JSON file. A
failing vaultkit command is reported (its stderr shown) and the next measurement goes on.

Before each timed command the benchmark writes out what it left dirty itself (`os.sync()`:
the vault it just copied or removed), so that a sync which makes its writes durable is not
timed flushing the benchmark's copies.

The commands run with Python's bytecode cache enabled (PYTHONDONTWRITEBYTECODE is dropped
from their environment), as for an installed vaultkit: otherwise every run would compile
vaultkit's modules again and the start-up would not be what a user sees.

To add a measurement (say, watch latency), write a function `(ctx: SizeContext) -> dict`
and add it to `SYNC_MEASURES`; `measure_sizes()` calls each one per size.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))
import genvault  # noqa: E402

TODAY = "2026-11-28"
EXIT_OK = (0, 1)  # 1 = done, but some notes had problems: still a finished sync


# -- running one process ---------------------------------------------------------------------


@dataclass
class ProcResult:
    wall_s: float
    cpu_s: float
    maxrss_mb: float
    returncode: int | None
    stdout: str = ""
    stderr: str = ""
    error: str | None = None  # the command could not be started, or timed out

    @property
    def ok(self) -> bool:
        return self.error is None and self.returncode in EXIT_OK


def _maxrss_mb(ru_maxrss: int) -> float:
    # Linux reports KiB, macOS bytes.
    return ru_maxrss / (1024 * 1024) if sys.platform == "darwin" else ru_maxrss / 1024


def run_process(cmd: list[str], *, cwd: Path | None = None, env: dict | None = None,
                timeout: float = 900.0) -> ProcResult:
    """Run `cmd` to completion; wall time, CPU time and peak RSS of that one child (wait4)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        try:
            proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdin=subprocess.DEVNULL,
                                    stdout=out, stderr=err)
        except OSError as exc:
            return ProcResult(0.0, 0.0, 0.0, None, error=f"cannot start {cmd[0]}: {exc}")
        timed_out = threading.Event()

        def kill() -> None:
            timed_out.set()
            proc.kill()

        timer = threading.Timer(timeout, kill)
        timer.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            timer.cancel()
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)  # so Popen does not wait again
        out.seek(0)
        err.seek(0)
        result = ProcResult(
            wall_s=wall,
            cpu_s=usage.ru_utime + usage.ru_stime,
            maxrss_mb=_maxrss_mb(usage.ru_maxrss),
            returncode=proc.returncode,
            stdout=out.read().decode("utf-8", "replace"),
            stderr=err.read().decode("utf-8", "replace"),
        )
        if timed_out.is_set():
            result.error = f"timed out after {timeout:.0f} s"
        return result


# -- floors (in-process) -------------------------------------------------------------------


def iter_notes(vault: str):
    """Every `*.md` below `vault`, skipping dot-folders: what any scan has to visit."""
    stack = [vault]
    while stack:
        folder = stack.pop()
        with os.scandir(folder) as entries:
            for entry in entries:
                if entry.name.startswith("."):
                    continue
                if entry.is_dir(follow_symlinks=False):
                    stack.append(entry.path)
                elif entry.name.endswith(".md"):
                    yield entry


def read_floor(vault: Path) -> tuple[int, int]:
    """Walk and read every note's bytes. Returns (notes, bytes)."""
    count = total = 0
    for entry in iter_notes(str(vault)):
        with open(entry.path, "rb") as f:
            total += len(f.read())
        count += 1
    return count, total


def stat_floor(vault: Path) -> int:
    """Walk and stat every note (size and mtime: what a no-change check needs)."""
    count = 0
    for entry in iter_notes(str(vault)):
        entry.stat(follow_symlinks=False)  # one stat syscall: size and mtime_ns
        count += 1
    return count


def median_time(fn: Callable[[], object], runs: int) -> tuple[float, list[float]]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), times


def snapshot(vault: Path) -> dict[str, tuple[int, int]]:
    """(size, mtime_ns) of every file outside `.vaultkit/`: to count what a sync wrote."""
    snap = {}
    for root, dirs, files in os.walk(vault):
        dirs[:] = [d for d in dirs if d != ".vaultkit"]
        for name in files:
            path = os.path.join(root, name)
            st = os.stat(path)
            snap[os.path.relpath(path, vault)] = (st.st_size, st.st_mtime_ns)
    return snap


def changed_files(before: dict, after: dict) -> int:
    return sum(1 for k in before.keys() | after.keys() if before.get(k) != after.get(k))


# -- one size --------------------------------------------------------------------------------


@dataclass
class SizeContext:
    """What a measurement of one vault size needs: the pristine vault, the command, runs."""

    size: int
    runs: int
    cmd: list[str]
    work: Path
    pristine: Path
    today: str = TODAY
    timeout: float = 900.0
    verbose: bool = False
    synced: Path | None = None  # a vault synced once (set by the first-sync measurement)
    fresh: Path | None = None  # a copy vaultkit never wrote to (left by the dry-run measurement)
    env: dict = field(default_factory=dict)

    def sync_cmd(self, vault: Path, *extra: str) -> list[str]:
        return [*self.cmd, "sync", "--vault", str(vault), "--today", self.today, "-q", *extra]

    def run_sync(self, vault: Path, label: str, *extra: str) -> ProcResult:
        before = snapshot(vault) if self.verbose else None
        settle_disk()
        res = run_process(self.sync_cmd(vault, *extra), cwd=REPO, env=self.env, timeout=self.timeout)
        if not res.ok:
            report_failure(f"{label} (size {self.size})", res)
        if before is not None:
            log(f"    {label}: {res.wall_s:.3f} s, rc {res.returncode}, "
                f"{changed_files(before, snapshot(vault))} files changed")
        return res


def settle_disk() -> None:
    """Write out what the benchmark itself left dirty (a vault just copied, one just
    removed, a note just edited) before a timed run: a sync that makes its writes durable
    must not be timed flushing the benchmark's own copies, which a user's vault, written
    long before, does not have."""
    if hasattr(os, "sync"):
        os.sync()


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def report_failure(label: str, res: ProcResult) -> None:
    log(f"!! {label}: " + (res.error or f"exit {res.returncode}"))
    tail = (res.stderr or res.stdout).strip().splitlines()[-30:]
    for line in tail:
        log(f"   | {line}")


def summarize(results: list[ProcResult], extra: dict | None = None) -> dict:
    """Median wall/CPU time and max peak RSS over the successful runs."""
    good = [r for r in results if r.ok]
    out: dict = {
        "runs": len(results),
        "ok_runs": len(good),
        "returncodes": [r.returncode for r in results],
    }
    if good:
        out.update(
            wall_s=statistics.median(r.wall_s for r in good),
            wall_all_s=[round(r.wall_s, 4) for r in good],
            cpu_s=statistics.median(r.cpu_s for r in good),
            maxrss_mb=max(r.maxrss_mb for r in good),
        )
    else:
        out["error"] = next((r.error or f"exit {r.returncode}" for r in results), "no runs")
    flagged = next((r for r in results if r.returncode not in (None, 0)), None)
    if flagged is not None:  # what the command said: why it reported problems or failed
        out["stderr_head"] = (flagged.stderr or flagged.stdout).strip().splitlines()[:5]
    if extra:
        out.update(extra)
    return out


def copy_vault(src: Path, dst: Path) -> None:
    if dst.exists():
        shutil.rmtree(dst)
    shutil.copytree(src, dst, symlinks=True)


def measure_dry_run(ctx: SizeContext) -> dict:
    """`vaultkit sync --dry-run` the first time on a fresh vault (no `.vaultkit/`, every block
    still to write): what a user runs before the first sync. It should write nothing, so every
    run uses the same fresh copy; if a run did leave something (a file changed, a
    `.vaultkit/`), that is counted in `files_written` / `left_state` and the next run gets a
    new copy. The copy is then handed to the first-sync measurement."""
    results, written, left_state = [], [], []
    vault = ctx.work / "fresh"
    copy_vault(ctx.pristine, vault)
    for _ in range(ctx.runs):
        before = snapshot(vault)
        results.append(ctx.run_sync(vault, "first dry run", "--dry-run"))
        written.append(changed_files(before, snapshot(vault)))
        left_state.append((vault / ".vaultkit").exists())
        if written[-1] or left_state[-1]:
            copy_vault(ctx.pristine, vault)
    ctx.fresh = vault
    return summarize(results, {"files_written": written, "left_state": left_state})


def measure_first(ctx: SizeContext) -> dict:
    """First sync: a fresh copy of the generated vault, every block still to write."""
    results, written = [], []
    for k in range(ctx.runs):
        vault = ctx.work / f"first-{k}"
        if ctx.fresh is not None:  # the dry run's copy, still as generated: saves one copy
            ctx.fresh.rename(vault)
            ctx.fresh = None
        else:
            copy_vault(ctx.pristine, vault)
        before = snapshot(vault)
        res = ctx.run_sync(vault, "first sync")
        results.append(res)
        written.append(changed_files(before, snapshot(vault)))
        if res.ok and ctx.synced is None:
            ctx.synced = ctx.work / "synced"
            vault.rename(ctx.synced)
        else:
            shutil.rmtree(vault)
    return summarize(results, {"files_written": written})


def _need_synced(ctx: SizeContext, name: str) -> dict | None:
    if ctx.synced is None:
        log(f"!! {name} (size {ctx.size}): skipped, no successfully synced vault")
        return {"runs": 0, "ok_runs": 0, "error": "no synced vault (first sync failed)"}
    return None


def measure_cold(ctx: SizeContext) -> dict:
    """Cold sync: blocks already current, `.vaultkit/` deleted (no cache, no ledger)."""
    if (skip := _need_synced(ctx, "cold sync")) is not None:
        return skip
    results, written = [], []
    for _ in range(ctx.runs):
        shutil.rmtree(ctx.synced / ".vaultkit", ignore_errors=True)
        before = snapshot(ctx.synced)
        results.append(ctx.run_sync(ctx.synced, "cold sync"))
        written.append(changed_files(before, snapshot(ctx.synced)))
    return summarize(results, {"files_written": written})


def measure_synced_floors(ctx: SizeContext) -> dict:
    """The floors of the vault the cold, warm and one-note syncs read: the first sync's
    result, with the notes it created and the blocks it wrote."""
    if (skip := _need_synced(ctx, "floors after the first sync")) is not None:
        return skip
    return measure_floors(ctx.synced, ctx.runs)


def measure_warm(ctx: SizeContext) -> dict:
    """Warm no-change sync: synced vault, cache present, nothing changed."""
    if (skip := _need_synced(ctx, "warm sync")) is not None:
        return skip
    ctx.run_sync(ctx.synced, "warm-up sync")  # leaves a current cache, whatever ran before
    results, written = [], []
    for _ in range(ctx.runs):
        before = snapshot(ctx.synced)
        results.append(ctx.run_sync(ctx.synced, "warm sync"))
        written.append(changed_files(before, snapshot(ctx.synced)))
    return summarize(results, {"files_written": written})


def pick_contact(vault: Path) -> Path | None:
    """The first contact note in path order (`type: contact` in its front-matter)."""
    found = pick_contacts(vault, 1)
    return found[0] if found else None


def pick_contacts(vault: Path, n: int) -> list[Path]:
    """The first `n` contact notes in path order (`type: contact` in their front-matter)."""
    people = vault / "People"
    candidates = sorted(people.rglob("*.md")) if people.is_dir() else sorted(vault.rglob("*.md"))
    found = []
    for path in candidates:
        head = path.read_bytes()[:400]
        if head.startswith(b"---") and b"\ntype: contact" in head:
            found.append(path)
            if len(found) == n:
                break
    return found


def pick_plain_note(vault: Path) -> Path | None:
    """The first note without front-matter in path order under Notes/ (a plain note)."""
    notes = vault / "Notes"
    for path in sorted(notes.rglob("*.md")) if notes.is_dir() else []:
        if not path.read_bytes().startswith(b"---"):
            return path
    return None


def append_outside_blocks(path: Path, line: str) -> None:
    """Add `line` to the body, before the first managed block if there is one."""
    data = path.read_bytes()
    crlf = b"\r\n" in data
    nl = b"\r\n" if crlf else b"\n"
    new = line.encode("utf-8") + nl
    marker = data.find(b"<!-- vaultkit:begin")
    if marker == -1:
        if data and not data.endswith(b"\n"):
            data += nl
        data += new
    else:
        data = data[:marker] + new + nl + data[marker:]
    path.write_bytes(data)


def measure_one_changed(ctx: SizeContext) -> dict:
    """One contact note's body changed outside any block, then sync."""
    if (skip := _need_synced(ctx, "one-changed sync")) is not None:
        return skip
    contact = pick_contact(ctx.synced)
    if contact is None:
        return {"runs": 0, "ok_runs": 0, "error": "no contact note found"}
    edits = [(contact, f"Bench edit {k}: called again, left a message.") for k in range(ctx.runs)]
    return _edit_then_sync(ctx, edits, "one-changed sync", contact)


def measure_one_link(ctx: SizeContext) -> dict:
    """A plain note gains a wikilink to a contact (a different one each run), then sync: the
    contact's block changes, so the index and the blocks are really brought up to date."""
    if (skip := _need_synced(ctx, "one-link sync")) is not None:
        return skip
    note = pick_plain_note(ctx.synced)
    contacts = pick_contacts(ctx.synced, ctx.runs)
    if note is None or len(contacts) < ctx.runs:
        return {"runs": 0, "ok_runs": 0, "error": "no plain note or too few contacts"}
    edits = [(note, f"Bench link {k}: see [[{contact.stem}]].") for k, contact in enumerate(contacts)]
    return _edit_then_sync(ctx, edits, "one-link sync", note)


def _edit_then_sync(ctx: SizeContext, edits: list[tuple[Path, str]], label: str, note: Path) -> dict:
    """After a warm-up sync, for each (note, line): add the line outside the note's blocks,
    then time a sync and count the files it wrote."""
    ctx.run_sync(ctx.synced, "warm-up sync")
    results, written = [], []
    for path, line in edits:
        append_outside_blocks(path, line)
        before = snapshot(ctx.synced)
        results.append(ctx.run_sync(ctx.synced, label))
        written.append(changed_files(before, snapshot(ctx.synced)))
    return summarize(results, {"files_written": written, "note": str(note.relative_to(ctx.synced))})


# Measurements run per size, in this order (later ones use the vault the first one synced).
SYNC_MEASURES: list[tuple[str, Callable[[SizeContext], dict]]] = [
    ("dry_run", measure_dry_run),
    ("first", measure_first),
    ("synced_floors", measure_synced_floors),
    ("cold", measure_cold),
    ("warm", measure_warm),
    ("one_changed", measure_one_changed),
    ("one_link", measure_one_link),
]
LARGE = 50_000  # from this size on, at most --runs-large runs per measurement


def measure_process(cmd: list[str], runs: int, label: str, env: dict, warmup: bool = True) -> dict:
    if warmup:  # e.g. compile .pyc files once, untimed
        run_process(cmd, cwd=REPO, env=env)
    results = [run_process(cmd, cwd=REPO, env=env) for _ in range(runs)]
    for r in results[:1]:
        if not r.ok:
            report_failure(label, r)
    return summarize(results)


def measure_floors(vault: Path, runs: int) -> dict:
    read_floor(vault)  # warm the page cache like the syncs will see it
    count, total = read_floor(vault)
    read_s, read_all = median_time(lambda: read_floor(vault), runs)
    stat_s, stat_all = median_time(lambda: stat_floor(vault), runs)
    return {
        "notes": count,
        "bytes": total,
        "read_s": read_s,
        "read_all_s": [round(t, 5) for t in read_all],
        "stat_s": stat_s,
        "stat_all_s": [round(t, 5) for t in stat_all],
    }


def ratios(row: dict) -> dict:
    """The figures the performance targets are stated in."""
    sync = row.get("sync", {})
    # Each sync is divided by the floors of the vault it reads: the first sync and its dry
    # run read the vault as generated, the others the vault the first sync left.
    first_floors = row["floors"]
    synced_floors = sync.get("synced_floors", {})
    floors = synced_floors if "read_s" in synced_floors else None
    startup = row["startup"].get("wall_s")
    out: dict = {}

    def wall(name: str) -> float | None:
        return sync.get(name, {}).get("wall_s")

    if wall("first") is not None and wall("dry_run"):
        out["first_over_dry_run"] = wall("first") / wall("dry_run")
    if wall("one_link") is not None and wall("warm"):
        out["one_link_over_warm"] = wall("one_link") / wall("warm")
    for name, f in (("first", first_floors), ("cold", floors)):
        if wall(name) is not None and f is not None:
            out[f"{name}_over_read"] = wall(name) / f["read_s"]
            out[f"{name}_us_per_note"] = wall(name) / (f["notes"] or 1) * 1e6
    for name in ("warm", "one_changed", "one_link"):
        if wall(name) is not None and startup is not None and floors is not None:
            out[f"{name}_over_stat_plus_startup"] = wall(name) / (floors["stat_s"] + startup)
            out[f"{name}_minus_startup_over_stat"] = (wall(name) - startup) / floors["stat_s"]
    for name in ("one_changed", "one_link"):
        if wall(name) is not None and wall("warm") is not None:
            out[f"{name}_minus_warm_s"] = wall(name) - wall("warm")
    imp = row.get("import_cli", {}).get("wall_s")
    if imp is not None and startup is not None:
        out["import_cli_minus_startup_s"] = imp - startup
    return out


# The performance targets, as ratios of ratios() (each to something measured in the same run on
# the same vault): (key in ratios, what it divides, highest value that passes).
TARGETS: list[tuple[str, str, float]] = [
    ("first_over_dry_run", "first sync / its dry run", 3.0),
    ("one_link_over_warm", "one new link / no-change", 2.0),
    ("cold_over_read", "cold sync / read floor", 10.0),
    ("warm_over_stat_plus_startup", "no-change / (stat floor + start-up)", 4.0),
]


# The targets hold for vaults of this size and larger: on a smaller one the interpreter's
# start-up and the imports outweigh the floors, which the ratios do not measure well.
TARGET_MIN_SIZE = 10_000


def targets(ratio: dict, size: int = TARGET_MIN_SIZE) -> dict:
    """Each target: its value, its limit, and whether it passes (None: not measured, or
    not a size the targets are set for: `applies` False)."""
    out = {}
    applies = size >= TARGET_MIN_SIZE
    for key, label, limit in TARGETS:
        value = ratio.get(key)
        out[key] = {"label": label, "value": value, "limit": limit, "applies": applies,
                    "pass": None if value is None or not applies else value <= limit}
    return out


def measure_sizes(sizes: list[int], runs: int, cmd: list[str], *, floors_only: bool = False,
                  seed: int = 1, workdir: Path | None = None, keep: bool = False,
                  timeout: float = 900.0, verbose: bool = False, runs_large: int | None = None,
                  measures: list[tuple[str, Callable[[SizeContext], dict]]] | None = None) -> list[dict]:
    """One result row per size: floors, start-up, and each measurement of `measures`."""
    measures = SYNC_MEASURES if measures is None else measures
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("VAULTKIT_") and k != "PYTHONDONTWRITEBYTECODE"}
    rows = []
    base = Path(tempfile.mkdtemp(prefix="vaultkit-bench-", dir=workdir))
    try:
        startup = measure_process([sys.executable, "-c", "pass"], runs, "python -c pass", env)
        import_cli = measure_process([sys.executable, "-c", "import vaultkit.cli"], runs,
                                     "import vaultkit.cli", env)
        for size in sizes:
            work = base / f"n{size}"
            work.mkdir()
            pristine = work / "pristine"
            log(f"== {size} notes: generating")
            start = time.perf_counter()
            genvault.generate(pristine, size, seed)
            gen_s = time.perf_counter() - start
            log(f"   generated in {gen_s:.2f} s; floors")
            row: dict = {
                "size": size,
                "generate_s": gen_s,
                "floors": measure_floors(pristine, runs),
                "startup": startup,
                "import_cli": import_cli,
            }
            size_runs = min(runs, runs_large) if runs_large and size >= LARGE else runs
            row["runs"] = size_runs
            if not floors_only:
                ctx = SizeContext(size=size, runs=size_runs, cmd=cmd, work=work, pristine=pristine,
                                  timeout=timeout, verbose=verbose, env=env)
                row["sync"] = {}
                for name, fn in measures:
                    log(f"   {name}")
                    try:
                        row["sync"][name] = fn(ctx)
                    except Exception as exc:  # one broken measurement must not end the run
                        log(f"!! {name} (size {size}): {type(exc).__name__}: {exc}")
                        row["sync"][name] = {"runs": 0, "ok_runs": 0, "error": repr(exc)}
            row["ratios"] = ratios(row)
            row["targets"] = targets(row["ratios"], row["size"])
            rows.append(row)
            if not keep:
                shutil.rmtree(work, ignore_errors=True)
    finally:
        if keep:
            log(f"vaults kept in {base}")
        else:
            shutil.rmtree(base, ignore_errors=True)
    return rows


# -- output ----------------------------------------------------------------------------------


def _fmt_s(v: float | None) -> str:
    if v is None:
        return "—"
    return f"{v * 1000:.1f} ms" if v < 1 else f"{v:.2f} s"


def _fmt_x(v: float | None) -> str:
    return "—" if v is None else f"{v:.1f}×"


def _fmt_mb(v: float | None) -> str:
    return "—" if v is None else f"{v:.0f} MB"


def markdown(rows: list[dict]) -> str:
    lines = [
        "| notes | read floor: generated / synced | stat floor: generated / synced "
        "| python start-up | import vaultkit.cli "
        "| first dry run | first sync | cold sync | warm no-change | one note changed "
        "| one link added |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    dry_run_wrote = False
    for row in rows:
        sync = row.get("sync", {})

        def floor(key: str) -> str:
            synced = sync.get("synced_floors", {}).get(key)
            return f"{_fmt_s(row['floors'][key])} / {_fmt_s(synced)}"

        def cell(name: str) -> str:
            m = sync.get(name)
            if m is None:
                return "—"
            if "wall_s" not in m:
                return "failed"
            mark = " ¹" if any(rc == 1 for rc in m["returncodes"]) else ""
            if name == "dry_run" and (any(m.get("files_written", ())) or any(m.get("left_state", ()))):
                nonlocal dry_run_wrote
                dry_run_wrote = True
                mark += " ²"
            return f"{_fmt_s(m['wall_s'])} ({_fmt_mb(m['maxrss_mb'])}){mark}"

        lines.append(
            f"| {row['size']:,} | {floor('read_s')} | {floor('stat_s')} "
            f"| {_fmt_s(row['startup'].get('wall_s'))} | {_fmt_s(row['import_cli'].get('wall_s'))} "
            f"| {cell('dry_run')} | {cell('first')} | {cell('cold')} | {cell('warm')} | {cell('one_changed')} "
            f"| {cell('one_link')} |"
        )
    runs = sorted({row.get("runs") for row in rows if row.get("runs")})
    lines += [
        "",
        "Times are wall-clock medians"
        + (f" of {' or '.join(map(str, runs))} run{'s' if runs != [1] else ''}" if runs else "")
        + "; peak RSS of the process in brackets. "
        "¹ exit 1: the sync reported problems (see `stderr_head` in the JSON)."
        + (" ² the dry run wrote to the vault (see `files_written` and `left_state`)."
           if dry_run_wrote else ""),
        "",
        "| notes | first / read | cold / read | cold µs/note | warm / (stat + start-up) "
        "| (warm − start-up) / stat | one changed − warm | one link − warm |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]

    def delta(v: float | None) -> str:
        return "—" if v is None else f"{v * 1000:+.1f} ms"

    for row in rows:
        r = row["ratios"]
        us = r.get("cold_us_per_note")
        lines.append(
            f"| {row['size']:,} | {_fmt_x(r.get('first_over_read'))} | {_fmt_x(r.get('cold_over_read'))} "
            f"| {'—' if us is None else f'{us:.0f}'} | {_fmt_x(r.get('warm_over_stat_plus_startup'))} "
            f"| {_fmt_x(r.get('warm_minus_startup_over_stat'))} "
            f"| {delta(r.get('one_changed_minus_warm_s'))} | {delta(r.get('one_link_minus_warm_s'))} |"
        )
    lines += ["", targets_table(rows)]
    return "\n".join(lines) + "\n"


def targets_table(rows: list[dict]) -> str:
    """The targets: one column each, its value at every size and whether it passes."""
    lines = [
        "Targets (ratios to what the same run measured on the same vault):",
        "",
        "| notes | " + " | ".join(f"{label} ≤ {limit:g}" for _, label, limit in TARGETS) + " |",
        "| ---: |" + " ---: |" * len(TARGETS),
    ]
    for row in rows:
        cells = []
        for key, _, _ in TARGETS:
            t = row.get("targets", {}).get(key, {})
            if t.get("applies") is False and t.get("value") is not None:
                cells.append(f"{_fmt_x(t['value'])} (no target)")
            elif t.get("pass") is None:
                cells.append("—")
            else:
                cells.append(f"{_fmt_x(t['value'])} {'pass' if t['pass'] else 'FAIL'}")
        lines.append(f"| {row['size']:,} | " + " | ".join(cells) + " |")
    tally = targets_summary(rows)
    if any(row["size"] < TARGET_MIN_SIZE for row in rows):
        lines += ["", f"The targets are set from {TARGET_MIN_SIZE:,} notes up: below that, start-up and imports "
                      "outweigh the floors."]
    lines += ["", f"{tally['pass']} of {tally['total']} targets pass"
              + (f", {tally['fail']} fail" if tally["fail"] else "")
              + (f", {tally['not_measured']} not measured" if tally["not_measured"] else "") + "."]
    return "\n".join(lines)


def targets_summary(rows: list[dict]) -> dict:
    """How many (size, target) pairs pass, fail, or could not be measured; and the limits."""
    verdicts = [t.get("pass") for row in rows for key, _, _ in TARGETS
                if (t := row.get("targets", {}).get(key, {})).get("applies", True)]
    return {
        "total": len(verdicts),
        "pass": sum(v is True for v in verdicts),
        "fail": sum(v is False for v in verdicts),
        "not_measured": sum(v is None for v in verdicts),
        "limits": {key: limit for key, _, limit in TARGETS},
    }


def machine() -> dict:
    info = {
        "python": sys.version.split()[0],
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
    }
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    info["cpu"] = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    try:
        info["commit"] = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO,
                                        capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        pass
    return info


def default_cmd() -> list[str]:
    """`python -m vaultkit` when the package has a __main__, else the console script."""
    if (REPO / "vaultkit" / "__main__.py").exists():
        return [sys.executable, "-m", "vaultkit"]
    script = shutil.which("vaultkit")
    if script:
        return [script]
    return [sys.executable, "-m", "vaultkit"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,50000",
                        help="comma-separated vault sizes (default: %(default)s)")
    parser.add_argument("--runs", type=int, default=5, help="runs per measurement (median)")
    parser.add_argument("--runs-large", type=int, default=3,
                        help=f"at most this many runs for vaults of {LARGE:,} notes or more "
                             "(default: %(default)s; 0: no limit)")
    parser.add_argument("--out", type=Path, default=HERE / "out" / "results.json")
    parser.add_argument("--cmd", help="the vaultkit command, shell-quoted "
                        "(default: python -m vaultkit, else the vaultkit script)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--floors-only", action="store_true", help="skip the sync measurements")
    parser.add_argument("--measures", help="only these measurements, comma-separated, from: "
                        + ", ".join(name for name, _ in SYNC_MEASURES)
                        + " (those after `first` need a vault it synced: first is added)")
    parser.add_argument("--workdir", type=Path, help="where to make the temporary vaults")
    parser.add_argument("--keep", action="store_true", help="keep the generated vaults")
    parser.add_argument("--timeout", type=float, default=900.0, help="seconds per process")
    parser.add_argument("-v", "--verbose", action="store_true",
                        help="log every run and the files it changed")
    args = parser.parse_args(argv)
    try:
        sizes = [int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()]
    except ValueError:
        parser.error(f"--sizes: not a list of integers: {args.sizes!r}")
    if not sizes or min(sizes) < 1 or args.runs < 1:
        parser.error("--sizes and --runs must be positive")
    cmd = shlex.split(args.cmd) if args.cmd else default_cmd()
    measures = None
    if args.measures:
        wanted = {m.strip() for m in args.measures.split(",") if m.strip()}
        unknown = wanted - {name for name, _ in SYNC_MEASURES}
        if unknown:
            parser.error(f"--measures: unknown {', '.join(sorted(unknown))}")
        if wanted - {"dry_run", "first"}:
            wanted.add("first")
        measures = [(name, fn) for name, fn in SYNC_MEASURES if name in wanted]
    log(f"vaultkit command: {shlex.join(cmd)}")
    rows = measure_sizes(sizes, args.runs, cmd, floors_only=args.floors_only, seed=args.seed,
                         workdir=args.workdir, keep=args.keep, timeout=args.timeout,
                         verbose=args.verbose, runs_large=args.runs_large or None, measures=measures)
    table = markdown(rows)
    print(table)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    doc = {
        "machine": machine(),
        "command": cmd,
        "today": TODAY,
        "runs": args.runs,
        "runs_large": args.runs_large,
        "seed": args.seed,
        "floors_only": args.floors_only,
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "results": rows,
        "targets": targets_summary(rows),
        "table": table,
    }
    args.out.write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
    log(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
