"""Templates: the Jinja2 sandbox that renders the notes vaultkit creates.

Templates are looked up in the vault's templates folder first (a file there overrides the
packaged default of the same name), then in the packaged `vault_templates/`. They run in
Jinja2's `ImmutableSandboxedEnvironment` with `StrictUndefined`; every failure — a syntax
error, a typo, a sandbox escape, runaway output, a template linked from outside its
folder — is a `TemplateProblem` naming the template file and, where known, its line.

The context is data (plain str/int/bool/list/dict/None), never a template: note text is
only ever passed in as a value. Front-matter values go through the `yaml` filter, links
through `wikilink`, free text in a note's body through `plain`. This module is the only
user of Jinja2.
"""

from __future__ import annotations

import datetime as dt
import functools
import importlib.resources
import logging
import os
import re
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote

import jinja2
from jinja2.loaders import split_template_path
from jinja2.sandbox import SecurityError

import vaultkit
from vaultkit import links
from vaultkit.errors import TemplateProblem
from vaultkit.mail import mailto_url
from vaultkit.values import yaml_one_line
from vaultkit.sandbox import MAX_INT_BITS, Budget, OutputTooLarge, OverBudget, Sandbox

log = logging.getLogger(__name__)

# Template names (files in `vault_templates/` and in the vault's templates folder).
CONTACT = "contact.md"
INTERVIEW = "interview.md"
AGENDA = "agenda.md"
THANK_YOU = "thank-you.md"
THANK_YOU_REFERRAL = "thank-you-referral.md"
FOLLOW_UPS = "follow-ups.md"
REVIEW = "review.md"
CONTACTS_BASE = "Contacts.base"

TEMPLATE_SUFFIXES = (".md", ".j2")  # rendered by Jinja2
STATIC_SUFFIXES = (".base",)  # copied as they are
MAX_TEMPLATE_BYTES = 1_000_000
__all__ = ["MAX_INT_BITS", "OutputTooLarge", "Renderer"]


# --------------------------------------------------------------------------- packaging


@functools.cache
def packaged_dir() -> Path:
    """The folder of the packaged default templates (installed wheel or checkout)."""
    try:
        folder = importlib.resources.files("vaultkit.vault_templates")
    except ModuleNotFoundError:
        folder = None
    if isinstance(folder, Path) and folder.is_dir():
        return folder
    return Path(vaultkit.__file__).parent.parent / "vault_templates"


def template_names() -> list[str]:
    """Names of the packaged Jinja2 templates (`contact.md`, `agenda.md`, ...), sorted."""
    return _packaged_names(TEMPLATE_SUFFIXES)


def static_names() -> list[str]:
    """Names of the packaged files copied without rendering (`Contacts.base`)."""
    return _packaged_names(STATIC_SUFFIXES)


def _packaged_names(suffixes: tuple[str, ...]) -> list[str]:
    folder = packaged_dir()
    return sorted(
        p.name for p in folder.iterdir() if p.is_file() and p.name.endswith(suffixes)
    )


# --------------------------------------------------------------------------- filters


def yaml_value(value: Any) -> str:
    """`value` as a one-line YAML flow value that loads back to exactly `value`."""
    _fail_if_undefined(value)
    return yaml_one_line(value)


def isodate(value: Any) -> str:
    """An ISO date (`2026-11-30` or a `date`) bare, so YAML and Obsidian read a date;
    anything else through `yaml_value`."""
    _fail_if_undefined(value)
    day = _as_date(value)
    if day is not None:
        return day.isoformat()
    return yaml_value(value)


_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_MONTHS = (
    "January", "February", "March", "April", "May", "June", "July", "August",
    "September", "October", "November", "December",
)  # fmt: skip


def humandate(value: Any, weekday: bool = True) -> str:
    """`2026-11-30` -> `Monday, November 30, 2026` (English, whatever the locale, so
    output is the same on every machine); a value that is not a date comes back as text."""
    _fail_if_undefined(value)
    day = _as_date(value)
    if day is None:
        return plain(value)
    text = f"{_MONTHS[day.month - 1]} {day.day}, {day.year}"
    return f"{_WEEKDAYS[day.weekday()]}, {text}" if weekday else text


def _as_date(value: Any) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return None
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            return None
    return None


def wikilink(target: Any, shown: Any = None) -> str:
    """The `wikilink` filter: `links.wikilink` (the one builder), with a trailing `.md`
    dropped from a path; with no target (None or empty) the shown text alone, unlinked."""
    _fail_if_undefined(target)
    _fail_if_undefined(shown)
    if target is None or not str(target).strip():
        return "" if shown is None else links.safe_shown(str(shown))
    target_text = str(target)
    if target_text.lower().endswith(".md"):
        target_text = target_text[:-3]
    return links.wikilink(target_text, None if shown is None else str(shown))


def link(target: Any, shown: Any = None, *, markdown_links: str | None = None) -> str:
    """The `link` filter, for links in a note's body: a wikilink like `wikilink`, or a
    Markdown link (`[shown](Target%20Name.md)`) where the vault is set to Markdown links.
    Front-matter always takes `wikilink` (Obsidian resolves only those there)."""
    if markdown_links is None or target is None or not str(target).strip():
        return wikilink(target, shown)
    _fail_if_undefined(shown)
    target_text = str(target)
    if not target_text.lower().endswith(".md"):
        target_text += ".md"
    shown_text = str(shown) if shown is not None else target_text.rsplit("/", 1)[-1][:-3]
    return f"[{links.safe_shown(shown_text) or '_'}]({quote(target_text, safe='/')})"


# A Markdown link or embed, reduced to its text by `plain`.
_MD_LINK_RE = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")


def plain(value: Any) -> str:
    """Free text for a note's body or a letter: one line, links reduced to their text,
    None as empty."""
    _fail_if_undefined(value)
    if value is None:
        return ""
    text = str(value)
    text = links.shown_text(text)
    text = _MD_LINK_RE.sub(r"\1", text)
    return links.one_line(text)


def _fail_if_undefined(value: Any) -> None:
    if isinstance(value, jinja2.Undefined):
        str(value)  # StrictUndefined raises UndefinedError naming the variable


FILTERS: dict[str, Callable[..., Any]] = {
    "yaml": yaml_value,
    "isodate": isodate,
    "humandate": humandate,
    "wikilink": wikilink,
    "plain": plain,
    "mailto": mailto_url,
}


# --------------------------------------------------------------------------- loading


class _Folder:
    """One place templates come from: its root, how its paths are shown in messages,
    and the folder a resolved template must stay inside."""

    def __init__(self, root: Path, vault: Path | None):
        self.root = root
        self.vault = vault

    def shown(self, path: Path) -> str:
        if self.vault is not None:
            try:
                return path.relative_to(self.vault).as_posix()
            except ValueError:
                pass
        return str(path)

    def candidate(self, pieces: list[str]) -> Path | None:
        path = self.root.joinpath(*pieces)
        try:
            os.lstat(path)
        except PermissionError as exc:
            # Not the packaged default in its place: the user's own template may be there.
            raise TemplateProblem(f"cannot read the templates folder ({exc.strerror}): no note "
                                  "is made from a template until it can be read",
                                  path=self.shown(self.root)) from None
        except OSError:
            return None
        return path

    def resolve(self, path: Path) -> Path:
        """The real file behind `path`; refuses one outside this folder."""
        resolved = path.resolve()
        inside = resolved.is_relative_to(self.root.resolve())
        if inside and self.vault is not None:
            inside = resolved.is_relative_to(self.vault.resolve())
        if not inside:
            raise TemplateProblem(
                f"template resolves to {resolved}, outside {self.shown(self.root)} "
                "— replace the link with a real file",
                path=self.shown(path),
            )
        if not resolved.is_file():
            raise TemplateProblem(
                "template is not a readable file — remove it to use the packaged default",
                path=self.shown(path),
            )
        return resolved


def _stamp(path: Path) -> tuple[str, int, int] | None:
    try:
        st = path.stat()
        return (str(path.resolve()), st.st_mtime_ns, st.st_size)
    except OSError:
        return None


class _TemplateLoader(jinja2.BaseLoader):
    """User templates first, then the packaged ones, each kept inside its folder."""

    def __init__(self, folders: list[_Folder]):
        self.folders = folders
        self.shown_by_filename: dict[str, str] = {}

    def locate(self, name: str) -> tuple[_Folder, Path, Path, list[Path]]:
        """(folder, path, resolved path, earlier candidates that did not exist)."""
        pieces = split_template_path(name)  # refuses `..`
        if not pieces:
            raise jinja2.TemplateNotFound(name)
        missing: list[Path] = []
        for folder in self.folders:
            path = folder.candidate(pieces)
            if path is None:
                missing.append(folder.root.joinpath(*pieces))
                continue
            return folder, path, folder.resolve(path), missing
        raise jinja2.TemplateNotFound(name)

    def read_bytes(self, folder: _Folder, path: Path, resolved: Path) -> bytes:
        try:
            size = resolved.stat().st_size
            if size > MAX_TEMPLATE_BYTES:
                raise TemplateProblem(
                    f"template is {size:,} bytes, more than {MAX_TEMPLATE_BYTES:,}",
                    path=folder.shown(path),
                )
            return resolved.read_bytes()
        except OSError as exc:
            raise TemplateProblem(
                f"cannot read template: {exc.strerror or exc}", path=folder.shown(path)
            ) from exc

    def get_source(
        self, environment: jinja2.Environment, template: str
    ) -> tuple[str, str, Callable[[], bool]]:
        folder, path, resolved, missing = self.locate(template)
        data = self.read_bytes(folder, path, resolved)
        try:
            source = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise TemplateProblem(
                "template is not valid UTF-8 — save it as UTF-8",
                path=folder.shown(path),
                line=data[: exc.start].count(b"\n") + 1,
            ) from exc
        filename = str(path)
        self.shown_by_filename[filename] = folder.shown(path)
        stamp = _stamp(path)

        def uptodate() -> bool:
            # A user override added (or removed, or edited) since loading means reload.
            return _stamp(path) == stamp and not any(os.path.lexists(p) for p in missing)

        return source, filename, uptodate


# --------------------------------------------------------------------------- renderer


class Renderer:
    """Renders vaultkit's templates in a sandbox, user templates overriding packaged ones.

    `user_dir` is the vault's templates folder (`<vault>/Templates/vaultkit`), or None for
    the packaged templates only; `vault`, when given, makes paths in messages
    vault-relative and keeps user templates inside the vault. `max_output` caps the
    characters a template may produce (and any single value it builds).
    """

    def __init__(
        self, user_dir: Path | None, max_output: int = 1_000_000, *, vault: Path | None = None,
        markdown_links: str | None = None,
    ):
        self.user_dir = Path(user_dir).absolute() if user_dir is not None else None
        self.max_output = max_output
        self.vault = Path(vault).absolute() if vault is not None else None
        folders = []
        if self.user_dir is not None:
            folders.append(_Folder(self.user_dir, self.vault))
        folders.append(_Folder(packaged_dir(), None))
        self._loader = _TemplateLoader(folders)
        self._budget = Budget(max_output)
        self._env = Sandbox(
            self._budget,
            loader=self._loader,
            undefined=jinja2.StrictUndefined,
            autoescape=False,
            keep_trailing_newline=True,
            auto_reload=True,
        )
        self._env.filters.update(FILTERS)
        self._env.filters["link"] = functools.partial(link, markdown_links=markdown_links)
        self._env.guard_filters()

    def render(self, name: str, context: dict[str, Any]) -> str:
        """Render template `name` with `context` (plain data) into a note's text."""
        try:
            template = self._env.get_template(name)
        except jinja2.TemplateNotFound as exc:
            raise TemplateProblem(self._not_found(exc, name), path=name) from exc
        except Exception as exc:
            raise self._problem(exc, name) from exc
        parts: list[str] = []
        size = 0
        self._budget.start()
        stream = template.generate(context)
        try:
            for chunk in stream:
                size += len(chunk)
                if size > self.max_output:
                    raise TemplateProblem(
                        f"output is larger than {self.max_output:,} characters "
                        "— look for a runaway loop or repetition in the template",
                        path=self.source_path(name),
                    )
                parts.append(chunk)
        except TemplateProblem as exc:
            raise self._at_include(exc) from exc
        except Exception as exc:
            raise self._problem(exc, name) from exc
        finally:
            stream.close()
        return "".join(parts)

    def render_static(self, name: str) -> bytes:
        """The bytes of a file copied as it is (`Contacts.base`), user copy first."""
        try:
            folder, path, resolved, _ = self._loader.locate(name)
        except jinja2.TemplateNotFound as exc:
            raise TemplateProblem(self._not_found(exc, name), path=name) from exc
        return self._loader.read_bytes(folder, path, resolved)

    def source_path(self, name: str) -> str:
        """Where template `name` comes from: vault-relative for a user template (when the
        vault is known), else the path of the packaged file."""
        try:
            folder, path, _, _ = self._loader.locate(name)
        except jinja2.TemplateNotFound as exc:
            raise TemplateProblem(self._not_found(exc, name), path=name) from exc
        return folder.shown(path)

    # -- errors

    def _not_found(self, exc: jinja2.TemplateNotFound, name: str) -> str:
        where = f"{self.user_dir} or " if self.user_dir is not None else ""
        return f"no template {exc.name or name!r} in {where}the packaged templates"

    def _problem(self, exc: BaseException, name: str) -> TemplateProblem:
        """A TemplateProblem for `exc`, located at the innermost template line."""
        if isinstance(exc, TemplateProblem):
            return exc
        path, line = self._location(exc)
        if path is None:
            path = self._safe_source_path(name)
        text = getattr(exc, "message", None) if isinstance(exc, jinja2.TemplateError) else None
        text = str(text or exc).rstrip(". ")
        if isinstance(exc, jinja2.TemplateSyntaxError):
            message = f"syntax error: {text} — fix the template"
        elif isinstance(exc, OverBudget):
            message = f"{text} — look for a runaway or deeply nested loop in the template"
        elif isinstance(exc, OutputTooLarge):
            message = f"{text} — look for a runaway loop or repetition in the template"
        elif isinstance(exc, SecurityError):
            message = (
                f"refused by the sandbox: {text} — a template may only use the values it is given"
            )
        elif isinstance(exc, jinja2.UndefinedError):
            message = f"{text} — check the spelling, or guard it with `is defined`"
        elif isinstance(exc, jinja2.TemplateNotFound):
            message = f"included template {exc.name!r} not found"
        else:
            message = f"rendering failed: {type(exc).__name__}: {text}"
        log.debug("template problem in %s:%s", path, line, exc_info=exc)
        return TemplateProblem(message, path=path, line=line)

    def _at_include(self, exc: TemplateProblem) -> TemplateProblem:
        """A template refused while another one was including or importing it: name the
        including template and line too, since that is where the user has to look."""
        path, line = self._location(exc)
        if path is None or path == exc.path:
            return exc
        return TemplateProblem(f"includes {exc}", path=path, line=line)

    def _location(self, exc: BaseException) -> tuple[str | None, int | None]:
        shown = self._loader.shown_by_filename
        if isinstance(exc, jinja2.TemplateSyntaxError) and exc.filename in shown:
            return shown[exc.filename], exc.lineno
        # Jinja2 rewrites tracebacks: frames of template code carry the template's
        # file name and line.
        found: tuple[str | None, int | None] = (None, None)
        for frame in traceback.extract_tb(exc.__traceback__):
            if frame.filename in shown:
                found = (shown[frame.filename], frame.lineno)
        return found

    def _safe_source_path(self, name: str) -> str:
        try:
            return self.source_path(name)
        except TemplateProblem:
            return name
