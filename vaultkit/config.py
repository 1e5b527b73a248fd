"""The vault's configuration: defaults, and `config.toml` validated in one pass."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import os
import stat
import tomllib
from dataclasses import dataclass, fields
from pathlib import Path

from .errors import ConfigError

log = logging.getLogger(__name__)

CONFIG_PATH = ".vaultkit/config.toml"


@dataclass(frozen=True)
class Config:
    """Every configuration key, with its default."""

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
    thank_you_window_days: int = 30
    daily: str = "vaultkit"
    debounce_ms: int = 300
    rescan_minutes: int = 5
    calendar: str = ""
    link_style: str = ""
    # `[cadence]`: (tier, ideal days, max days) in the file's order; see cadence.py
    cadence: tuple = ()
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
    check_state_dir(vault)
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
        if key == "cadence":
            values[key], found = parse_cadence(value)
            problems += found
            continue
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
    if key == "link_style" and value not in ("", "wikilink", "markdown"):
        return f"key 'link_style' must be \"wikilink\" or \"markdown\" (or \"\": as Obsidian is set), not {value!r}"
    if key == "calendar" and value:
        if not value.endswith(".ics"):
            return f"key 'calendar' must name a .ics file (like \"interviews.ics\"), not {value!r}"
        return _path_problem(key, value)
    if isinstance(value, str) and (key in _FOLDER_KEYS or key == "referral_index"):
        problem = _path_problem(key, value)
        if problem:
            return problem
        if key == "referral_index" and not value.endswith(".md"):
            return f"key 'referral_index' must name a .md note, not {value!r}"
    return None


def _path_problem(key: str, value: str) -> str | None:
    """Why a configured output path is not a visible plain path inside the vault, or None."""
    where = f"key {key!r} must be a visible folder path inside the vault"
    if key in ("referral_index", "calendar"):
        where = f"key {key!r} must be a visible file path inside the vault"
    if value == "":
        return None if key in ("templates_folder", "reviews_folder") else f"{where}, not empty"
    if any(ord(c) < 32 or ord(c) == 127 for c in value):
        return f"{where}, not {value!r}: it holds a control character (a newline, tab, …)"
    slashed = value.replace("\\", "/")
    if slashed.startswith("/") or (len(slashed) > 1 and slashed[1] == ":"):
        return f"{where}, not the absolute path {value!r}: write it relative to the vault"
    parts = [p for p in slashed.strip("/").split("/")]
    if any(p == ".." for p in parts):
        return f"{where}, not {value!r}: '..' leads out of it"
    if any(p.startswith("~") for p in parts):
        return f"{where}, not {value!r}: '~' is not expanded (write the folder relative to the vault)"
    hidden = next((p for p in parts if p.startswith(".")), None)
    if hidden is not None:
        return (f"{where}, not {value!r}: {hidden!r} is a hidden folder, which vaultkit never "
                "scans and Obsidian does not show")
    if any(p == "" for p in parts):
        return f"{where}, not {value!r}: it has an empty folder name ('//')"
    return None


def check_day_counts(cfg: Config, today: dt.date) -> None:
    """Every `*_days` key must keep today ± N a date; otherwise a configuration error (exit 2)."""
    problems = []
    for f in fields(cfg):
        value = getattr(cfg, f.name)
        if not f.name.endswith("_days") or not isinstance(value, int):
            continue
        if value > min((dt.date.max - today).days, (today - dt.date.min).days):
            problems.append(f"key {f.name!r} is too large ({value}): today ± {value} days is not a date")
    if problems:
        raise ConfigError("; ".join(problems), path=CONFIG_PATH)


def check_state_dir(vault: Path) -> None:
    """`.vaultkit/` must not lead out of the vault: vaultkit's state (config, cache, lock)
    is read and written there."""
    state = Path(vault) / ".vaultkit"
    if not state.is_symlink():
        return
    try:
        target = Path(os.path.realpath(state))
        root = Path(os.path.realpath(vault))
    except OSError:  # pragma: no cover - realpath does not raise on Linux
        target, root = Path("/"), Path(vault)
    if target != root and root in target.parents:
        return
    raise ConfigError(f"is a symlink to {target}, outside the vault — vaultkit keeps its state inside "
                      "the vault: replace the symlink by a folder", path=".vaultkit")


def parse_cadence(value: object) -> tuple[tuple[tuple[str, int, int], ...], list[str]]:
    """The `[cadence]` table as ((tier, ideal, max), …) in the file's order, and the
    problems found (each naming its key)."""
    problems: list[str] = []
    tiers: list[tuple[str, int, int]] = []
    if not isinstance(value, dict):
        return (), [f"key 'cadence' must be a table of tiers, like `[cadence]` then "
                    f"`referrer = {{ ideal = 21, max = 42 }}`, not {value!r}"]
    for tier, spec in value.items():
        where = f"cadence.{tier}"
        if not isinstance(spec, dict) or set(spec) - {"ideal", "max"} or "max" not in spec:
            problems.append(f"key {where!r} must be a table `{{ ideal = DAYS, max = DAYS }}`, not {spec!r}")
            continue
        days = {}
        for part in ("ideal", "max"):
            n = spec.get(part, spec["max"])
            if not isinstance(n, int) or isinstance(n, bool) or n < 0 or n > 36_500:
                problems.append(f"key '{where}.{part}' must be a number of days from 0 to 36500, not {n!r}")
            else:
                days[part] = n
        if len(days) == 2:
            if days["ideal"] > days["max"]:
                problems.append(f"key '{where}.ideal' ({days['ideal']}) must not be more than "
                                f"'{where}.max' ({days['max']})")
            else:
                tiers.append((str(tier), days["ideal"], days["max"]))
    return tuple(tiers), problems
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
        "thank_you_window_days": "thank-yous are owed and drafted for meetings (and referrals) "
                                 "of the last N days; older ones are history",
        "daily": "\"vaultkit\", or \"obsidian\" to put the block in Obsidian's daily note",
        "debounce_ms": "`vaultkit watch`: quiet period before a batch is processed",
        "rescan_minutes": "`vaultkit watch`: periodic cheap rescan that catches missed events",
        "link_style": "links in blocks and generated notes: \"wikilink\", \"markdown\", or \"\" to follow "
                      "Obsidian's \"Use [[Wikilinks]]\" setting",
        "calendar": "an iCalendar file of planned interviews and follow-up dates, e.g. \"interviews.ics\" "
                    "(\"\": none)",
    }
    lines = ["# vaultkit configuration. Every key is optional; these are the defaults.", ""]
    for f in fields(Config):
        if f.name == "cadence":
            continue  # a table: it goes last, as an example
        if f.name in _TABLES:
            continue
        value = getattr(DEFAULTS, f.name)
        shown = json.dumps(value) if isinstance(value, str) else str(value)
        lines.append(f"# {notes[f.name]}")
        lines.append(f"{f.name} = {shown}")
        lines.append("")
    lines += ["# Keep-in-touch cadence by tier (a tag of the contact, or its `relationship`):",
              "# due soon after `ideal` days without a touch, overdue after `max`. For example:",
              "# [cadence]", "# referrer = { ideal = 21, max = 42 }", "# interviewee = { ideal = 30, max = 60 }", ""]
    lines += ["# Optional: give a kind to the notes of a folder that have none of their own.",
              "# [kind_folders]", '# "People" = "contact"', '# "Calls" = "interview"', ""]
    return "\n".join(lines)


def blocked_folders(vault: Path, cfg: Config) -> dict[str, tuple[str, str]]:
    """Configured folders that cannot hold notes because a file stands where a folder
    should be: {folder: (key, the file in the way)}."""
    out: dict[str, tuple[str, str]] = {}
    wanted = [(k, getattr(cfg, k)) for k in _FOLDER_KEYS if k != "templates_folder"]
    index_folder = cfg.referral_index.rpartition("/")[0]
    if index_folder:
        wanted.append(("referral_index", index_folder))
    for key, folder in wanted:
        parts = folder.split("/")
        for i in range(1, len(parts) + 1):
            rel = "/".join(parts[:i])
            try:
                st = os.stat(Path(vault) / rel)
            except OSError:  # not there (it will be made), or a folder that cannot be read
                break
            if not stat.S_ISDIR(st.st_mode):
                out[folder] = (key, rel)
                break
    return out
