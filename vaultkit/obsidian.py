"""Obsidian's own settings, read from `<vault>/.obsidian/`: daily notes, templates folders,
Excluded files and the link style (what vaultkit makes of the last three: scope.py).

Every file is optional. A missing file, or one reached through a symlink out of the vault,
is "not set"; a file that is not JSON is logged and taken as not set. Nothing here writes.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

DAILY_NOTES = ".obsidian/daily-notes.json"
CORE_PLUGINS = ".obsidian/core-plugins.json"
PERIODIC_NOTES = ".obsidian/plugins/periodic-notes/data.json"
TEMPLATES = ".obsidian/templates.json"
TEMPLATER = ".obsidian/plugins/templater-obsidian/data.json"
APP = ".obsidian/app.json"
SETTINGS_FILES = (DAILY_NOTES, CORE_PLUGINS, PERIODIC_NOTES, TEMPLATES, TEMPLATER, APP)

DEFAULT_DAILY_FORMAT = "YYYY-MM-DD"


@dataclass(frozen=True)
class DailySettings:
    """Where Obsidian puts a daily note and what it starts from. `template` is a vault path
    as the settings give it (with or without `.md`); `source` names the settings file."""

    folder: str = ""
    format: str = DEFAULT_DAILY_FORMAT
    template: str = ""
    source: str = "default"


@dataclass(frozen=True)
class LinkSettings:
    """`app.json`'s link options (None: not set)."""

    use_markdown_links: bool | None = None
    new_link_format: str | None = None


def read_settings(vault: Path, rel: str) -> dict | list | None:
    """A settings file's JSON, or None when it is missing, outside the vault or broken."""
    path = Path(vault) / rel
    try:
        real = os.path.realpath(path)
        root = os.path.realpath(vault)
        if not real.startswith(root.rstrip(os.sep) + os.sep):
            log.warning("%s: leads out of the vault; not read", rel)
            return None
        with open(real, "rb") as fh:
            raw = fh.read(4 * 1024 * 1024)
    except FileNotFoundError:
        return None
    except OSError as exc:
        log.warning("%s: cannot read Obsidian's settings (%s)", rel, exc.strerror or exc)
        return None
    try:
        return json.loads(raw.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError) as exc:
        log.warning("%s: not valid JSON (%s); taken as not set", rel, exc)
        return None


def vault_folder(value: object) -> str:
    """A folder setting as a vault-relative path ("" for the vault root or not set)."""
    if not isinstance(value, str):
        return ""
    return "/".join(p for p in value.replace("\\", "/").strip().split("/") if p and p != ".")


def _text(value: object) -> str:
    return value.strip() if isinstance(value, str) else ""


def _enabled(value: object) -> bool:
    # Settings written before the plugin had the switch, or by hand, have no `enabled`.
    return value is None or value is True


def daily_notes_enabled(vault: Path) -> bool:
    """Whether `core-plugins.json` turns the core Daily notes plugin on (its list or its
    {name: bool} form)."""
    data = read_settings(vault, CORE_PLUGINS)
    if isinstance(data, list):
        return "daily-notes" in data
    if isinstance(data, dict):
        return data.get("daily-notes") is True
    return False


def _periodic_daily(data: object) -> dict | None:
    """Periodic Notes' daily settings in either layout: 0.x `daily`, or 1.0 `calendarSets`
    (the active set's `day`)."""
    if not isinstance(data, dict):
        return None
    sets = data.get("calendarSets")
    if isinstance(sets, list) and sets:
        active = data.get("activeCalendarSet")
        chosen = next((s for s in sets if isinstance(s, dict) and s.get("id") == active), None)
        if chosen is None:
            chosen = next((s for s in sets if isinstance(s, dict)), None)
        day = chosen.get("day") if chosen else None
        if isinstance(day, dict):
            return {"enabled": day.get("enabled"), "folder": day.get("folder"), "format": day.get("format"),
                    "template": day.get("templatePath", day.get("template"))}
        return None
    daily = data.get("daily")
    return daily if isinstance(daily, dict) else None


def daily_settings(vault: Path) -> DailySettings | None:
    """Obsidian's daily note as Obsidian makes it: Periodic Notes' daily settings when
    enabled, else the core plugin's `daily-notes.json`, else the core defaults when
    `core-plugins.json` turns Daily notes on; None when none of them applies."""
    periodic = _periodic_daily(read_settings(vault, PERIODIC_NOTES))
    if periodic is not None and _enabled(periodic.get("enabled")):
        return DailySettings(vault_folder(periodic.get("folder")),
                             _text(periodic.get("format")) or DEFAULT_DAILY_FORMAT,
                             _text(periodic.get("template")), "periodic-notes")
    core = read_settings(vault, DAILY_NOTES)
    if isinstance(core, dict):
        return DailySettings(vault_folder(core.get("folder")), _text(core.get("format")) or DEFAULT_DAILY_FORMAT,
                             _text(core.get("template")), "daily-notes")
    if core is None and (Path(vault) / DAILY_NOTES).exists():
        # there but unreadable: Obsidian falls back to its defaults too
        return DailySettings(source="daily-notes")
    if daily_notes_enabled(vault):
        return DailySettings()
    return None


def template_folders(vault: Path) -> tuple[str, ...]:
    """The core Templates plugin's folder and Templater's, as set (vault-relative)."""
    found = []
    core = read_settings(vault, TEMPLATES)
    if isinstance(core, dict):
        found.append(vault_folder(core.get("folder")))
    templater = read_settings(vault, TEMPLATER)
    if isinstance(templater, dict):
        found.append(vault_folder(templater.get("templates_folder")))
    return tuple(sorted({f for f in found if f}))


def ignore_filters(vault: Path) -> tuple[str, ...]:
    """`app.json`'s Excluded files (`userIgnoreFilters`), as written."""
    app = read_settings(vault, APP)
    filters = app.get("userIgnoreFilters") if isinstance(app, dict) else None
    if not isinstance(filters, list):
        return ()
    return tuple(f for f in filters if isinstance(f, str) and f.strip())


def link_settings(vault: Path) -> LinkSettings:
    """`app.json`'s `useMarkdownLinks` and `newLinkFormat` (shortest, relative, absolute)."""
    app = read_settings(vault, APP)
    if not isinstance(app, dict):
        return LinkSettings()
    markdown = app.get("useMarkdownLinks")
    fmt = app.get("newLinkFormat")
    return LinkSettings(markdown if isinstance(markdown, bool) else None,
                        fmt if fmt in ("shortest", "relative", "absolute") else None)


def markdown_link_format(vault: Path, link_style: str) -> str | None:
    """The Markdown link format vaultkit writes links in (`shortest`, `relative`,
    `absolute`), or None for wikilinks: config `link_style` when set, else Obsidian's
    "Use [[Wikilinks]]" setting (`useMarkdownLinks`) with its "New link format"."""
    if link_style == "wikilink":
        return None
    settings = link_settings(vault)
    if link_style == "markdown" or settings.use_markdown_links:
        return settings.new_link_format or "shortest"
    return None
