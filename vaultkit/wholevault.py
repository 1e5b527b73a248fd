"""The notes made from the whole vault: the referral index, today's follow-ups, this
week's review, and the calendar feed. Each is planned from the facts of the whole vault
(so a `watch` batch plans them after the blocks an edit affects)."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from . import blocks
from . import ticks as ticks_mod
from .errors import Problem
from .facts import Facts
from .daily import daily_note_path
from .edits import block_edit
from .generate import review_note_path
from .icsfeed import calendar_feed
from .markers import set_block
from .model import PlannedWrite
from .review import review_block
from .ticks import PropertyError, set_property

if TYPE_CHECKING:
    from .sync import Session


def plan(s: Session, f: Facts, created: dict, problems: list[Problem],
         rendered: dict | None = None) -> list[PlannedWrite]:
    """Every write of the whole-vault notes that this pass wants; `rendered` holds what
    `render` made of them beforehand, from the same facts."""
    done = rendered or {}
    return [*referral_index(s, f, created, problems, done.get("referrals")),
            *daily(s, f, created, problems, done.get("follow-ups")),
            *review(s, f, created, problems, done.get("review")), *calendar(s, f, problems, done.get("calendar"))]


def render(s: Session, f: Facts) -> dict:
    """The texts of the whole-vault notes, made ahead of `plan` (while a second process
    renders blocks): pure functions of the facts, so `plan` writes the same either way.
    Whether each is written, and what is read from disk for it, is left to `plan`; a
    render that fails is left to `plan` too, which fails at the same point as without."""
    out: dict = {}
    makers = {"referrals": lambda: blocks.referral_index_block(f, s.cfg.referral_index)}
    if review_note_path(s, f) in s.index.records:
        makers["review"] = lambda: review_block(f)
    daily_path = daily_note_path(s, f)
    if daily_path in s.index.records:
        makers["follow-ups"] = lambda: blocks.follow_ups_block(f, daily_path)
    if s.cfg.calendar:
        makers["calendar"] = lambda: calendar_feed(f, s.root.name)
    for name, make in makers.items():
        try:
            out[name] = make()
        except Exception:  # noqa: BLE001 - raised again, in its place, by `plan`
            continue
    return out


def referral_index(s: Session, f: Facts, created: dict, problems: list[Problem],
                   inner: str | None = None) -> list[PlannedWrite]:
    path = s.cfg.referral_index
    inner = blocks.referral_index_block(f, path) if inner is None else inner
    rec = s.index.records.get(path)
    if rec is None:
        if os.path.lexists(s.vault / path) or s.scan_result and path in s.scan_result.notes \
                or not (f.contacts() or f.interviews()):  # unreadable, debris-named, or no job search yet
            return []
        text = ("# Referral Index\n\nWho introduced you to whom. vaultkit keeps the block below "
                "current; write anything you like around it.\n\n")
        data = set_block(text, "referrals", inner).encode("utf-8")
        return [PlannedWrite(path, data, None, "referral index")]
    if not rec.ok:
        return []
    w = block_edit(rec, "referrals", inner, created, problems, "referral index")
    return [w] if w else []


def daily(s: Session, f: Facts, created: dict, problems: list[Problem],
          inner: str | None = None) -> list[PlannedWrite]:
    path = daily_note_path(s, f)
    if path is None:
        return []
    rec = s.index.records.get(path)
    if rec is None or not rec.ok:
        return []
    ticks = rec.fields.get("ticks")
    if ticks and path not in created:
        writes, held = tick_writes(s, f, ticks, problems)
        if writes or held:
            # Recorded first: the block is planned again once these are written, and never
            # refreshed over a tick that could not be recorded.
            s.replan_globals = bool(writes)
            return writes
    inner = blocks.follow_ups_block(f, path) if inner is None else inner
    w = block_edit(rec, "follow-ups", inner, created, problems, "daily follow-ups")
    return [w] if w else []


def tick_writes(s: Session, f: Facts, ticks: list[str], problems: list[Problem]) -> tuple[list[PlannedWrite], bool]:
    """The property writes that record the ticked lines of today's block, and whether a
    tick could not be recorded (the block then keeps its ticks)."""
    found, _ = ticks_mod.match(ticks, f)  # (a line matching no item was recorded already)
    writes: list[PlannedWrite] = []
    held = False
    done: set[tuple[str, str]] = set()
    for action in found:
        if action.path is None:
            problems.append(ticks_mod.problem("?", action, "does not exist yet (no draft to mark sent)"))
            held = True
            continue
        if (action.path, action.prop) in done:
            continue
        done.add((action.path, action.prop))
        rec = s.index.records.get(action.path)
        try:
            old, expect = s.read_state(action.path)
        except OSError:
            s.report_conflict(action.path)
            held = True
            continue
        if rec is None or not rec.ok or expect.sha256 != rec.sha256:
            s.report_conflict(action.path)  # changed since read: the next pass records it
            held = True
            continue
        bom = old.startswith(b"\xef\xbb\xbf")
        try:
            text = set_property(old.decode("utf-8-sig"), action.prop, f.today_iso)
        except (PropertyError, UnicodeDecodeError) as exc:
            problems.append(ticks_mod.problem(action.path, action, str(exc)))
            held = True
            continue
        data = (b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8")
        if data != old:
            writes.append(PlannedWrite(action.path, data, expect, f"tick: {action.prop}",
                                       old=old if s.readonly else None))
    return writes, held


def review(s: Session, f: Facts, created: dict, problems: list[Problem],
           inner: str | None = None) -> list[PlannedWrite]:
    path = review_note_path(s, f)
    rec = s.index.records.get(path) if path else None
    if rec is None or not rec.ok or rec.fields.get("generated_by") != "vaultkit":
        return []
    w = block_edit(rec, "review", review_block(f) if inner is None else inner, created, problems,
                   "weekly review")
    return [w] if w else []


def calendar(s: Session, f: Facts, problems: list[Problem], data: bytes | None = None) -> list[PlannedWrite]:
    """The iCalendar feed (config `calendar`), rewritten when its text changes."""
    if not s.cfg.calendar:
        return []
    path = s.cfg.calendar
    data = calendar_feed(f, s.root.name) if data is None else data
    try:
        old, expect = s.read_state(path)
    except FileNotFoundError:
        old, expect = None, None
    except OSError as exc:
        problems.append(Problem(path, f"cannot read the calendar file: {exc.strerror or exc}", "write"))
        return []
    if old == data:
        return []
    return [PlannedWrite(path, data, expect, "calendar", old=old if s.readonly else None)]
