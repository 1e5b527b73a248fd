"""The Jinja2 sandbox vaultkit renders templates in, and the budget every render gets.

A template is code the user wrote, so each render is bounded: the size of any value it
builds and of its output, the number of steps it takes (loop iterations, calls, filters)
and the CPU time it spends. Past a bound, `OverBudget` (a `SecurityError`) stops the
render; the renderer turns it into a template problem naming the file and line.
"""

from __future__ import annotations

import functools
import inspect
import re
import string
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import jinja2
from jinja2 import nodes
from jinja2.compiler import CodeGenerator, Frame, optimizeconst
from jinja2.nodes import Concat
from jinja2.runtime import LoopContext
from jinja2.sandbox import ImmutableSandboxedEnvironment, SecurityError
from jinja2.utils import _PassArg

# Integers a template may build with `*` and `**` (a 10**(10**9) would take minutes).
MAX_INT_BITS = 1 << 16
# Steps (loop iterations, calls, filter applications) one render may take. The packaged
# templates take a few hundred; two nested 100,000-step loops would take 10**10.
MAX_STEPS = 250_000
# CPU seconds one render may spend.
MAX_CPU_SECONDS = 3.0
# How often (in steps) the CPU clock is read: cheap enough, and fine enough.
_CLOCK_EVERY = 64


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


class OverBudget(OutputTooLarge):
    """A render took more steps or more CPU time than it may."""


class Budget:
    """Refuses, before the work is done, operations whose result would exceed `limit`
    characters (or `MAX_INT_BITS` for integers); counts a render's steps and CPU time.

    `start()` opens a render's budget; `step()` is called on every loop iteration, call
    and filter, and raises `OverBudget` past `max_steps` or `max_cpu` seconds.
    """

    def __init__(self, limit: int, max_steps: int = MAX_STEPS, max_cpu: float = MAX_CPU_SECONDS):
        self.limit = limit
        self.max_steps = max_steps
        self.max_cpu = max_cpu
        self.start()

    def start(self) -> None:
        """A new render: nothing spent yet."""
        self.steps = 0
        self._next_check = min(_CLOCK_EVERY, self.max_steps + 1)
        self._cpu_start = time.thread_time()

    def step(self, n: int = 1) -> None:
        self.steps += n
        if self.steps >= self._next_check:
            self._check()

    def _check(self) -> None:
        """Past the step cap or the CPU time: stop. Called every `_CLOCK_EVERY` steps."""
        if self.steps > self.max_steps:
            raise OverBudget(f"the template took more than {self.max_steps:,} steps "
                             "(loop iterations, calls and filters)")
        self._next_check = min(self.steps + _CLOCK_EVERY, self.max_steps + 1)
        spent = time.thread_time() - self._cpu_start
        if spent > self.max_cpu:
            raise OverBudget(f"the template ran for more than {self.max_cpu:g} seconds of CPU time")

    def counted(self, iterable: Any) -> Iterator[Any]:
        """`iterable`, one step per item (what every `{% for %}` loops over)."""
        for item in iterable:
            self.steps += 1
            if self.steps >= self._next_check:
                self._check()
            yield item

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


def _guard_filter(func: Callable[..., Any], budget: Budget, name: str) -> Callable[..., Any]:
    """Wrap a built-in filter so that it checks its arguments (and result) against the
    budget; the wrapper keeps the filter's `pass_*` marker."""
    signature = inspect.signature(func)
    # A filter marked `pass_environment` (or context) gets that first, and its signature
    # (the sync variant's, for `slice`) does not show it: bind the rest.
    passed = int(_PassArg.from_obj(func) is not None
                 and _PassArg.from_obj(inspect.unwrap(func)) is None)

    @functools.wraps(func)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        budget.step()
        bound = signature.bind(*args[passed:], **kwargs)
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
            count = a["linecount"] if name == "batch" else a["slices"]
            budget.check_width(count, what)
            if name == "slice" and isinstance(count, int) and count > 0:
                budget.step(count)  # one list made per slice, even empty ones
        return budget.check_result(func(*args[:passed], *bound.args, **bound.kwargs), what)

    return guarded


def _stepping_filter(func: Callable[..., Any], budget: Budget) -> Callable[..., Any]:
    """Wrap a filter or test so that each use is a step; keeps its `pass_*` marker."""

    @functools.wraps(func)
    def stepping(*args: Any, **kwargs: Any) -> Any:
        budget.step()
        return func(*args, **kwargs)

    return stepping


_GUARDED_FILTERS = ("center", "indent", "wordwrap", "format", "replace", "join", "batch", "slice")
_PADDING_METHODS = ("center", "ljust", "rjust", "zfill")


class _CappedBuffer(list):
    """The list Jinja2 collects a macro's, `{% set %}` block's or `{% filter %}` block's
    output in; refuses to grow past the budget."""

    __slots__ = ("_budget", "_size")

    def __init__(self, budget: Budget):
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


class Sandbox(ImmutableSandboxedEnvironment):
    """The sandbox with size limits on `*`, `**`, `%`, `+`, `~`, padding and joining."""

    code_generator_class = _CappedCodeGenerator
    intercepted_binops = frozenset({"*", "**", "%", "+"})

    def __init__(self, budget: Budget, **options: Any):
        self.budget = budget
        super().__init__(**options)
        self.globals.pop("lipsum", None)  # lipsum(10**8) builds text outside any limit
        self.guard_filters()

    def guard_filters(self) -> None:
        """Make every filter and test a step, and size-check those that build values.
        Call again after adding filters."""
        for table in (self.filters, self.tests):
            for name, func in list(table.items()):
                if getattr(func, "_vaultkit_guarded", False):
                    continue
                if table is self.filters and name in _GUARDED_FILTERS:
                    wrapped = _guard_filter(func, self.budget, name)
                else:
                    wrapped = _stepping_filter(func, self.budget)
                wrapped._vaultkit_guarded = True  # type: ignore[attr-defined]
                table[name] = wrapped

    def _parse(self, source: str, name: str | None, filename: str | None) -> nodes.Template:
        # Every `{% for %}` loops over `budget.counted(...)`: one step per iteration.
        tree = super()._parse(source, name, filename)
        for loop in list(tree.find_all(nodes.For)):
            loop.iter = nodes.Call(
                nodes.Getattr(nodes.EnvironmentAttribute("budget", lineno=loop.lineno), "counted",
                              "load", lineno=loop.lineno),
                [loop.iter], [], None, None, lineno=loop.iter.lineno)
        return tree

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
        self.budget.step()
        if isinstance(obj, LoopContext) and args:  # a recursive loop's `loop(children)`
            args = (self.budget.counted(args[0]), *args[1:])
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


