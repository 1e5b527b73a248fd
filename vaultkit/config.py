"""The vault's configuration: defaults, and `config.toml` validated in one pass."""

from __future__ import annotations

import hashlib
import json
import logging
import tomllib
from dataclasses import dataclass, fields
from pathlib import Path

from .errors import ConfigError

log = logging.getLogger(__name__)

CONFIG_PATH = ".vaultkit/config.toml"


@dataclass(frozen=True)
class Config:
    """Every key of SPEC §1, with its default."""

    contacts_folder: str = "People"
    interviews_folder: str = "Interviews"
    agendas_folder: str = "Interviews/Agendas"
    thank_yous_folder: str = "Thank-yous"
    follow_ups_folder: str = "Follow-ups"
    reviews_folder: str = "Reviews"
    referral_index: str = "Referral Index.md"
    templates_folder: str = "Templates/vaultkit"
    agenda_horizon_days: int = 14
    upcoming_days: int = 7
    quiet_days: int = 30
    daily: str = "vaultkit"
    debounce_ms: int = 300
    rescan_minutes: int = 5
    # `[kind_folders]`: (folder, kind) pairs, sorted; notes below the folder without a kind
    # of their own have that kind.
    kind_folders: tuple[tuple[str, str], ...] = ()


DEFAULTS = Config()
_TYPES = {f.name: type(getattr(DEFAULTS, f.name)) for f in fields(Config)}
_TABLES = {"kind_folders": dict}  # the keys that are TOML tables
_TYPES.update(_TABLES)
_FOLDER_KEYS = ("contacts_folder", "interviews_folder", "agendas_folder", "thank_yous_folder",
                "follow_ups_folder", "reviews_folder", "templates_folder")


def load_config(vault: Path) -> Config:
    """Read `<vault>/.vaultkit/config.toml` (optional) and validate it.

    Every problem is collected and raised together as one ConfigError (exit 2).
    """
    path = vault / CONFIG_PATH
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return DEFAULTS
    except OSError as exc:
        raise ConfigError(f"cannot read the configuration: {exc.strerror}", path=CONFIG_PATH) from exc
    try:
        data = tomllib.loads(raw.decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise ConfigError("not valid UTF-8 — save it as UTF-8", path=CONFIG_PATH) from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"not valid TOML: {exc} — fix the file or delete it to use the defaults",
                          path=CONFIG_PATH) from exc
    return validate(data)


def validate(data: dict) -> Config:
    """Check every key and value; report all problems at once."""
    problems: list[str] = []
    values: dict = {}
    for key, value in data.items():
        expected = _TYPES.get(key)
        if expected is None:
            problems.append(f"unknown key {key!r} (known keys: {', '.join(sorted(_TYPES))})")
            continue
        # bool is an int in Python; a `true` where a number is wanted is still wrong.
        if not isinstance(value, expected) or (expected is int and isinstance(value, bool)):
            problems.append(f"key {key!r} must be {_type_word(expected)}, not {_type_word(type(value))} ({value!r})")
            continue
        if key == "kind_folders":
            pairs = _kind_folders(value, problems)
            if pairs is not None:
                values[key] = pairs
            continue
        problem = _check_value(key, value)
        if problem:
            problems.append(problem)
            continue
        values[key] = value.strip("/") if key in _FOLDER_KEYS else value
    if problems:
        raise ConfigError("; ".join(problems), path=CONFIG_PATH)
    return Config(**values)


def _check_value(key: str, value: object) -> str | None:
    if key == "daily" and value not in ("vaultkit", "obsidian"):
        return f"key 'daily' must be \"vaultkit\" or \"obsidian\", not {value!r}"
    if isinstance(value, int) and value < 0:
        return f"key {key!r} must not be negative ({value})"
    if key in ("debounce_ms",) and isinstance(value, int) and value > 60_000:
        return f"key 'debounce_ms' must be at most 60000 ({value})"
    if key == "rescan_minutes" and isinstance(value, int) and value == 0:
        return "key 'rescan_minutes' must be at least 1"
    if isinstance(value, str) and (key in _FOLDER_KEYS or key == "referral_index"):
        parts = value.replace("\\", "/").split("/")
        if value.startswith("/") or ".." in parts or "\x00" in value or (value == "" and key not in ("templates_folder", "reviews_folder")):
            return f"key {key!r} must be a path inside the vault, not {value!r}"
        if key == "referral_index" and not value.endswith(".md"):
            return f"key 'referral_index' must name a .md note, not {value!r}"
    return None


def _kind_folders(table: dict, problems: list[str]) -> tuple[tuple[str, str], ...] | None:
    """`[kind_folders]` as sorted (folder, kind) pairs; None (and `problems`) if any is wrong."""
    from .kinds import TYPE_WORDS  # noqa: PLC0415 - config stays importable on its own
    pairs: dict[str, str] = {}
    bad = False
    for folder, kind in table.items():
        name = f"kind_folders.{json.dumps(folder, ensure_ascii=False)}"
        clean = folder.replace("\\", "/").strip("/")
        parts = clean.split("/")
        if (not clean or folder.startswith("/") or any(p in ("", ".", "..") or p.startswith(".") for p in parts)
                or "~" in folder or any(ord(c) < 32 or ord(c) == 127 for c in folder)):
            problems.append(f"key {name} must be a plain folder inside the vault (like \"People\"), not {folder!r}")
            bad = True
            continue
        if not isinstance(kind, str) or kind.strip().lower() not in TYPE_WORDS:
            problems.append(f"key {name} must be a kind: \"contact\", \"interview\" or \"company\", not {kind!r}")
            bad = True
            continue
        if clean.casefold() in {f.casefold() for f in pairs}:
            problems.append(f"key {name}: the folder {clean!r} is given twice")
            bad = True
            continue
        pairs[clean] = TYPE_WORDS[kind.strip().lower()]
    return None if bad else tuple(sorted(pairs.items()))


def parse_variant(cfg: Config) -> str:
    """What, besides a note's bytes, its record depends on: `[kind_folders]` (the cache
    keeps records per variant)."""
    if not cfg.kind_folders:
        return ""
    return hashlib.sha256(repr(cfg.kind_folders).encode()).hexdigest()[:16]


def _type_word(t: type) -> str:
    return {str: "a string", int: "an integer", bool: "true or false", float: "a number",
            list: "a list", dict: "a table"}.get(t, t.__name__)


def default_config_text() -> str:
    """config.toml as `vaultkit init` writes it: every default, commented."""
    notes = {
        "contacts_folder": "where `vaultkit new contact` puts notes",
        "interviews_folder": "where `vaultkit new interview` puts notes: {date} {contact}.md",
        "agendas_folder": "interview agendas: {date} {contact} - agenda.md",
        "thank_yous_folder": "thank-you drafts",
        "follow_ups_folder": "daily follow-up notes: YYYY-MM-DD.md",
        "reviews_folder": "weekly reviews: YYYY-Www.md (\"\" turns them off)",
        "referral_index": "the referral index note",
        "templates_folder": "your templates; the packaged ones fill any gap",
        "agenda_horizon_days": "agendas for planned interviews dated today … today + N",
        "upcoming_days": "the daily note lists interviews dated today … today + N",
        "quiet_days": "a contact is quiet after more than N days without interaction",
        "daily": "\"vaultkit\", or \"obsidian\" to put the block in Obsidian's daily note",
        "debounce_ms": "`vaultkit watch`: quiet period before a batch is processed",
        "rescan_minutes": "`vaultkit watch`: periodic cheap rescan that catches missed events",
    }
    lines = ["# vaultkit configuration. Every key is optional; these are the defaults.", ""]
    for f in fields(Config):
        if f.name in _TABLES:
            continue
        value = getattr(DEFAULTS, f.name)
        shown = json.dumps(value) if isinstance(value, str) else str(value)
        lines.append(f"# {notes[f.name]}")
        lines.append(f"{f.name} = {shown}")
        lines.append("")
    lines += ["# Optional: give a kind to the notes of a folder that have none of their own.",
              "# [kind_folders]", '# "People" = "contact"', '# "Calls" = "interview"', ""]
    return "\n".join(lines)
