"""Ticks that record: a line ticked in today's `follow-ups` block becomes one property line.

Ticking `- [x] thank [[Ann Lee]] for the interview 2026-11-20 …` records the action at the
next pass, as one front-matter line of the note it concerns:

| ticked line | records |
| --- | --- |
| thank … for the interview DATE | `thank_you_sent: TODAY` on the interview |
| thank … for the referral of … | `sent: TODAY` on the referral's thank-you draft |
| contact … (a referral not yet contacted) | `last_contacted: TODAY` on the contact |
| … — follow-up due DATE, or a keep-in-touch line | `last_contacted: TODAY` on the contact |

This is the one change vaultkit makes outside its blocks, and only on the user's own tick.
The line is inserted before the closing `---` of the front-matter, or replaces that
property's own line; no other byte moves. A note that changed since it was read, that has
no front-matter, or whose property spans several lines is left alone and reported, and
the tick stays where it is (the block is not refreshed over it) until it can be recorded.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .errors import Problem
from .facts import Facts

@dataclass(frozen=True)
class Action:
    """What a ticked line records: `prop: today` on the note at `path`."""

    head: str  # how the ticked line starts
    path: str | None  # the note to record it on (None: nowhere to record it)
    prop: str
    what: str  # for messages


def actions(f: Facts) -> list[Action]:
    """Every item of today's block that a tick can record, by the start of its line."""
    from .cadence import due  # noqa: PLC0415

    ix = f.ix
    out: list[Action] = []
    for o in f.owed():
        if o.interview:
            out.append(Action(f"thank {ix.link(o.to)} for the interview {o.since}", o.interview,
                              "thank_you_sent", "the thank-you"))
        elif o.referral is not None:
            out.append(Action(f"thank {ix.link(o.to)} for the referral of {ix.link(o.referral.referred)}",
                              o.draft, "sent", "the referral thank-you"))
    for e in f.uncontacted_referrals():
        out.append(Action(f"contact {ix.link(e.referred)} ", e.referred, "last_contacted", "the contact"))
    for c, _ in f.follow_ups_due():
        out.append(Action(f"{ix.link(c)} — follow-up due", c, "last_contacted", "the follow-up"))
    if f.cfg.cadence:
        overdue, soon = due(f)
        for d in (*overdue, *soon):
            out.append(Action(f"{ix.link(d.contact)} (", d.contact, "last_contacted", "keeping in touch"))
    return out


def match(ticks: list[str], f: Facts) -> tuple[list[Action], list[str]]:
    """(the actions the ticked lines ask for, the ticked lines that match no item)."""
    known = actions(f)
    found: list[Action] = []
    unmatched: list[str] = []
    for line in ticks:
        hits = [a for a in known if line.startswith(a.head)]
        if hits:
            best = max(hits, key=lambda a: len(a.head))
            if best not in found:
                found.append(best)
        else:
            unmatched.append(line)
    return found, unmatched


class PropertyError(ValueError):
    """The property cannot be set as one line of this note's front-matter."""


def set_property(text: str, key: str, value: str) -> str:
    """`text` with `key: value` as one line of its front-matter: that property's own line
    replaced, else a line inserted before the closing `---`. Nothing else changes.
    Raises PropertyError for a note without front-matter, or whose `key` spans lines."""
    if not text.startswith("---"):
        raise PropertyError("has no front-matter")
    first = text.find("\n")
    if first < 0 or text[3:first].strip():
        raise PropertyError("has no front-matter")
    eol = "\r\n" if text[first - 1:first] == "\r" else "\n"
    pos = first + 1
    own: tuple[int, int] | None = None
    while pos < len(text):
        end = text.find("\n", pos)
        end = len(text) if end < 0 else end + 1
        line = text[pos:end].rstrip("\r\n")
        if line.rstrip() in ("---", "..."):
            break
        m = re.match(r"([^\s:#][^:]*?)\s*:(\s|$)", line)
        if own is not None and own[1] == pos and (line.startswith((" ", "\t", "-")) and line.strip()):
            raise PropertyError(f"its `{key}` property spans several lines")
        if m and m.group(1).strip().lower() == key:
            own = (pos, end)
        pos = end
    else:
        raise PropertyError("has no closing `---` after its front-matter")
    new_line = f"{key}: {value}{eol}"
    if own is not None:
        return text[:own[0]] + new_line + text[own[1]:]
    return text[:pos] + new_line + text[pos:]


def problem(path: str, action: Action, why: str) -> Problem:
    return Problem(path, f"the tick for {action.what} was not recorded: the note {why} — add "
                         f"`{action.prop}:` by hand, or tick again after the next sync", "tick")
