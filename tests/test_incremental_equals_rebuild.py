"""An incremental pass gives byte for byte what a full one gives.

A random sequence of edits — notes created, edited, renamed and deleted, links added and
removed, dates and statuses changed, days passing — and after every step two syncs: the
vault's own (incremental: the cache and the ledger of the passes before) and, on a copy
taken just before, `sync --rebuild`. The two trees must be identical after every step.
200 steps in the suite; `VAULTKIT_HEAVY=1` runs 3,000 (the figure goes in the notes).
"""

from __future__ import annotations

import datetime as dt
import os
import random
import shutil

import pytest

from conftest import snapshot

HEAVY = os.environ.get("VAULTKIT_HEAVY") == "1"
STEPS = 3000 if HEAVY else 200
PEOPLE = ["Ann Lee", "Bo Chen", "Cy Diaz", "Dee Park", "Eli Ruiz", "Fay Wu", "Gus Roy"]
STATUSES = [None, "planned", "done", "cancelled"]


class Vault:
    """The edits, on real files."""

    def __init__(self, root, rng: random.Random):
        self.root = root
        self.rng = rng
        self.today = dt.date(2026, 11, 28)

    def notes(self, folder: str = "") -> list[str]:
        base = self.root / folder if folder else self.root
        if not base.exists():
            return []
        return sorted(p.relative_to(self.root).as_posix() for p in base.rglob("*.md")
                      if ".vaultkit" not in p.parts)

    def write(self, rel: str, text: str) -> None:
        path = self.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, "utf-8")

    def link(self, name: str) -> str:
        return f'"[[{name}]]"'

    def contact(self) -> None:
        name = self.rng.choice(PEOPLE)
        props = ["type: contact"]
        if self.rng.random() < 0.5:
            props.append(f"referred_by: {self.link(self.rng.choice(PEOPLE))}")
        if self.rng.random() < 0.3:
            props.append(f"status: {self.rng.choice(['prospect', 'contacted', 'met'])}")
        if self.rng.random() < 0.3:
            props.append(f"last_contacted: {self.today - dt.timedelta(days=self.rng.randint(0, 60))}")
        self.write(f"People/{name}.md", "---\n" + "\n".join(props) + f"\n---\n# {name}\n")

    def interview(self) -> None:
        day = self.today + dt.timedelta(days=self.rng.randint(-40, 20))
        who = self.rng.sample(PEOPLE, self.rng.choice([1, 1, 2]))
        props = ["type: interview", f"date: {day}",
                 "contact: [" + ", ".join(self.link(w) for w in who) + "]"]
        status = self.rng.choice(STATUSES)
        if status:
            props.append(f"status: {status}")
        if self.rng.random() < 0.4:
            props.append(f"referrals: [{self.link(self.rng.choice(PEOPLE))}]")
        if self.rng.random() < 0.3:
            props.append(f"thank_you_sent: {day + dt.timedelta(days=1)}")
        self.write(f"Interviews/{day} {who[0]}.md", "---\n" + "\n".join(props) + "\n---\nNotes.\n")

    def plain(self) -> None:
        name = self.rng.choice(["Ideas", "Plan", "Journal", "Reading"])
        links = " ".join(f"[[{p}]]" for p in self.rng.sample(PEOPLE, self.rng.randint(0, 3)))
        dated = self.rng.random() < 0.3
        rel = f"Daily/{self.today - dt.timedelta(days=self.rng.randint(0, 5))}.md" if dated else f"Notes/{name}.md"
        self.write(rel, f"Thoughts {links}\n")

    def edit(self) -> None:
        notes = [n for n in self.notes() if not n.startswith(("Follow-ups/", "Reviews/"))]
        if not notes:
            return
        rel = self.rng.choice(notes)
        path = self.root / rel
        text = path.read_text("utf-8")
        choice = self.rng.random()
        if choice < 0.3 and "status:" in text:
            old = text.split("status:", 1)[1].split("\n", 1)[0]
            text = text.replace(f"status:{old}", f"status: {self.rng.choice(['planned', 'done', 'cancelled'])}", 1)
        elif choice < 0.5:
            text += f"\nSee [[{self.rng.choice(PEOPLE)}]].\n"
        elif choice < 0.7 and "[[" in text.split("---", 2)[-1]:
            body_start = text.find("\n---\n", 3)
            head, body = (text[:body_start + 5], text[body_start + 5:]) if body_start > 0 else ("", text)
            text = head + body.replace("[[", "", 1).replace("]]", "", 1)
        elif rel.startswith("Thank-yous/") and "sent: false" in text:
            text = text.replace("sent: false", f"sent: {self.today}", 1)
        else:
            text = text.replace("\n", "\n\n", 1)  # a body edit that changes nothing vaultkit reads
        path.write_text(text, "utf-8")

    def rename(self) -> None:
        notes = self.notes("People") + self.notes("Notes") + self.notes("Interviews")
        if notes:
            rel = self.rng.choice(notes)
            folder = self.rng.choice(["People", "Archive", "Notes/Old"])
            dest = self.root / folder / rel.rsplit("/", 1)[-1]
            if not dest.exists():
                dest.parent.mkdir(parents=True, exist_ok=True)
                os.replace(self.root / rel, dest)

    def delete(self) -> None:
        notes = self.notes()
        if notes:
            (self.root / self.rng.choice(notes)).unlink()

    def step(self) -> str:
        action = self.rng.choices(
            ["contact", "interview", "plain", "edit", "rename", "delete", "day"],
            [3, 3, 2, 5, 1, 1, 1])[0]
        if action == "day":
            self.today += dt.timedelta(days=self.rng.choice([1, 1, 3, 8]))
        else:
            getattr(self, action)()
        return action


@pytest.mark.parametrize("seed", [1, 2])
def test_incremental_sync_equals_rebuild_after_every_step(cli, tmp_path, seed):
    rng = random.Random(seed)
    a = tmp_path / "a"
    a.mkdir()
    vault = Vault(a, rng)
    for _ in range(4):
        vault.contact()
        vault.interview()
    steps = STEPS // 2
    for n in range(steps):
        action = vault.step()
        b = tmp_path / f"b{n % 2}"
        if b.exists():
            shutil.rmtree(b)
        shutil.copytree(a, b, symlinks=True)  # with .vaultkit/: the same ledger
        today = vault.today.isoformat()
        left = cli("sync", "--vault", a, "--today", today)
        right = cli("sync", "--vault", b, "--today", today, "--rebuild")
        assert left.exit_code == right.exit_code, (n, action, left.output, right.output)
        assert snapshot(a) == snapshot(b), f"step {n} ({action}, seed {seed}): incremental != rebuild"
