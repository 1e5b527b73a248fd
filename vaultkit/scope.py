"""vaultkit's scope: notes below a templates folder or in Obsidian's Excluded files are
link targets and nothing more (no kind, property, link, block or problem; never written)."""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Callable, Iterable

from .obsidian import APP, SETTINGS_FILES, daily_settings, ignore_filters, template_folders, vault_folder

__all__ = ["SETTINGS_FILES", "count_kept", "exclusion_rule"]  # SETTINGS_FILES: what a pass depends on

log = logging.getLogger(__name__)


def exclusion_rule(vault: Path, own_templates_folder: str = "") -> Callable[[str], bool]:
    """Whether a note (vault-relative path) is outside vaultkit's work: below a templates
    folder (vaultkit's, the core Templates plugin's, Templater's), the daily-note template
    itself, or matched by Excluded files. Such a note is read only as a link target."""
    folders = {f for f in (*template_folders(vault), vault_folder(own_templates_folder)) if f}
    files: set[str] = set()
    daily = daily_settings(vault)
    if daily is not None and daily.template:
        template = vault_folder(daily.template)
        files.add(template if template.endswith(".md") else template + ".md")
    prefixes = tuple(sorted(f + "/" for f in folders))
    patterns: list[re.Pattern[str]] = []
    for entry in ignore_filters(vault):
        if len(entry) > 2 and entry.startswith("/") and entry.endswith("/"):
            try:
                patterns.append(re.compile(entry[1:-1]))
            except re.error as exc:
                log.warning("%s: Excluded files entry %r is not a regular expression vaultkit can "
                            "read (%s); ignored", APP, entry, exc)
        else:
            # Obsidian matches a plain entry as the start of the path: `Archive/` a folder,
            # `Archive` also `Archive.md` and `Archived/`.
            entry = entry.lstrip("/")
            if entry:
                prefixes += (entry,)
    if not prefixes and not patterns and not files:
        return _nothing

    if not patterns and not files:  # the common case, asked once per note: keep it cheap
        def excluded(path: str) -> bool:
            return path.startswith(prefixes)
        return excluded

    def excluded_by_any(path: str) -> bool:
        return path in files or path.startswith(prefixes) or any(p.search(path) for p in patterns)
    return excluded_by_any


def count_kept(excluded: Callable[[str], bool], paths: Iterable[str]) -> int:
    """How many of `paths` are notes to vaultkit (not templates, not Excluded files)."""
    return sum(1 for p in paths if not excluded(p))


def _nothing(path: str) -> bool:
    return False
