"""Latency of `vaultkit watch`: from saving a note to the linked contact's block showing it.

    python bench/latency.py [--sizes 1000,10000,50000] [--edits 50] [--debounce-ms 100]

For each size: generate a vault (bench/genvault.py), run `vaultkit watch --today
2026-11-28` on it as a subprocess, wait for its first sync, then edit plain notes: each
edit adds (or, the next time, removes) a body link `[[Contact K]]`, and the time is taken
from the write to the moment contact K's file shows (or stops showing) the link back,
polling it every 2 ms. Reported: p50 / p95 / max minus the debounce (the quiet period the
watcher waits on purpose), as a Markdown table and as JSON. Target: p95 <= 50 ms at every
size, i.e. flat in vault size.

Then contacts gain (and lose) a `referred_by: "[[J]]"`: timed to J's block showing (or no
longer showing) the new referral, and to the batch's log line, which comes after the
referral index and today's follow-up note are rewritten (notes that list the whole vault,
so their cost grows with it).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
TODAY = "2026-11-28"
POLL = 0.002
TARGET_MS = 50.0


# -- the vault ------------------------------------------------------------------------------

def make_vault(out: Path, n: int, seed: int) -> str:
    """Write a vault of about n notes; returns which generator made it."""
    sys.path.insert(0, str(HERE))
    try:
        from genvault import generate  # noqa: PLC0415
        generate(out, n, seed)
        return "genvault"
    except Exception as exc:  # noqa: BLE001 - a missing or broken generator: use ours
        print(f"latency: bench/genvault.py unusable ({exc!r}); using the built-in generator",
              file=sys.stderr)
        shutil.rmtree(out, ignore_errors=True)
        _minimal_vault(out, n, seed)
        return "minimal"
    finally:
        sys.path.remove(str(HERE))


def _minimal_vault(out: Path, n: int, seed: int) -> None:
    """Contacts with referrals and plain notes linking to them, over nested folders."""
    rng = random.Random(seed)
    n_contacts = max(2, n * 3 // 10)
    contacts = [f"Contact {i:06d}" for i in range(n_contacts)]
    for i, name in enumerate(contacts):
        ref = f'referred_by: "[[{contacts[i - 1 - rng.randrange(min(i, 20))]}]]"\n' if i and rng.random() < 0.5 else ""
        path = out / "People" / f"{i % 50:02d}" / f"{name}.md"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"---\ntype: contact\nstatus: met\n{ref}---\n# {name}\n", encoding="utf-8")
    for i in range(n - n_contacts):
        links = " ".join(f"[[{rng.choice(contacts)}]]" for _ in range(rng.randint(0, 3)))
        path = out / "Notes" / f"{i % 100:02d}" / f"Note {i:06d}.md"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"# Note {i}\n\nSome text. {links}\n", encoding="utf-8")


_TYPED = re.compile(r"^(type:\s*(contact|interview|company)|categories:)", re.M)


def pick_pairs(vault: Path, count: int, seed: int) -> list[tuple[Path, str, Path, str]]:
    """(plain note, its stem, contact note, its stem): unique stems, no link between them yet."""
    stems: dict[str, int] = {}
    files: list[Path] = []
    for folder, dirs, names in os.walk(vault):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        for name in names:
            if name.endswith(".md") and not name.startswith("."):
                files.append(Path(folder, name))
                stems[name[:-3].casefold()] = stems.get(name[:-3].casefold(), 0) + 1
    rng = random.Random(seed)
    rng.shuffle(files)
    ok = re.compile(r"^[\w .'-]+$")
    contacts, plains = [], []
    for path in files:
        stem = path.name[:-3]
        if stems[stem.casefold()] != 1 or not ok.match(stem):
            continue
        head = path.read_text("utf-8", "replace")[:2000]
        if re.search(r"^type:\s*contact", head, re.M):
            contacts.append((path, stem))
        elif not _TYPED.search(head) and "vaultkit:begin" not in head:
            plains.append((path, stem))
    pairs = []
    for (p, ps), (c, cs) in zip(plains, contacts):
        if f"[[{ps}" not in c.read_text("utf-8") and cs.casefold() not in p.read_text("utf-8").casefold():
            pairs.append((p, ps, c, cs))
        if len(pairs) == count:
            break
    if len(pairs) < count:
        raise SystemExit(f"latency: found only {len(pairs)} usable (note, contact) pairs in {vault}")
    return pairs


def pick_referrals(vault: Path, count: int, seed: int, avoid: set[Path]) -> list[tuple[Path, str, Path, str]]:
    """(contact K, its stem, contact J, its stem): K has `type: contact` and no `referred_by`,
    neither names the other; adding `referred_by: "[[J]]"` to K makes J's block show K."""
    rng = random.Random(seed + 1)
    ok = re.compile(r"^[\w .'-]+$")
    stems: dict[str, int] = {}
    contacts = []
    for folder, dirs, names in os.walk(vault):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        for name in names:
            if name.endswith(".md"):
                stems[name[:-3].casefold()] = stems.get(name[:-3].casefold(), 0) + 1
                if folder.startswith(str(vault / "People")):
                    contacts.append(Path(folder, name))
    rng.shuffle(contacts)
    usable = []
    for path in contacts:
        stem = path.name[:-3]
        if path in avoid or stems[stem.casefold()] != 1 or not ok.match(stem):
            continue
        text = path.read_text("utf-8", "replace")
        if "\ntype: contact\n" in text[:2000] and "referred_by" not in text:
            usable.append((path, stem, text))
    out = []
    for (k, ks, kt), (j, js, jt) in zip(usable[0::2], usable[1::2]):
        if f"[[{js}" not in kt and f"[[{ks}" not in jt:
            out.append((k, ks, j, js))
        if len(out) == count:
            break
    return out


def edit_referral(contact: Path, referrer_stem: str, adding: bool) -> None:
    line = f'referred_by: "[[{referrer_stem}]]"\n'.encode()
    data = contact.read_bytes()
    data = data.replace(b"\ntype: contact\n", b"\ntype: contact\n" + line, 1) if adding else data.replace(line, b"")
    with open(contact, "wb") as f:
        f.write(data)


# -- the watcher ----------------------------------------------------------------------------

class Watch:
    """`vaultkit watch` as a subprocess, its output collected by a thread."""

    def __init__(self, vault: Path):
        env = {k: v for k, v in os.environ.items() if not k.startswith("VAULTKIT_")}
        env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
        self.started = time.perf_counter()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "vaultkit", "watch", "--vault", str(vault), "--today", TODAY],
            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            encoding="utf-8", bufsize=1)
        self.lines: list[str] = []
        self.ready_at: float | None = None
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        for line in self.proc.stdout:
            line = line.rstrip("\n")
            if line.startswith("watch: watching") and self.ready_at is None:
                self.ready_at = time.perf_counter()
            self.lines.append(line)

    def wait_ready(self, timeout: float) -> float:
        deadline = time.monotonic() + timeout
        while self.ready_at is None:
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise SystemExit("latency: vaultkit watch did not start:\n" + "\n".join(self.lines[-20:]))
            time.sleep(0.05)
        return self.ready_at - self.started

    def stop(self) -> int:
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return -9
        finally:
            self._reader.join(5)


def wait_file(path: Path, needle: bytes, present: bool, timeout: float) -> float | None:
    """Poll `path` every 2 ms until `needle` is (or is not) in it; the time, or None."""
    deadline = time.perf_counter() + timeout
    while True:
        try:
            data = path.read_bytes()
        except FileNotFoundError:  # between unlink and rename on some platforms
            data = b""
        now = time.perf_counter()
        if (needle in data) == present:
            return now
        if now > deadline:
            return None
        time.sleep(POLL)


def edit_link(plain: Path, contact_stem: str, adding: bool) -> None:
    line = f"\nSee [[{contact_stem}]] about this.\n".encode()
    data = plain.read_bytes()
    data = data + line if adding else data.replace(line, b"")
    with open(plain, "wb") as f:
        f.write(data)


def measure_watcher(vault: Path, pairs, edits: int, debounce_ms: int) -> list[float]:
    """The watcher alone (in-process, a callback that does nothing): write -> on_batch, ms."""
    sys.path.insert(0, str(ROOT))
    from vaultkit.live import ignore_rule  # noqa: PLC0415
    from vaultkit.watch import Watcher  # noqa: PLC0415

    called = threading.Event()
    stamp: list[float] = []

    def on_batch(paths: set[str]) -> set[str]:
        stamp.append(time.perf_counter())
        called.set()
        return set()

    watcher = Watcher(vault, on_batch, debounce=debounce_ms / 1000, rescan_every=3600,
                      on_rescan=set, ignore=ignore_rule())
    thread = threading.Thread(target=watcher.run, daemon=True)
    thread.start()
    watcher.ready.wait(60)
    out = []
    try:
        for i in range(edits):
            plain, _, _, contact_stem = pairs[(i // 2) % len(pairs)]
            called.clear()
            start = time.perf_counter()
            edit_link(plain, contact_stem, adding=i % 2 == 0)
            if called.wait(10):
                out.append((stamp[-1] - start) * 1000)
            time.sleep(0.02)  # let the close-write event of this edit pass
    finally:
        watcher.stop()
        thread.join(10)
    return out


def measure_apply(vault: Path, pairs, edits: int) -> list[float]:
    """`batch.apply_batch` alone (in-process) for the same edits, ms: the core's share."""
    import datetime as dt  # noqa: PLC0415
    sys.path.insert(0, str(ROOT))
    from vaultkit.batch import apply_batch  # noqa: PLC0415
    from vaultkit.sync import Session  # noqa: PLC0415

    session = Session(vault, dt.date.fromisoformat(TODAY))
    try:
        session.sync()
        if session.index is None:
            session.load()
        out = []
        for i in range(edits):
            plain, _, _, contact_stem = pairs[(i // 2) % len(pairs)]
            edit_link(plain, contact_stem, adding=i % 2 == 0)
            start = time.perf_counter()
            apply_batch(session, [plain.relative_to(vault).as_posix()], settle_seconds=0)
            out.append((time.perf_counter() - start) * 1000)
        return out
    finally:
        session.close()


# -- one size -------------------------------------------------------------------------------

@dataclass
class Result:
    notes: int
    generator: str
    startup_s: float
    edits: int
    debounce_ms: int
    p50_ms: float
    p95_ms: float
    max_ms: float
    mean_ms: float
    timeouts: int
    batches: int
    watcher_p50_ms: float = float("nan")
    watcher_p95_ms: float = float("nan")
    apply_p50_ms: float = float("nan")
    apply_p95_ms: float = float("nan")
    # A contact gains or loses a `referred_by`: the referrer's block (first round of the
    # batch) and the whole batch (the log line, after the referral index and daily note).
    referral_edits: int = 0
    referral_block_p50_ms: float = float("nan")
    referral_block_p95_ms: float = float("nan")
    referral_batch_p50_ms: float = float("nan")
    referral_batch_p95_ms: float = float("nan")
    raw_ms: list[float] = field(default_factory=list)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    k = (len(ordered) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def run_size(n: int, edits: int, debounce_ms: int, seed: int, keep: bool, timeout: float) -> Result:
    tmp = Path(tempfile.mkdtemp(prefix=f"vaultkit-latency-{n}-"))
    vault = tmp / "vault"
    try:
        t0 = time.perf_counter()
        generator = make_vault(vault, n, seed)
        print(f"latency: {n} notes generated with {generator} in {time.perf_counter() - t0:.1f} s",
              file=sys.stderr)
        (vault / ".vaultkit").mkdir(exist_ok=True)
        (vault / ".vaultkit" / "config.toml").write_text(f"debounce_ms = {debounce_ms}\n", encoding="utf-8")
        pairs = pick_pairs(vault, (edits + 1) // 2 + 2, seed)
        watch = Watch(vault)
        try:
            startup = watch.wait_ready(timeout=3600)
            print(f"latency: first sync and start took {startup:.1f} s", file=sys.stderr)
            time.sleep(1.5)  # the start-up rescan, and the first batch's imports
            latencies: list[float] = []
            timeouts = 0
            warmup = pairs[:2]
            first_line = len(watch.lines)
            for i in range(edits + 2 * len(warmup)):
                j, adding = divmod(i, 2)
                plain, plain_stem, contact, contact_stem = (warmup + pairs)[j]
                start = time.perf_counter()
                edit_link(plain, contact_stem, adding=adding == 0)
                seen = wait_file(contact, f"[[{plain_stem}]]".encode(), present=adding == 0, timeout=timeout)
                if i < 2 * len(warmup):
                    first_line = len(watch.lines)
                    continue
                if seen is None:
                    timeouts += 1
                else:
                    latencies.append((seen - start) * 1000)
                if len(latencies) + timeouts >= edits:
                    break
            batches = sum(1 for l in watch.lines[first_line:] if l.startswith("watch: ") and "changed" in l)
            block_ms, batch_ms = [], []
            for i, (k, ks, j, js) in enumerate(pick_referrals(vault, edits // 2, seed, {p[2] for p in pairs})):
                for adding in (True, False):
                    lines = len(watch.lines)
                    start = time.perf_counter()
                    edit_referral(k, js, adding)
                    seen = wait_file(j, f"[[{ks}]]".encode(), present=adding, timeout=timeout)
                    deadline = time.perf_counter() + timeout
                    while len(watch.lines) == lines and time.perf_counter() < deadline:
                        time.sleep(POLL)
                    done = time.perf_counter() if len(watch.lines) > lines else None
                    if seen is not None and done is not None:
                        block_ms.append(max(0.0, (seen - start) * 1000 - debounce_ms))
                        batch_ms.append(max(0.0, (done - start) * 1000 - debounce_ms))
        finally:
            code = watch.stop()
            if code != 0:
                print(f"latency: vaultkit watch exited {code}:\n" + "\n".join(watch.lines[-20:]), file=sys.stderr)
        watcher_ms = [max(0.0, v - debounce_ms) for v in measure_watcher(vault, pairs[2:], edits, debounce_ms)]
        apply_ms = measure_apply(vault, pairs[2:], edits)
        net = [max(0.0, v - debounce_ms) for v in latencies]
        return Result(
            referral_edits=len(block_ms),
            referral_block_p50_ms=round(percentile(block_ms, 0.5), 1),
            referral_block_p95_ms=round(percentile(block_ms, 0.95), 1),
            referral_batch_p50_ms=round(percentile(batch_ms, 0.5), 1),
            referral_batch_p95_ms=round(percentile(batch_ms, 0.95), 1),
            watcher_p50_ms=round(percentile(watcher_ms, 0.5), 1), watcher_p95_ms=round(percentile(watcher_ms, 0.95), 1),
            apply_p50_ms=round(percentile(apply_ms, 0.5), 1), apply_p95_ms=round(percentile(apply_ms, 0.95), 1),
            notes=n, generator=generator, startup_s=round(startup, 2), edits=len(latencies),
            debounce_ms=debounce_ms, p50_ms=round(percentile(net, 0.50), 1),
            p95_ms=round(percentile(net, 0.95), 1), max_ms=round(max(net, default=float("nan")), 1),
            mean_ms=round(statistics.fmean(net), 1) if net else float("nan"), timeouts=timeouts,
            batches=batches, raw_ms=[round(v, 2) for v in latencies])
    finally:
        if keep:
            print(f"latency: kept {vault}", file=sys.stderr)
        else:
            shutil.rmtree(tmp, ignore_errors=True)


def table(results: list[Result]) -> str:
    rows = ["| notes | first sync + start | edits | p50 | p95 | max | timeouts | p95 ≤ 50 ms "
            "| watcher alone p50 / p95 | apply_batch p50 / p95 "
            "| referral edits | referrer's block p50 / p95 | whole batch p50 / p95 |",
            "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | :---: | ---: | ---: | ---: | ---: | ---: |"]
    for r in results:
        ok = "yes" if r.timeouts == 0 and r.p95_ms <= TARGET_MS else "no"
        rows.append(f"| {r.notes:,} | {r.startup_s:.1f} s | {r.edits} | {r.p50_ms:.1f} ms | {r.p95_ms:.1f} ms "
                    f"| {r.max_ms:.1f} ms | {r.timeouts} | {ok} "
                    f"| {r.watcher_p50_ms:.1f} / {r.watcher_p95_ms:.1f} ms "
                    f"| {r.apply_p50_ms:.1f} / {r.apply_p95_ms:.1f} ms "
                    f"| {r.referral_edits} | {r.referral_block_p50_ms:.1f} / {r.referral_block_p95_ms:.1f} ms "
                    f"| {r.referral_batch_p50_ms:.1f} / {r.referral_batch_p95_ms:.1f} ms |")
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000", help="comma-separated vault sizes (notes)")
    parser.add_argument("--edits", type=int, default=50, help="measured edits per size (>= 50 advised)")
    parser.add_argument("--debounce-ms", type=int, default=100, help="the watcher's debounce_ms")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--timeout", type=float, default=10.0, help="seconds to wait for one update")
    parser.add_argument("--json", type=Path, default=None, help="also write the JSON here")
    parser.add_argument("--keep", action="store_true", help="keep the generated vaults")
    args = parser.parse_args(argv)
    sizes = [int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()]
    results = []
    for n in sizes:
        results.append(run_size(n, args.edits, args.debounce_ms, args.seed, args.keep, args.timeout))
        print(table(results[-1:]).splitlines()[-1], file=sys.stderr)
    print(f"Latency from saving a note to the contact's block updated, minus the "
          f"{args.debounce_ms} ms debounce (CPU: {os.cpu_count()} cores). 'watcher alone': "
          "write -> on_batch with a no-op callback; 'apply_batch': the core's work per edit, "
          "in-process; 'referral edits': a contact gains or loses `referred_by`, timed to the "
          "referrer's block and to the batch's log line (after the referral index and the daily "
          "note, whose size grows with the vault).\n")
    print(table(results))
    doc = {"debounce_ms": args.debounce_ms, "target_p95_ms": TARGET_MS,
           "results": [asdict(r) for r in results]}
    text = json.dumps(doc, indent=2)
    print("\n```json\n" + json.dumps({**doc, "results": [{k: v for k, v in asdict(r).items() if k != "raw_ms"}
                                                     for r in results]}, indent=2) + "\n```")
    if args.json:
        args.json.write_text(text + "\n", encoding="utf-8")
    met = all(r.timeouts == 0 and r.p95_ms <= TARGET_MS for r in results)
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
