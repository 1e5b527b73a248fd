"""Templates: the Jinja2 sandbox that renders the notes vaultkit creates (SPEC §4.3, §6.5).

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
import inspect
import logging
import os
import re
import string
import traceback
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import jinja2
import yaml
from jinja2.compiler import CodeGenerator, Frame, optimizeconst
from jinja2.loaders import split_template_path
from jinja2.nodes import Concat
from jinja2.sandbox import ImmutableSandboxedEnvironment, SecurityError

import vaultkit
from vaultkit.errors import TemplateProblem

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
# Integers a template may build with `*` and `**` (a 10**(10**9) would take minutes).
MAX_INT_BITS = 1 << 16


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


class _OneLineDumper(yaml.SafeDumper):
    """A safe dumper whose quoted scalars are always double-quoted, hence on one line
    (`\\n` escaped); a single-quoted or block scalar may span lines."""

    def choose_scalar_style(self) -> str:
        style = super().choose_scalar_style()
        return '"' if style in ("'", "|", ">") else style


def yaml_value(value: Any) -> str:
    """`value` as a one-line YAML flow value that loads back to exactly `value`."""
    _fail_if_undefined(value)
    text = yaml.dump(
        value,
        Dumper=_OneLineDumper,
        default_flow_style=True,
        allow_unicode=True,
        width=float("inf"),
        sort_keys=False,
    )
    if text.endswith("\n...\n"):
        text = text[: -len("\n...\n")]
    text = text.rstrip("\n")
    if "\n" in text:  # never expected; a line break would let data add keys
        raise ValueError(f"cannot write {type(value).__name__} as one line of YAML")
    return text


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


# Characters that end or split a wikilink, and line breaks; `#` and `^` also start a
# heading or block reference in a target. Marker comments are broken up so that a name
# can never fake a managed block.
_SHOWN_TABLE = str.maketrans({"[": "(", "]": ")", "|": "¦"})
_TARGET_TABLE = str.maketrans({"[": "(", "]": ")", "|": "¦", "#": " ", "^": " "})
_CONTROL = re.compile(r"[\x00-\x1f\x7f\x85\u2028\u2029]")


def _one_line(text: str) -> str:
    text = _CONTROL.sub(" ", text)
    text = text.replace("<!--", "<!- -").replace("-->", "- ->")
    return " ".join(text.split())


def wikilink(target: Any, shown: Any = None) -> str:
    """`[[target|shown]]`, made harmless: `[`, `]`, `|` and line breaks cannot end or
    split the link. A trailing `.md` is dropped from a path. With no target (None or
    empty) it is the shown text alone, unlinked."""
    _fail_if_undefined(target)
    _fail_if_undefined(shown)
    shown_text = "" if shown is None else _one_line(str(shown)).translate(_SHOWN_TABLE)
    if target is None or not str(target).strip():
        return shown_text
    target_text = str(target)
    if target_text.lower().endswith(".md"):
        target_text = target_text[:-3]
    target_text = _one_line(target_text.translate(_TARGET_TABLE)) or "_"
    if not shown_text or shown_text == target_text:
        return f"[[{target_text}]]"
    return f"[[{target_text}|{shown_text}]]"


_WIKI_RE = re.compile(r"!?\[\[([^\]|]*)(?:\|([^\]]*))?\]\]")
_MD_LINK_RE = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")


def plain(value: Any) -> str:
    """Free text for a note's body or a letter: one line, links reduced to their text,
    None as empty."""
    _fail_if_undefined(value)
    if value is None:
        return ""
    text = str(value)
    text = _WIKI_RE.sub(lambda m: m.group(2) or m.group(1).split("#")[0].rsplit("/", 1)[-1], text)
    text = _MD_LINK_RE.sub(r"\1", text)
    return _one_line(text)


def _fail_if_undefined(value: Any) -> None:
    if isinstance(value, jinja2.Undefined):
        str(value)  # StrictUndefined raises UndefinedError naming the variable


FILTERS: dict[str, Callable[..., Any]] = {
    "yaml": yaml_value,
    "isodate": isodate,
    "humandate": humandate,
    "wikilink": wikilink,
    "plain": plain,
}


# --------------------------------------------------------------------------- size limits


class OutputTooLarge(SecurityError):
    """A template tried to build a value or an output beyond the size limit."""


def _weight(value: Any, limit: int, depth: int = 0) -> int:
    """Roughly how many characters `value` takes once printed; stops counting past
    `limit`."""
    if isinstance(value, str):
        return len(value)
    if isinstance(value, (list, tuple, set, frozenset, dict)) and depth < 4:
        items: Iterable[Any] = value.items() if isinstance(value, dict) else value
        total = len(value)
        for item in items:
            total += _weight(item, limit, depth + 1)
            if total > limit:
                break
        return total
    return 1


_PRINTF_SPEC = re.compile(r"%(?:\([^)]*\))?[-#0 +]*(\*|\d+)?(?:\.(\*|\d+))?")


class _Budget:
    """Refuses, before the work is done, operations whose result would exceed `limit`
    characters (or `MAX_INT_BITS` for integers)."""

    def __init__(self, limit: int):
        self.limit = limit

    def refuse(self, what: str) -> None:
        raise OutputTooLarge(f"{what} would exceed the limit of {self.limit:,} characters")

    def check(self, estimate: int, what: str) -> None:
        if estimate > self.limit:
            self.refuse(what)

    def check_result(self, value: Any, what: str) -> Any:
        if isinstance(value, (str, list, tuple, dict)):
            self.check(_weight(value, self.limit), what)
        return value

    def check_width(self, width: Any, what: str) -> None:
        if isinstance(width, int) and width > self.limit:
            self.refuse(what)

    def check_repeat(self, left: Any, right: Any) -> None:
        if isinstance(left, int) and isinstance(right, int):
            if left.bit_length() + right.bit_length() > MAX_INT_BITS:
                raise OutputTooLarge("multiplying such large numbers is not allowed")
            return
        for seq, times in ((left, right), (right, left)):
            if isinstance(times, int) and isinstance(seq, (str, list, tuple)):
                self.check(_weight(seq, self.limit) * max(times, 0), "repeating a value")

    def check_power(self, left: Any, right: Any) -> None:
        if isinstance(left, int) and isinstance(right, int) and right > 0 and abs(left) > 1:
            if right * abs(left).bit_length() > MAX_INT_BITS:
                raise OutputTooLarge("raising to such a large power is not allowed")

    def check_printf(self, fmt: Any, args: Any) -> None:
        if not isinstance(fmt, str):
            return
        star = False
        for match in _PRINTF_SPEC.finditer(fmt):
            for group in match.groups():
                if group == "*":
                    star = True
                elif group is not None:
                    self.check_width(int(group), "a %-format width")
        if star:
            values = args if isinstance(args, tuple) else (args,)
            for value in values:
                self.check_width(value, "a %-format width")

    def check_str_format(self, fmt: str, args: tuple, kwargs: dict) -> None:
        try:
            fields = list(string.Formatter().parse(fmt))
        except ValueError:
            return  # str.format raises the same error itself
        for _, _, spec, _ in fields:
            if not spec:
                continue
            for digits in re.findall(r"\d+", spec):
                self.check_width(int(digits), "a format width")
            if "{" in spec:
                for value in (*args, *kwargs.values()):
                    self.check_width(value, "a format width")

    def check_replace(self, s: Any, old: Any, new: Any, count: Any) -> None:
        if not (isinstance(s, str) and isinstance(old, str) and isinstance(new, str)):
            return
        hits = s.count(old) if old else len(s) + 1
        if isinstance(count, int) and count >= 0:
            hits = min(hits, count)
        self.check(len(s) + hits * max(len(new) - len(old), 0), "replace()")

    def check_join(self, sep: Any, items: list) -> None:
        sep_len = len(sep) if isinstance(sep, str) else 1
        total = sep_len * max(len(items) - 1, 0)
        for item in items:
            total += _weight(item, self.limit)
            if total > self.limit:
                break
        self.check(total, "join()")


def _guard_filter(func: Callable[..., Any], budget: _Budget, name: str) -> Callable[..., Any]:
    """Wrap a built-in filter so that it checks its arguments (and result) against the
    budget; the wrapper keeps the filter's `pass_*` marker."""
    signature = inspect.signature(func)

    @functools.wraps(func)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        bound = signature.bind(*args, **kwargs)
        bound.apply_defaults()
        a = bound.arguments
        what = f"the {name} filter"
        if name == "center":
            budget.check_width(a["width"], what)
        elif name == "indent":
            width = a["width"]
            per_line = len(width) if isinstance(width, str) else width
            if isinstance(a["s"], str) and isinstance(per_line, int):
                budget.check(len(a["s"]) + (a["s"].count("\n") + 1) * per_line, what)
        elif name == "wordwrap":
            s, width, wrap = a["s"], a["width"], a["wrapstring"]
            if isinstance(s, str) and isinstance(width, int) and isinstance(wrap, str):
                breaks = len(s) // max(width, 1) + s.count("\n") + 1
                budget.check(len(s) + breaks * len(wrap), what)
        elif name == "format":
            budget.check_printf(a["value"], a["kwargs"] or a["args"])
        elif name == "replace":
            budget.check_replace(a["s"], a["old"], a["new"], a["count"])
        elif name == "join":
            items = list(a["value"])  # an iterator is used up here: pass the list on
            budget.check_join(a["d"], items)
            a["value"] = items
        elif name in ("batch", "slice"):
            budget.check_width(a.get("linecount", a.get("slices")), what)
        return budget.check_result(func(*bound.args, **bound.kwargs), what)

    return guarded


_GUARDED_FILTERS = ("center", "indent", "wordwrap", "format", "replace", "join", "batch", "slice")
_PADDING_METHODS = ("center", "ljust", "rjust", "zfill")


class _CappedBuffer(list):
    """The list Jinja2 collects a macro's, `{% set %}` block's or `{% filter %}` block's
    output in; refuses to grow past the budget."""

    __slots__ = ("_budget", "_size")

    def __init__(self, budget: _Budget):
        super().__init__()
        self._budget = budget
        self._size = 0

    def _count(self, item: Any) -> None:
        self._size += len(item) if isinstance(item, str) else 1
        self._budget.check(self._size, "buffered template output")

    def append(self, item: Any) -> None:
        self._count(item)
        super().append(item)

    def extend(self, items: Iterable[Any]) -> None:
        items = list(items)
        for item in items:
            self._count(item)
        super().extend(items)


class _CappedCodeGenerator(CodeGenerator):
    """Compiles templates so that buffers and `~` concatenations are size-checked."""

    def buffer(self, frame: Frame) -> None:
        frame.buffer = self.temporary_identifier()
        self.writeline(f"{frame.buffer} = environment.capped_buffer()")

    @optimizeconst
    def visit_Concat(self, node: Concat, frame: Frame) -> None:
        self.write("environment.capped_concat(")
        super().visit_Concat(node, frame)
        self.write(")")


class _Sandbox(ImmutableSandboxedEnvironment):
    """The sandbox with size limits on `*`, `**`, `%`, `+`, `~`, padding and joining."""

    code_generator_class = _CappedCodeGenerator
    intercepted_binops = frozenset({"*", "**", "%", "+"})

    def __init__(self, budget: _Budget, **options: Any):
        self.budget = budget
        super().__init__(**options)
        for name in _GUARDED_FILTERS:
            self.filters[name] = _guard_filter(self.filters[name], budget, name)
        self.globals.pop("lipsum", None)  # lipsum(10**8) builds text outside any limit

    def capped_buffer(self) -> _CappedBuffer:
        return _CappedBuffer(self.budget)

    def capped_concat(self, value: Any) -> Any:
        return self.budget.check_result(value, "joining text with ~")

    def call_binop(
        self, context: jinja2.runtime.Context, operator: str, left: Any, right: Any
    ) -> Any:
        if operator == "*":
            self.budget.check_repeat(left, right)
        elif operator == "**":
            self.budget.check_power(left, right)
        elif operator == "%":
            self.budget.check_printf(left, right)
        result = self.binop_table[operator](left, right)
        return self.budget.check_result(result, f"the {operator} operator")

    def call(
        self, context: jinja2.runtime.Context, obj: Any, /, *args: Any, **kwargs: Any
    ) -> Any:
        owner = getattr(getattr(obj, "__wrapped__", obj), "__self__", None)
        if isinstance(owner, str):
            name = getattr(obj, "__name__", "")
            what = f"str.{name}()"
            if name in _PADDING_METHODS and args:
                self.budget.check_width(args[0], what)
            elif name == "expandtabs":
                size = args[0] if args else kwargs.get("tabsize", 8)
                if isinstance(size, int):
                    self.budget.check(len(owner) + owner.count("\t") * size, what)
            elif name == "replace" and len(args) >= 2:
                self.budget.check_replace(owner, args[0], args[1], args[2] if len(args) > 2 else -1)
            elif name == "join" and args:
                items = list(args[0])
                self.budget.check_join(owner, items)
                args = (items, *args[1:])
            elif name == "format":
                self.budget.check_str_format(owner, args, kwargs)
            elif name == "format_map" and args and isinstance(args[0], dict):
                self.budget.check_str_format(owner, (), args[0])
        result = super().call(context, obj, *args, **kwargs)
        return self.budget.check_result(result, "a call")


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
        return path if os.path.lexists(path) else None

    def resolve(self, path: Path) -> Path:
        """The real file behind `path`; refuses one outside this folder (RELIABILITY 31)."""
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
        self, user_dir: Path | None, max_output: int = 1_000_000, *, vault: Path | None = None
    ):
        self.user_dir = Path(user_dir).absolute() if user_dir is not None else None
        self.max_output = max_output
        self.vault = Path(vault).absolute() if vault is not None else None
        folders = []
        if self.user_dir is not None:
            folders.append(_Folder(self.user_dir, self.vault))
        folders.append(_Folder(packaged_dir(), None))
        self._loader = _TemplateLoader(folders)
        self._env = _Sandbox(
            _Budget(max_output),
            loader=self._loader,
            undefined=jinja2.StrictUndefined,
            autoescape=False,
            keep_trailing_newline=True,
            auto_reload=True,
        )
        self._env.filters.update(FILTERS)

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
