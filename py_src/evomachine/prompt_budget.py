"""The counted budget of one prompt render, and the checks that keep values within it.

:class:`RenderBudget` counts what one render spends (steps, characters output,
call depth) and measures every value built; the ``check_*`` and ``checked_*``
functions refuse, before they run, the operations that could allocate a huge
value in one go (``*`` by a count, ``**``, ``%`` and ``format`` widths, string
methods that multiply sizes). The budget of the render under way is
:data:`BUDGET`; :mod:`evomachine.prompts` sets it and its sandbox calls these
checks. Going over raises :class:`BudgetExceeded`.
"""

from __future__ import annotations

import math
import operator
import re
import string
from collections.abc import Iterable, Iterator, Mapping
from contextvars import ContextVar
from typing import Any

MAX_STEPS = 200_000
MAX_CHARS = 1_000_000
MAX_NESTING = 64
MAX_CALL_DEPTH = 40
MAX_INT_BITS = 64_000  # about 19,000 decimal digits; more cannot be printed anyway
#: Longest prompt template accepted. jinja's parse and compile take memory and time in
#: proportion: 1.4 MB of ``{{ a }}`` took 10 s and 1.8 GB (red team rt11); 100,000
#: characters are about 25,000 tokens, past what a prompt for one task needs.
MAX_TEMPLATE_CHARS = 100_000


def template_too_long(source: str) -> str | None:
    """Why ``source`` is too long to be a prompt template, or None."""
    if len(source) <= MAX_TEMPLATE_CHARS:
        return None
    return (f"the prompt is {len(source):,} characters long; at most {MAX_TEMPLATE_CHARS:,} "
            "are accepted")


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


BUDGET: ContextVar[RenderBudget | None] = ContextVar("evomachine_prompt_budget", default=None)


def current_budget() -> RenderBudget:
    budget = BUDGET.get()
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
        return 4 * current_budget().sizes.get(id(value), (len(value) * 4,))[0] + 2
    return 24


_PRINTF_SPEC = re.compile(r"%(?:\([^)]*\))?[-#0 +]*(\*|\d+)?(?:\.(\*|\d+))?[a-zA-Z%]")
_DIGITS = re.compile(r"\d+")


def check_printf(template: Any, values: Any) -> None:
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


def check_str_call(name: str, receiver: Any, args: tuple[Any, ...],
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


def check_join(separator: Any, items: Any) -> Any:
    """``separator.join(items)`` in budget; ``items`` read into a list when it is a generator."""
    if not hasattr(items, "__len__"):
        items = list(current_budget().iterate(items))
    size = len(separator) if isinstance(separator, str) else 0
    _check_estimate(size * len(items) + sum(_text_size(v) for v in list(items)[:100_000]),
                    "join()")
    return items


def checked_pow(left: Any, right: Any) -> Any:
    if isinstance(left, int) and isinstance(right, int) and right > 0 and abs(left) > 1:
        bits = right * math.log2(abs(left))
        if bits > MAX_INT_BITS:
            raise BudgetExceeded(f"{left} ** {right} has more than {MAX_INT_BITS:,} bits")
    return operator.pow(left, right)


def checked_mul(left: Any, right: Any) -> Any:
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


def checked_mod(left: Any, right: Any) -> Any:
    if isinstance(left, str):
        check_printf(left, right)
    return operator.mod(left, right)
