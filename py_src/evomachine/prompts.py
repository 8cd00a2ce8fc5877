"""Task prompts: jinja2 templates rendered in a sandbox, on a counted budget.

Prompts are user text (and arrive in imported files), so they are compiled by
a subclass of jinja2's ``ImmutableSandboxedEnvironment`` (no attribute tricks
reaching Python internals, no mutating the record) and compiled once per task,
never per step. A template sees ``input`` (the current record), ``context``
(the executor's context dict) and every context key at top level, plus
whatever extra names the executor passes (``outputs``: the latest output of
each task). A missing variable renders empty rather than failing the task.

Every render has a budget that is counted, not timed, so it gives the same
answer on every machine and in Pyodide:

- ``MAX_STEPS`` loop iterations and calls (every ``for`` iterable is wrapped in
  a counting iterator when the template is compiled; recursive ``loop()`` calls
  too), and calls nested at most ``MAX_CALL_DEPTH`` deep (macro recursion);
- ``MAX_CHARS`` characters output in all, captured blocks and macros included
  (every output node is counted as it is produced, so nothing is built first
  and measured afterwards);
- no value larger than ``MAX_CHARS`` (characters of a string, items of a
  nested list or dict counted with every shared part as often as it appears)
  or deeper than ``MAX_NESTING``: checked where values are built (literals,
  ``~``, ``+``, ``*``, filter and call results), and the operations that could
  allocate a huge value in one go (``*`` by a count, ``**``, ``%`` and
  ``format`` widths, integer arguments) are checked before they run.

A template over its budget raises :class:`PromptError`: the task execution
fails with that message, it never hangs the page.
"""

from __future__ import annotations

import functools
import math
import operator
import re
import string
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextvars import ContextVar
from typing import Any

from jinja2 import TemplateError, nodes, pass_context
from jinja2.runtime import LoopContext
from jinja2.sandbox import ImmutableSandboxedEnvironment
from jinja2.visitor import NodeTransformer

MAX_STEPS = 200_000
MAX_CHARS = 1_000_000
MAX_NESTING = 64
MAX_CALL_DEPTH = 40
MAX_INT_BITS = 64_000  # about 19,000 decimal digits; more cannot be printed anyway


class PromptError(ValueError):
    """A prompt template does not compile, cannot be rendered or is over its budget."""

    def __init__(self, task: str, reason: str):
        super().__init__(f"prompt of task {task!r}: {reason}")
        self.task = task
        self.reason = reason


class BudgetExceeded(Exception):
    """Raised inside a render that went over its budget; ``Prompt.render`` reports it."""


class RenderBudget:
    """What one render may still spend."""

    __slots__ = ("chars", "depth", "sizes", "steps")

    def __init__(self) -> None:
        self.steps = 0
        self.chars = 0
        self.depth = 0
        # id -> (size, height, the container itself, so the id stays its own)
        self.sizes: dict[int, tuple[int, int, Any]] = {}

    def step(self, count: int = 1) -> None:
        self.steps += count
        if self.steps > MAX_STEPS:
            raise BudgetExceeded(
                f"the template needs more than {MAX_STEPS:,} steps (loop iterations, calls "
                "and items built; nested loops over large ranges?)")

    def output(self, text: str) -> str:
        self.chars += len(text)
        if self.chars > MAX_CHARS:
            raise BudgetExceeded(f"the template renders more than {MAX_CHARS:,} characters")
        return text

    def iterate(self, iterable: Iterable[Any]) -> Iterator[Any]:
        for item in iterable:
            self.step()
            yield item

    def check_value(self, value: Any, what: str = "a value") -> Any:
        """``value`` if its expanded size and nesting are within budget.

        The size counts characters of strings and items of containers, a shared
        part as often as it appears. Containers already measured in this render
        are not walked again (the sandbox keeps them from changing), so building
        a value from checked parts costs its own items only; walking costs steps.
        """
        if self._measure(value, 0, what)[0] > MAX_CHARS:
            raise BudgetExceeded(f"{what} is larger than {MAX_CHARS:,} characters or items")
        return value

    def _measure(self, item: Any, depth: int, what: str) -> tuple[int, int]:
        """``(size, height)`` of ``item`` found ``depth`` levels below the checked value."""
        if isinstance(item, str | bytes | bytearray):
            return len(item) or 1, 0
        if isinstance(item, int) and not isinstance(item, bool):
            if item.bit_length() > MAX_INT_BITS:
                raise BudgetExceeded(f"{what} is an integer of more than {MAX_INT_BITS:,} bits")
            return 1, 0
        if not isinstance(item, list | tuple | set | frozenset | dict):
            return 1, 0
        known = self.sizes.get(id(item))
        if known is not None and known[2] is item:
            size, height = known[0], known[1]
        else:
            if depth >= MAX_NESTING:
                raise BudgetExceeded(f"{what} is nested more than {MAX_NESTING} deep")
            children = (x for pair in item.items() for x in pair) if isinstance(
                item, dict) else item
            size, height = 1, 0
            for child in children:
                self.step()
                child_size, child_height = self._measure(child, depth + 1, what)
                size += child_size
                height = max(height, child_height + 1)
                if size > MAX_CHARS:
                    break
            self.sizes[id(item)] = (size, height, item)
        if size > MAX_CHARS:
            raise BudgetExceeded(f"{what} is larger than {MAX_CHARS:,} characters or items")
        if depth + height > MAX_NESTING:
            raise BudgetExceeded(f"{what} is nested more than {MAX_NESTING} deep")
        return size, height


_BUDGET: ContextVar[RenderBudget | None] = ContextVar("evomachine_prompt_budget", default=None)


def _budget() -> RenderBudget:
    budget = _BUDGET.get()
    if budget is None:
        raise BudgetExceeded("prompt templates render through Prompt.render (no budget is set)")
    return budget


def _check_count(value: Any, what: str) -> None:
    """Integers that size an allocation (widths, repeat counts) stay under ``MAX_CHARS``."""
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > MAX_CHARS:
        raise BudgetExceeded(f"{what} {value} is larger than {MAX_CHARS:,}")


def _check_counts(args: Iterable[Any], kwargs: Mapping[str, Any], what: str) -> None:
    for value in (*args, *kwargs.values()):
        if isinstance(value, tuple | list):
            for item in value[:64]:
                _check_count(item, what)
        else:
            _check_count(value, what)


def _check_estimate(estimate: int, what: str) -> None:
    if estimate > MAX_CHARS:
        raise BudgetExceeded(f"{what} would build about {estimate:,} characters "
                             f"(more than {MAX_CHARS:,})")


def _text_size(value: Any) -> int:
    """Roughly how many characters ``value`` prints as (containers: 4 per item, at most)."""
    if isinstance(value, str | bytes | bytearray):
        return len(value)
    if isinstance(value, list | tuple | set | frozenset | dict):
        return 4 * _budget().sizes.get(id(value), (len(value) * 4,))[0] + 2
    return 24


_PRINTF_SPEC = re.compile(r"%(?:\([^)]*\))?[-#0 +]*(\*|\d+)?(?:\.(\*|\d+))?[a-zA-Z%]")
_DIGITS = re.compile(r"\d+")


def _check_printf(template: Any, values: Any) -> None:
    """``template % values``: widths, and fields times the largest value, stay in budget."""
    if not isinstance(template, str):
        return
    fields = 0
    for match in _PRINTF_SPEC.finditer(template):
        if match.group(0).endswith("%%"):
            continue
        fields += 1
        for number in match.groups():
            if number and number != "*":
                _check_count(int(number), "a width in a % format")
    items = list(values.values()) if isinstance(values, Mapping) else (
        list(values) if isinstance(values, tuple) else [values])
    _check_counts(items, {}, "a % format argument")
    largest = max((_text_size(v) for v in items[:1000]), default=0)
    _check_estimate(len(template) + fields * largest, "a % format")


def _format_fields(template: str) -> int:
    try:
        parsed = list(string.Formatter().parse(template))
    except ValueError:
        return 0  # str.format raises the same error itself
    fields = 0
    for _, name, spec, _ in parsed:
        if name is not None:
            fields += 1
        if spec:
            for number in _DIGITS.findall(spec):
                _check_count(int(number), "a width in a format spec")
            fields += _format_fields(spec)
    return fields


def _check_str_call(name: str, receiver: Any, args: tuple[Any, ...],
                    kwargs: Mapping[str, Any]) -> tuple[Any, ...]:
    """Refuse a string operation (method or filter) whose result would be over budget.

    Only the operations that can multiply sizes are estimated; the rest cannot
    grow a value by more than a small factor, and every result is measured.
    Returns ``args`` (a generator given to ``join`` is read into a list first).
    """
    what = f"{name}()"
    _check_counts(args, kwargs, f"an argument of {what}")
    if not isinstance(receiver, str):
        return args
    if name == "replace" and len(args) >= 2 and isinstance(args[0], str) and isinstance(
            args[1], str) and len(args[1]) > len(args[0]):
        count = receiver.count(args[0]) if args[0] else len(receiver) + 1
        limit = args[2] if len(args) > 2 and isinstance(args[2], int) else -1
        if limit is not None and limit >= 0:
            count = min(count, limit)
        _check_estimate(len(receiver) + count * (len(args[1]) - len(args[0])), what)
    elif name == "expandtabs":
        size = args[0] if args else kwargs.get("tabsize", 8)
        if isinstance(size, int):
            _check_estimate(len(receiver) + receiver.count("\t") * size, what)
    elif name == "format":
        largest = max((_text_size(v) for v in (*args, *kwargs.values())), default=0)
        _check_estimate(len(receiver) + _format_fields(receiver) * largest, what)
    elif name == "format_map" and args and isinstance(args[0], Mapping):
        largest = max((_text_size(v) for v in list(args[0].values())[:1000]), default=0)
        _check_estimate(len(receiver) + _format_fields(receiver) * largest, what)
    elif name == "indent":
        width = args[0] if args else kwargs.get("width", 4)
        width = len(width) if isinstance(width, str) else width
        if isinstance(width, int):
            _check_estimate(len(receiver) + (receiver.count("\n") + 1) * width, what)
    return args


def _check_join(separator: Any, items: Any) -> Any:
    """``separator.join(items)`` in budget; ``items`` read into a list when it is a generator."""
    if not hasattr(items, "__len__"):
        items = list(_budget().iterate(items))
    size = len(separator) if isinstance(separator, str) else 0
    _check_estimate(size * len(items) + sum(_text_size(v) for v in list(items)[:100_000]),
                    "join()")
    return items


def _checked_pow(left: Any, right: Any) -> Any:
    if isinstance(left, int) and isinstance(right, int) and right > 0 and abs(left) > 1:
        bits = right * math.log2(abs(left))
        if bits > MAX_INT_BITS:
            raise BudgetExceeded(f"{left} ** {right} has more than {MAX_INT_BITS:,} bits")
    return operator.pow(left, right)


def _checked_mul(left: Any, right: Any) -> Any:
    for seq, count in ((left, right), (right, left)):
        if isinstance(seq, str | bytes | list | tuple) and isinstance(count, int):
            if len(seq) * max(count, 0) > MAX_CHARS:
                raise BudgetExceeded(f"repeating {len(seq):,} items {count:,} times is larger "
                                     f"than {MAX_CHARS:,}")
            return operator.mul(left, right)
    if (isinstance(left, int) and isinstance(right, int)
            and left.bit_length() + right.bit_length() > MAX_INT_BITS):
        raise BudgetExceeded(f"a product of more than {MAX_INT_BITS:,} bits")
    return operator.mul(left, right)


def _checked_mod(left: Any, right: Any) -> Any:
    if isinstance(left, str):
        _check_printf(left, right)
    return operator.mod(left, right)


class _Budgeted(NodeTransformer):
    """Rewrites a parsed template so every loop, output and built value is counted."""

    @staticmethod
    def _wrap(node: nodes.Expr, name: str) -> nodes.Filter:
        return nodes.Filter(node, name, [], [], None, None, lineno=node.lineno)

    def visit_For(self, node: nodes.For) -> nodes.For:
        node = self.generic_visit(node)
        node.iter = self._wrap(node.iter, "_em_iter")
        return node

    def visit_Output(self, node: nodes.Output) -> nodes.Output:
        node = self.generic_visit(node)
        node.nodes = [self._wrap(child, "_em_out") for child in node.nodes]
        return node

    def visit_Concat(self, node: nodes.Concat) -> nodes.Filter:
        return self._wrap(self.generic_visit(node), "_em_value")

    def visit_List(self, node: nodes.List) -> nodes.Filter:
        return self._wrap(self.generic_visit(node), "_em_value")

    def visit_Dict(self, node: nodes.Dict) -> nodes.Filter:
        return self._wrap(self.generic_visit(node), "_em_value")

    def visit_Tuple(self, node: nodes.Tuple) -> nodes.Node:
        node = self.generic_visit(node)
        return self._wrap(node, "_em_value") if node.ctx == "load" else node


@pass_context
def _em_iter(context: Any, iterable: Any) -> Iterator[Any]:
    return _budget().iterate(iterable)


@pass_context
def _em_out(context: Any, value: Any) -> str:
    budget = _budget()
    if not isinstance(value, str):
        budget.check_value(value, "an output value")
        value = str(value)
    return budget.output(value)


@pass_context
def _em_value(context: Any, value: Any) -> Any:
    return _budget().check_value(value)


def _budgeted_filter(name: str, function: Callable[..., Any]) -> Callable[..., Any]:
    skip = 1 if getattr(function, "jinja_pass_arg", None) is not None else 0

    @functools.wraps(function)  # keeps jinja_pass_arg, so jinja passes the same arguments
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        budget = _budget()
        budget.step()
        if len(args) > skip:
            value, rest = args[skip], args[skip + 1:]
            if name == "format":
                _check_printf(value, kwargs or rest)
            elif name == "join":
                separator = rest[0] if rest else kwargs.get("d", "")
                value = _check_join(separator, value)
            else:
                rest = _check_str_call(name, value, rest, kwargs)
            args = (*args[:skip], value, *rest)
        return budget.check_value(function(*args, **kwargs), f"the result of filter {name!r}")

    return wrapper


class BudgetedSandbox(ImmutableSandboxedEnvironment):
    """The immutable sandbox with every loop, call, output and built value counted."""

    intercepted_binops = frozenset({"*", "**", "%", "+"})

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.binop_table = {**self.binop_table, "*": _checked_mul, "**": _checked_pow,
                            "%": _checked_mod}
        self.globals.pop("lipsum", None)  # generates text by the paragraph: nothing a prompt needs
        self.filters = {name: _budgeted_filter(name, f) for name, f in self.filters.items()}
        self.filters.update(_em_iter=_em_iter, _em_out=_em_out, _em_value=_em_value)

    def _parse(self, source: str, name: str | None, filename: str | None) -> nodes.Template:
        return _Budgeted().visit(super()._parse(source, name, filename))

    def call_binop(self, context: Any, operator_name: str, left: Any, right: Any) -> Any:
        budget = _budget()
        budget.step()
        return budget.check_value(super().call_binop(context, operator_name, left, right))

    def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        budget = _budget()
        budget.step()
        target = getattr(__obj, "__wrapped__", __obj)  # the sandbox wraps str.format
        owner = getattr(target, "__self__", None)
        if isinstance(owner, str | bytes | bytearray):  # "x".ljust(n), "{0}{0}".format(s), ...
            method = getattr(target, "__name__", "")
            if method == "join" and len(args) == 1:
                args = (_check_join(owner, args[0]),)
            else:
                args = _check_str_call(method, owner, args, kwargs)
        if isinstance(__obj, LoopContext) and args:  # a recursive loop's next level
            args = (budget.iterate(args[0]), *args[1:])
        budget.depth += 1
        try:
            if budget.depth > MAX_CALL_DEPTH:
                raise BudgetExceeded(f"calls nest more than {MAX_CALL_DEPTH} deep "
                                     "(a macro calling itself?)")
            result = super().call(__context, __obj, *args, **kwargs)
        finally:
            budget.depth -= 1
        return budget.check_value(result, "the result of a call")


_ENVIRONMENT = BudgetedSandbox(autoescape=False, keep_trailing_newline=True)


class Prompt:
    """One task's compiled prompt template."""

    __slots__ = ("_template", "source", "task")

    def __init__(self, task: str, source: str):
        self.task = task
        self.source = source
        try:
            self._template = _ENVIRONMENT.from_string(source)
        except TemplateError as error:
            raise PromptError(task, f"invalid template: {error}") from None
        except RecursionError:
            raise PromptError(task, "invalid template: nested too deeply") from None

    def render(
        self,
        input: Any,
        context: Mapping[str, Any] | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> str:
        """The prompt for ``input``; :class:`PromptError` on a sandbox, template or budget error."""
        variables = dict(context) if context else {}
        if extra:
            variables.update(extra)
        variables["context"] = context if context is not None else {}
        variables["input"] = input
        token = _BUDGET.set(RenderBudget())
        try:
            return self._template.render(variables)
        except BudgetExceeded as error:
            raise PromptError(self.task, f"over its budget: {error}") from None
        except TemplateError as error:
            raise PromptError(self.task, f"{type(error).__name__}: {error}") from None
        except Exception as error:  # a filter or test raised inside the template
            raise PromptError(self.task, f"{type(error).__name__}: {error}") from None
        finally:
            _BUDGET.reset(token)


def compile_prompt(task: str, source: str | None) -> Prompt:
    """Compile ``source`` for ``task``; no prompt renders the input as JSON-ish text."""
    return Prompt(task, source if source is not None else "{{ input }}")
