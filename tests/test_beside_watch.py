"""`vaultkit watch` left running while the user works: `new contact`, an editor's saves and a
`sync`, all at once, as real processes on real files. The vault lock is held per pass, so
none of them waits for watch to finish; watch takes their writes as it takes an editor's."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

from conftest import ROOT, TODAY, run_vaultkit

from vaultkit.markers import block_inner

WAIT = 30.0


def wait_for(condition, what: str, timeout: float = WAIT):
    deadline = time.monotonic() + timeout
    while True:
        found = condition()
        if found:
            return found
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def env() -> dict[str, str]:
    out = {k: v for k, v in os.environ.items() if not k.startswith("VAULTKIT_")}
    out["PYTHONPATH"] = os.environ["PYTHONPATH"]
    return out


class Watch:
    def __init__(self, vault: Path):
        self.proc = subprocess.Popen([sys.executable, "-m", "vaultkit", "watch", "--vault", str(vault),
                                      "--today", TODAY], cwd=ROOT, env=env(), text=True,
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        self.lines: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()
        wait_for(lambda: self.alive() and any(l.startswith("watch: watching") for l in self.lines),
                 "watch to start")

    def _read(self) -> None:
        for line in self.proc.stdout:
            self.lines.append(line.rstrip("\n"))

    def alive(self) -> bool:
        assert self.proc.poll() is None, "watch exited:\n" + "\n".join(self.lines)
        return True

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.terminate()
        return self.proc.wait(10)


def block(vault: Path, rel: str, name: str = "connections") -> str:
    try:
        return block_inner((vault / rel).read_text("utf-8"), name) or ""
    except FileNotFoundError:
        return ""


def state(vault: Path) -> dict[str, tuple[int, int]]:
    return {p.relative_to(vault).as_posix(): (p.stat().st_size, p.stat().st_mtime_ns)
            for p in sorted(vault.rglob("*.md")) if ".vaultkit" not in p.parts}


def test_watch_new_contact_and_an_editors_save_together(make_vault):
    vault = make_vault({
        ".vaultkit/config.toml": "debounce_ms = 100\n",
        "People/Ann Lee.md": "---\ntype: contact\nstatus: met\n---\n# Ann Lee\n\nMet at the fair.\n",
        "People/Bo.md": "---\ntype: contact\n---\n# Bo\n",
        "Notes/Log.md": "# Log\n",
    })
    watch = Watch(vault)
    try:
        # All at once: `new contact` (referred by Ann), an editor saving Ann's note (text
        # outside the block, which watch then rewrites), and another note linking Ann.
        new = subprocess.Popen([sys.executable, "-m", "vaultkit", "new", "contact", "Dee Park",
                                "--vault", str(vault), "--referred-by", "Ann Lee", "--today", TODAY],
                               cwd=ROOT, env=env(), text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        started = time.monotonic()
        ann = vault / "People/Ann Lee.md"
        ann_text = ann.read_text("utf-8").replace("Met at the fair.\n", "Met at the fair.\nCoffee next week.\n")
        ann.write_text(ann_text, encoding="utf-8")
        (vault / "Notes/Log.md").write_text("# Log\n\nCalled [[Ann Lee]] and [[Bo]].\n", encoding="utf-8")
        out, err = new.communicate(timeout=WAIT)
        assert new.returncode == 0, out + err
        assert time.monotonic() - started < 10, "new waited for watch"
        assert "created People/Dee Park.md" in out

        # watch takes in the new note and the edits: Ann's block names Dee (referred) and
        # Log (linked from); Dee's names Ann; the editor's line is kept.
        wait_for(lambda: watch.alive() and "[[Dee Park]]" in block(vault, "People/Ann Lee.md")
                 and "[[Log]]" in block(vault, "People/Ann Lee.md"), "Ann's block to name Dee and Log")
        wait_for(lambda: "[[Ann Lee]]" in block(vault, "People/Dee Park.md"), "Dee's block to name Ann")
        wait_for(lambda: "[[Log]]" in block(vault, "People/Bo.md"), "Bo's block to name Log")
        text = ann.read_text("utf-8")
        assert "Met at the fair.\nCoffee next week.\n" in text
        assert (vault / "Notes/Log.md").read_text("utf-8") == "# Log\n\nCalled [[Ann Lee]] and [[Bo]].\n"

        # No loop: watch goes quiet and stays quiet (no file changes, no batch lines) for
        # longer than its debounce, settle and retry periods together.
        def quiet_for(seconds: float):
            start_state, start_lines, since = state(vault), len(watch.lines), time.monotonic()

            def check():
                nonlocal start_state, start_lines, since
                now_state, now_lines = state(vault), len(watch.lines)
                if now_state != start_state or now_lines != start_lines:
                    start_state, start_lines, since = now_state, now_lines, time.monotonic()
                    return False
                return watch.alive() and time.monotonic() - since >= seconds
            wait_for(check, f"watch to stay quiet for {seconds} s")
        quiet_for(3.0)

        # A `sync` beside the running watch finds nothing left to do: watch's incremental
        # passes reached what a full pass writes.
        done = run_vaultkit("sync", "--vault", vault, "--today", TODAY, "--rebuild", timeout=WAIT)
        assert done.returncode == 0, done.stderr
        assert "wrote 0 files" in done.stdout, done.stdout
        # And watch does not answer sync's pass with writes of its own.
        before = state(vault)
        quiet_for(3.0)
        assert state(vault) == before
    finally:
        code = watch.stop()
    assert code == 0, "\n".join(watch.lines)
    assert not any("Traceback" in l for l in watch.lines), "\n".join(watch.lines)
