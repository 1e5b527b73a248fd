"""Which kind a note is: the words of `type`, `categories`/`category` and `[kind_folders]`.

Pure: every function here works on values already read from front-matter or config.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Iterable

from .links import wikilink_content
from .model import COMPANY, CONTACT, INTERVIEW, PLAIN

# `type:` values, case-insensitive.
TYPE_WORDS: dict[str, str] = {
    "contact": CONTACT, "person": CONTACT, "people": CONTACT,
    "interview": INTERVIEW, "meeting": INTERVIEW,
    "company": COMPANY, "organization": COMPANY, "organisation": COMPANY, "org": COMPANY,
}

# Category names (a link's base name or plain text): the `type` words and their plurals
# (`[[People]]`, `[[Meetings]]` and `[[Companies]]` are the Obsidian convention).
CATEGORY_WORDS: dict[str, str] = {
    **TYPE_WORDS,
    "contacts": CONTACT, "interviews": INTERVIEW, "meetings": INTERVIEW,
    "companies": COMPANY, "organizations": COMPANY, "organisations": COMPANY, "orgs": COMPANY,
}

KINDS = (CONTACT, INTERVIEW, COMPANY)

_MD = re.compile(r"\[[^\]]*\]\(([^)]*)\)")


# (Memoised: a vault repeats a few category values in thousands of notes.)
@lru_cache(maxsize=4096)
def category_name(text: str) -> str:
    """The name a category value stands for, lower-cased: a link's target base name
    (`[[Categories/People.md#x|Shown]]` -> `people`), else the text itself."""
    text = text.strip()
    m = _MD.fullmatch(text)
    inside = wikilink_content(text) if m is None else m.group(1)
    if inside is not None:
        text = inside.split("|", 1)[0].split("#", 1)[0].strip()
        text = text.replace("%20", " ").rstrip("/").rsplit("/", 1)[-1]
        if text.lower().endswith(".md"):
            text = text[:-3]
    return text.strip().lower()


def kind_of_type(value: str) -> str | None:
    """The kind a `type:` value names, or None."""
    return TYPE_WORDS.get(category_name(value))


def kind_of_categories(names: Iterable[str]) -> str | None:
    """The kind named by the first category (already `category_name`d) that names one."""
    for name in names:
        kind = CATEGORY_WORDS.get(name)
        if kind is not None:
            return kind
    return None


@lru_cache(maxsize=4096)
def kind_like(name: str) -> bool:
    """Whether an unknown word looks meant as a kind (`persons`, `contcat`, `meetings`):
    one edit away from a kind word of four letters or more."""
    if not name or name in CATEGORY_WORDS:
        return False
    return any(len(word) >= 4 and _one_edit(name, word) for word in CATEGORY_WORDS)


def _one_edit(a: str, b: str) -> bool:
    """Whether `a` and `b` differ by one insertion, deletion, substitution or swap."""
    if abs(len(a) - len(b)) > 1 or a == b:
        return False
    if len(a) == len(b):
        diff = [i for i in range(len(a)) if a[i] != b[i]]
        return len(diff) == 1 or (len(diff) == 2 and diff[1] == diff[0] + 1
                                  and a[diff[0]] == b[diff[1]] and a[diff[1]] == b[diff[0]])
    if len(a) > len(b):
        a, b = b, a
    i = 0
    while i < len(a) and a[i] == b[i]:
        i += 1
    return a[i:] == b[i + 1:]


def folder_kind(path: str, kind_folders: tuple[tuple[str, str], ...]) -> str | None:
    """The kind `[kind_folders]` gives a note at `path` (the deepest matching folder wins;
    folders compare case-insensitively, as on macOS and Windows)."""
    if not kind_folders:
        return None
    low = path.casefold()
    best: tuple[int, str] | None = None
    for folder, kind in kind_folders:
        prefix = folder.casefold() + "/"
        if low.startswith(prefix) and (best is None or len(prefix) > best[0]):
            best = (len(prefix), kind)
    return best[1] if best else None


KIND_WARNING = "is not a kind vaultkit knows"
KINDS_CLASH = "names more than one kind"
_TYPE_HELP = "(contact, person, people; interview, meeting; company, organization, organisation, org)"


def kind_of_type_value(value, line: int, warnings: list[tuple]) -> str | None:
    """The kind a `type:` value names: one text, or a list of texts (`type: [person]`,
    `type: ["[[People]]"]`). In a list, values that name no kind are left aside (kepano's
    sub-types such as `[[Authors]]`); the kinds the others name must agree: a list naming
    two different kinds (`[person, meeting]`) gives no kind and a warning naming both. A
    kind-like word that is no kind (`persons`) is warned about, as for one text."""
    texts = [value] if isinstance(value, str) else value if isinstance(value, (list, tuple)) else []
    found: dict[str, str] = {}  # kind -> the first value naming it
    for text in texts:
        if isinstance(text, list) and len(text) == 1 and isinstance(text[0], str):
            text = f"[[{text[0]}]]"  # YAML's reading of an unquoted `[[People]]`
        if not isinstance(text, str):
            continue
        kind = kind_of_type(text)
        if kind is not None:
            found.setdefault(kind, text)
        elif kind_like(category_name(text)):
            warnings.append((line, f"type: {text} {KIND_WARNING} {_TYPE_HELP}"))
    if len(found) > 1:
        named = ", ".join(f"{text} ({kind})" for kind, text in found.items())
        warnings.append((line, f"type: {KINDS_CLASH}: {named} — keep one; vaultkit takes the kind from "
                               "categories or the folder instead"))
        return None
    return next(iter(found), None)


def kind_of(path: str, fields: dict, warnings: list[tuple], kind_folders: tuple[tuple[str, str], ...],
            lines: dict | None = None) -> str:
    """`type` (one text or a list, see `kind_of_type_value`) first, then
    `categories`/`category`, then the note's folder (`[kind_folders]`). A kind-like value
    vaultkit does not know, or a `type` list naming two kinds, goes to `warnings` as (line,
    message)."""
    lines = lines or {}
    kind = kind_of_type_value(fields.get("type"), lines.get("type", 2), warnings)
    cats = fields.get("categories") or ()
    if kind is None:
        kind = kind_of_categories(cats)
        if kind is None:
            for name in cats:
                if kind_like(name):
                    line = lines.get("categories", lines.get("category", 2))
                    warnings.append((line, f"categories: [[{name}]] {KIND_WARNING} (People, Meetings, Companies)"))
    if kind is None and kind_folders and fields.get("generated_by") != "vaultkit":
        kind = folder_kind(path, kind_folders)
    return kind or PLAIN
