"""Resolving links to notes the way Obsidian does (docs/links.md), updated one note at a time.

Pure: names and paths in, vault paths out. `Resolver` answers every lookup through dicts
keyed by lower-cased base name, path, name or alias, so that no call scans the vault and
the watcher never rebuilds it.
"""

from __future__ import annotations

import unicodedata
from typing import Callable, Iterable, Sequence

from .model import Link, NoteRecord


def name_key(text: str) -> str:
    """The case-insensitive lookup key of a name or path, in NFC: macOS and Syncthing can
    leave file names in NFD while links are typed in NFC."""
    return text.lower() if text.isascii() else unicodedata.normalize("NFC", text).lower()


def _basename(path: str) -> str:
    return path.rsplit("/", 1)[-1]


def stem(path: str) -> str:
    """A note's file name without `.md`: what a bare wikilink names it by."""
    base = path.rsplit("/", 1)[-1]
    return base[:-3] if base.endswith(".md") else base


def _folder(path: str) -> str:
    return path.rpartition("/")[0]


def _normalise(path: str) -> str | None:
    """`path` with `.` and `..` segments applied; None if it climbs above the vault root."""
    parts: list[str] = []
    for part in path.split("/"):
        if part in ("", "."):
            continue
        if part == "..":
            if not parts:
                return None
            parts.pop()
        else:
            parts.append(part)
    return "/".join(parts)


# The lookup dicts map a key to its paths. Nearly every key has one path, and a set costs
# 200+ bytes, so a key with one path maps to the path itself (a str), one with more to a
# set of them; `bucket_paths` reads either as a collection.

def bucket_add(index: dict[str, str | set[str]], key: str, path: str) -> None:
    bucket = index.get(key)
    if bucket is None:
        index[key] = path
    elif type(bucket) is str:
        if bucket != path:
            index[key] = {bucket, path}
    else:
        bucket.add(path)


def bucket_discard(index: dict[str, str | set[str]], key: str, path: str) -> None:
    bucket = index.get(key)
    if bucket is None:
        return
    if type(bucket) is str:
        if bucket == path:
            del index[key]
        return
    bucket.discard(path)
    if len(bucket) == 1:
        index[key] = next(iter(bucket))
    elif not bucket:
        del index[key]


def bucket_paths(index: dict[str, str | set[str]], key: str) -> tuple[str] | set[str] | None:
    bucket = index.get(key)
    return (bucket,) if type(bucket) is str else bucket


class Resolver:
    """Resolves links to note paths like Obsidian does, updated incrementally.

    `notes` are `(path, name, aliases)`: a vault-relative POSIX path ending in `.md`, the
    display name and the aliases. `attachments` are the vault's other files (`img/a.png`),
    so that embeds of them resolve. Every lookup goes through dicts keyed by lower-cased
    base name, path, name or alias: no call scans the vault.
    """

    def __init__(self, notes: Iterable[tuple[str, str, Sequence[str]]] = (),
                 attachments: Iterable[str] = ()):
        self._notes: dict[str, tuple[str, tuple[str, ...]]] = {}
        self._attachments: set[str] = set()
        # (see `bucket_add`: a key's paths are one str or a set of them)
        self._by_path: dict[str, str | set[str]] = {}  # lower-cased path -> paths (notes, attachments)
        self._by_stem: dict[str, str | set[str]] = {}  # lower-cased stem -> note paths
        self._by_file: dict[str, str | set[str]] = {}  # lower-cased file name -> attachment paths
        self._by_name: dict[str, str | set[str]] = {}
        self._by_alias: dict[str, str | set[str]] = {}
        # Choices among several same-named notes, per lower-cased stem, by (name as
        # written, source folder); dropped whenever a note of that stem comes or goes.
        self._ties: dict[str, dict[tuple[str, str], tuple[str | None, bool]]] = {}
        for path, name, aliases in notes:
            self.add(path, name, aliases)
        for path in attachments:
            self.add_attachment(path)

    # -- updates -----------------------------------------------------------------------

    def add(self, path: str, name: str = "", aliases: Sequence[str] = ()) -> None:
        """Add (or update) the note at `path`; a path without `.md` is an attachment."""
        if not path.endswith(".md"):
            self.add_attachment(path)
            return
        if path in self._notes:
            self.remove(path)
        clean = tuple(dict.fromkeys(a.strip() for a in aliases if isinstance(a, str) and a.strip())) \
            if aliases else ()
        self._notes[path] = (name, clean)
        stem_key = name_key(stem(path))
        bucket_add(self._by_path, name_key(path), path)
        bucket_add(self._by_stem, stem_key, path)
        self._ties.pop(stem_key, None)
        if name:
            key = name_key(name)
            # Most notes are named as their file: one key string for both maps.
            bucket_add(self._by_name, stem_key if key == stem_key else key, path)
        for alias in clean:
            bucket_add(self._by_alias, name_key(alias), path)

    def add_attachment(self, path: str) -> None:
        """Add a non-note file (`img/a.png`), so that links and embeds to it resolve."""
        if path in self._attachments:
            return
        self._attachments.add(path)
        bucket_add(self._by_path, name_key(path), path)
        bucket_add(self._by_file, name_key(_basename(path)), path)

    def remove(self, path: str) -> None:
        """Forget the note or attachment at `path` (nothing happens if it is unknown)."""
        entry = self._notes.pop(path, None)
        if entry is not None:
            name, aliases = entry
            stem_key = name_key(stem(path))
            bucket_discard(self._by_path, name_key(path), path)
            bucket_discard(self._by_stem, stem_key, path)
            self._ties.pop(stem_key, None)
            if name:
                bucket_discard(self._by_name, name_key(name), path)
            for alias in aliases:
                bucket_discard(self._by_alias, name_key(alias), path)
        elif path in self._attachments:
            self._attachments.discard(path)
            bucket_discard(self._by_path, name_key(path), path)
            bucket_discard(self._by_file, name_key(_basename(path)), path)

    def __contains__(self, path: str) -> bool:
        return path in self._notes or path in self._attachments

    def __len__(self) -> int:
        return len(self._notes)

    # -- queries -----------------------------------------------------------------------

    def resolve(self, link: Link, source: str) -> str | None:
        """The vault path `link` (written in the note at `source`) points at, or None.

        A note's path ends in `.md`; an embed may also resolve to an attachment.
        """
        target = link.target
        style = link.style
        if style != "plain" and "/" not in target:
            # The common case, kept free of calls: a bare name that only one note has.
            path = self._by_stem.get(name_key(target))
            if type(path) is str:  # one note has that name
                if style == "wiki":
                    return path
                # A Markdown link looks in its own folder first, where only an
                # attachment of that very name could beat the one note.
                folder = source.rpartition("/")[0]
                if name_key(f"{folder}/{target}" if folder else target) not in self._by_path:
                    return path
        return self._resolve(link, source)[0]

    def fixed_names_resolve(self) -> tuple[dict[str, str], Callable[[Link, str], str | None]]:
        """For building an index from many notes at once, while no note comes, goes or is
        renamed: (a memo, `resolve`). The memo maps a wikilink's target, as written, to
        the note it names whatever note it is written in: look a wikilink up there first.
        `resolve`, asked what the memo does not hold, fills it in (a bare name only one
        note has, or a path to a note) and else resolves as `resolve` does."""
        memo: dict[str, str] = {}
        by_stem = self._by_stem
        notes = self._notes
        resolve = self.resolve

        def fast(link: Link, source: str) -> str | None:
            if link.style == "wiki":
                target = link.target
                if "/" not in target:
                    path = by_stem.get(name_key(target))
                    if type(path) is str:  # one note has that name: whatever the source
                        memo[target] = path
                        return path
                elif target[0] not in "./":  # a path from the vault's top to a note
                    path = target + ".md"
                    if path in notes:
                        memo[target] = path
                        return path
            return resolve(link, source)
        return memo, fast

    def is_ambiguous(self, link: Link, source: str) -> bool:
        """Whether resolving `link` had to choose among several candidates."""
        return self._resolve(link, source)[1]

    def ambiguous_names(self) -> list[tuple[str, list[str]]]:
        """Every base name shared by two or more notes (case-insensitively), with the
        sorted paths; the name as spelled by the first path. Sorted."""
        out = []
        for paths in self._by_stem.values():
            if type(paths) is not str:
                ordered = sorted(paths)
                out.append((stem(ordered[0]), ordered))
        return sorted(out)

    def notes_named(self, name: str) -> list[str]:
        """The notes whose display name is `name` (case-insensitively)."""
        return sorted(bucket_paths(self._by_name, name_key(name)) or ())

    def notes_with_stem_of(self, path: str) -> list[str]:
        """The notes with the same base name as `path` (case-insensitively), itself included
        if known: those whose `link_target_for` may change when a note of that name comes or goes."""
        return sorted(bucket_paths(self._by_stem, name_key(stem(path))) or ())

    def link_target_for(self, path: str) -> str:
        """The wikilink target that resolves to `path`: its stem when no other note has
        that stem (case-insensitively), else the path without `.md`."""
        own = stem(path)
        others = bucket_paths(self._by_stem, name_key(own)) or ()
        if all(p == path for p in others):
            return own
        return path[:-3] if path.endswith(".md") else path

    # -- the rules ---------------------------------------------------------------------

    def _resolve(self, link: Link, source: str) -> tuple[str | None, bool]:
        target = link.target
        style = link.style
        if style == "plain":
            return self._by_plain_text(target, source)
        if style == "md" or target.startswith("./") or target.startswith("../"):
            folder = _folder(source)
            if target.startswith("/"):
                joined = _normalise(target)
            elif "/" not in target and target not in (".", ".."):
                joined = f"{folder}/{target}" if folder else target
            else:
                joined = _normalise(f"{folder}/{target}")
            if joined:
                found = self._at_path(joined, source)
                if found[0] is not None:
                    return found
            # Else by name, like a wikilink, without the relative prefix.
            target = target.lstrip("/")
            while target.startswith("./") or target.startswith("../"):
                target = target.split("/", 1)[1]
        elif target.startswith("/"):
            # Rooted at the vault: `[[/Note]]` means the note at the top, nothing else.
            return self._at_path(target.lstrip("/"), source)
        if "/" in target:
            return self._by_path_or_suffix(target, source)
        return self._by_base_name(target, source)

    def _pick(self, pool: Iterable[str], source: str) -> str:
        """Among several candidates: the one in the source's folder, else the fewest path
        segments, else the first in path order."""
        folder = _folder(source)
        return min(pool, key=lambda p: (_folder(p) != folder, p.count("/"), p))

    def _choose(self, candidates: set[str], exact: Iterable[str], source: str) -> tuple[str | None, bool]:
        if len(candidates) == 1:
            return next(iter(candidates)), False
        pool = list(exact) or list(candidates)
        if len(pool) == 1:
            return pool[0], False
        return self._pick(pool, source), True

    def _by_base_name(self, name: str, source: str) -> tuple[str | None, bool]:
        key = name_key(name)
        candidates = bucket_paths(self._by_stem, key)
        if candidates:
            if len(candidates) == 1:
                return next(iter(candidates)), False
            ties = self._ties.get(key)
            if ties is None:
                ties = self._ties[key] = {}
            folder = _folder(source)
            found = ties.get((name, folder))
            if found is None:
                found = ties[(name, folder)] = self._choose(
                    candidates, (p for p in candidates if stem(p) == name), source)
            return found
        candidates = bucket_paths(self._by_file, key)
        if candidates:
            return self._choose(candidates, (p for p in candidates if _basename(p) == name), source)
        return None, False

    def _at_path(self, path: str, source: str) -> tuple[str | None, bool]:
        """The note `path`.md, else the attachment `path`: exact case, else any case."""
        note = path + ".md"
        if note in self._notes:
            return note, False
        if path in self._attachments:
            return path, False
        for candidate in (note, path):
            same = bucket_paths(self._by_path, name_key(candidate))
            if same:
                return self._choose(same, (), source)
        return None, False

    def _by_path_or_suffix(self, target: str, source: str) -> tuple[str | None, bool]:
        found = self._at_path(target, source)
        if found[0] is not None:
            return found
        # Obsidian also lets `[[Target/Note]]` name `a/Target/Note.md`.
        base = name_key(_basename(target))
        for index, suffix in ((self._by_stem, target + ".md"), (self._by_file, target)):
            candidates = bucket_paths(index, base)
            if not candidates:
                continue
            lower = "/" + name_key(suffix)
            matches = {p for p in candidates if name_key(p).endswith(lower)}
            if matches:
                exact = [p for p in matches if p.endswith("/" + suffix)]
                return self._choose(matches, exact, source)
        return None, False

    def _by_plain_text(self, text: str, source: str) -> tuple[str | None, bool]:
        """A plain property value: by file name, then by `name`, then by aliases."""
        text = text.strip()
        if text[-3:].lower() == ".md":
            text = text[:-3]
        if not text:
            return None, False
        if "/" in text:
            found = self._by_path_or_suffix(text.lstrip("/"), source)
        else:
            found = self._by_base_name(text, source)
        if found[0] is not None:
            return found
        key = name_key(text)
        candidates = bucket_paths(self._by_name, key)
        if candidates:
            return self._choose(candidates, (p for p in candidates if self._notes[p][0] == text), source)
        candidates = bucket_paths(self._by_alias, key)
        if candidates:
            return self._choose(candidates, (p for p in candidates if text in self._notes[p][1]), source)
        return None, False


class Named:
    """A resolver filled as notes are read, before the index is built from them (a large
    vault's reader adds each batch while the second process still parses): it and the
    records it holds, by path. The index adds only the others, and one of these again if
    its record is no longer the very one added."""

    def __init__(self) -> None:
        self.resolver = Resolver()
        self.records: dict[str, NoteRecord] = {}

    def add(self, rec: NoteRecord) -> None:
        self.resolver.add(rec.path, rec.name, rec.aliases)
        self.records[rec.path] = rec


class LoadedResolver(Resolver):
    """A resolver whose name maps are made by `load(attribute)` the first time each is
    used (from a stored index: a catch-up loads the maps it asks, not all of them);
    `changed` tells whether a note or an attachment came, went or was renamed since."""

    LAZY = ("_notes", "_by_path", "_by_stem", "_by_file", "_by_name", "_by_alias")

    def __init__(self, load: Callable[[str], dict], attachments: set[str]):  # noqa: super-init-not-called
        self._load = load  # (not Resolver.__init__: the maps are made on first use)
        self._attachments = attachments
        self._ties = {}
        self.changed = False

    def __getattr__(self, name: str):
        if name not in LoadedResolver.LAZY:
            raise AttributeError(name)
        value = self._load(name)
        setattr(self, name, value)
        return value

    def loaded(self, name: str) -> bool:
        return name in self.__dict__

    def add(self, path: str, name: str = "", aliases: Sequence[str] = ()) -> None:
        self.changed = True
        super().add(path, name, aliases)

    def add_attachment(self, path: str) -> None:
        self.changed = True
        super().add_attachment(path)

    def remove(self, path: str) -> None:
        self.changed = True
        super().remove(path)


def link_keys(link: Link) -> tuple[str, str | None]:
    """The lookup keys (`resolve.name_key`: lower case, NFC) of the names whose appearance or
    disappearance can change this link's target: its base name, and for a plain-text
    property value its whole text too (else None)."""
    target = link.target
    target = target.lower() if target.isascii() else name_key(target)
    base = target.rsplit("/", 1)[-1]
    if base.endswith(".md"):
        base = base[:-3]
    return base, (target if link.style == "plain" else None)


def names_of(rec: NoteRecord) -> set[str]:
    """The lookup keys of every name a note goes by: its stem, path, `name`, aliases."""
    return {name_key(stem(rec.path)), name_key(rec.name), name_key(rec.path.removesuffix(".md"))} | {name_key(a) for a in rec.aliases}


def company_key(name: str | None) -> str:
    """A company name as compared across notes: Unicode-normalised (NFKC), case-folded,
    runs of white space as one space ("ACME  Corp" and "Acme Corp" are one company)."""
    if not name:
        return ""
    return " ".join(unicodedata.normalize("NFKC", name).casefold().split())
