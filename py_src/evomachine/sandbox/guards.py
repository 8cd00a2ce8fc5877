"""Run-time guards: attribute/item/write access, size-checked operators and growing methods.

Everything here is bound to one :class:`~.budget.Meter`. A refused operation
trips the meter (a ``Trip`` the generated code cannot catch) instead of raising
an ordinary exception, so a probe that fails still fails the whole call.
"""

from __future__ import annotations

import operator
import re
import string
from _string import formatter_field_name_split  # type: ignore[import-not-found]
from collections import deque
from collections.abc import Callable
from typing import Any

from RestrictedPython.Guards import guarded_iter_unpack_sequence, guarded_unpack_sequence

from .budget import Meter, range_length
from .errors import BudgetExceeded, SandboxViolation
from .policy import FORBIDDEN_ATTRIBUTES

SEQUENCES = (str, bytes, list, tuple, deque)
SMALL = 256  # results up to this size are not charged to the allocation budget
_PERCENT_SPEC = re.compile(r"%(?:\([^)]*\))?[-#0 +]*(\*|\d+)?(?:\.(\*|\d+))?")
_SPEC_NUMBERS = re.compile(r"\d+")
_IOPS: dict[str, Callable[[Any, Any], Any]] = {
    "-=": operator.isub, "/=": operator.itruediv, ">>=": operator.irshift,
    "|=": operator.ior, "^=": operator.ixor, "&=": operator.iand,
    "//=": operator.ifloordiv, "@=": operator.imatmul,
}  # fmt: skip
_MISSING = object()


class Guards:
    """The guard functions for one sandboxed module, bound to its meter."""

    def __init__(self, meter: Meter, module_name: str) -> None:
        self.meter = meter
        self.module_name = module_name
        self.formatter = _SafeFormatter(self)
        self.safe_str = _make_safe_str(self)
        self._methods = self._method_guards()
        self._methods[self.safe_str] = self._methods[str]
        self._plain: set[tuple[type, str]] = set()

    # -- helpers ---------------------------------------------------------------
    def deny(self, reason: str) -> None:
        self.meter.trip(SandboxViolation, reason)

    def over(self, reason: str) -> None:
        self.meter.trip(BudgetExceeded, reason)

    def sized(self, size: int, what: str) -> None:
        """Charge ``size`` items to the allocation budget (small sizes are free)."""
        if size > SMALL:
            self.meter.charge(size, what)

    def check_width(self, spec: str, what: str) -> None:
        limit = self.meter.budget().max_size
        for number in _SPEC_NUMBERS.findall(spec):
            if len(number) > 7 or int(number) > limit:
                self.over(f"{what} width {number} is over {limit:,}")

    # -- attribute, item, write access ---------------------------------------
    def getattr(self, ob: Any, name: str, default: Any = _MISSING) -> Any:
        if type(name) is not str:
            raise TypeError("attribute name must be a string")
        if (type(ob), name) not in self._plain:
            if name[:1] == "_" or name in FORBIDDEN_ATTRIBUTES:
                self.deny(f"access to attribute {name!r} is not allowed")
            is_type = isinstance(ob, type)
            kind = ob if is_type else type(ob)
            special = self._methods.get(kind)
            if special is None:
                special = self._inherited(kind)
            if special:
                factory = special.get(name)
                if factory is not None:
                    return factory(ob)
            if not is_type and len(self._plain) < 4_096:
                # An allowed name with no method guard on an instance of this exact type:
                # the same answer every time, so the checks above are skipped next time.
                self._plain.add((kind, name))
        if default is _MISSING:
            return getattr(ob, name)
        return getattr(ob, name, default)

    def _inherited(self, kind: type) -> dict[str, Callable[[Any], Any]]:
        """Method guards for a subclass (e.g. ``class S(str)``), found once and remembered."""
        found: dict[str, Callable[[Any], Any]] = {}
        for base in getattr(kind, "__mro__", ())[1:]:
            if base in self._methods:
                found = self._methods[base]
                break
        if len(self._methods) < 1_000:
            self._methods[kind] = found
        return found

    def hasattr(self, ob: Any, name: str) -> bool:
        return self.getattr(ob, name, _MISSING_ATTR) is not _MISSING_ATTR

    def getitem(self, ob: Any, key: Any) -> Any:
        if type(key) is slice:
            result = ob[key]
            if isinstance(result, SEQUENCES):
                self.sized(len(result), "slice")
            return result
        return ob[key]

    def write(self, ob: Any) -> Any:
        kind = type(ob)
        if isinstance(ob, list):
            return _ListWriter(ob, self)
        if isinstance(ob, dict) or getattr(kind, "__module__", None) == self.module_name:
            return ob
        self.deny(f"cannot modify an object of type {kind.__name__}")
        return None  # pragma: no cover - deny() raises

    # -- size-checked operators ------------------------------------------------
    def mul(self, a: Any, b: Any) -> Any:
        ta, tb = type(a), type(b)
        if ta is float or tb is float:
            return a * b
        if isinstance(a, int) and isinstance(b, int):
            if a.bit_length() + b.bit_length() > self.meter.budget().max_int_bits:
                self.over("integer product too large")
        elif isinstance(b, int) and isinstance(a, SEQUENCES):
            self.sized(len(a) * max(b, 0), "repetition")
        elif isinstance(a, int) and isinstance(b, SEQUENCES):
            self.sized(len(b) * max(a, 0), "repetition")
        return a * b

    def pow(self, a: Any, b: Any, mod: Any = None) -> Any:
        if mod is not None:
            return pow(a, b, mod)
        if (isinstance(a, int) and isinstance(b, int) and b > 0 and abs(a) > 1
                and a.bit_length() * b > self.meter.budget().max_int_bits):
            self.over(f"{a.bit_length()}-bit number to the power {b} is too large")
        return a**b

    def lshift(self, a: Any, b: Any) -> Any:
        if (isinstance(a, int) and isinstance(b, int) and a and b > 0
                and a.bit_length() + b > self.meter.budget().max_int_bits):
            self.over(f"shift by {b} bits is too large")
        return a << b

    def add(self, a: Any, b: Any) -> Any:
        ta = type(a)
        if ta is int or ta is float:
            return a + b
        if ta is str and type(b) is str:
            self.sized(len(a) + len(b), "concatenation")
            return a + b
        if isinstance(a, SEQUENCES) and isinstance(b, SEQUENCES):
            self.sized(len(a) + len(b), "concatenation")
        return a + b

    def mod(self, a: Any, b: Any) -> Any:
        if isinstance(a, str | bytes):
            text = a if isinstance(a, str) else a.decode("latin-1")
            for width, precision in _PERCENT_SPEC.findall(text):
                for n in (width, precision):
                    if n == "*":
                        self.deny("'*' widths in %-formatting are not allowed")
                    if n:
                        self.check_width(n, "%-format")
            self.bounded(b, "%-format")
            result = a % b
            self.sized(len(result), "%-format")
            return result
        return a % b

    def inplacevar(self, op: str, a: Any, b: Any) -> Any:
        ta = type(a)
        if (ta is int or ta is float) and op == "+=":
            return a + b  # numbers grow by at most one bit per addition
        if op == "+=":
            if type(a) is list:
                self.sized(len(a) + len(b), "concatenation")
                a += b
                return a
            return self.add(a, b)
        if op == "*=":
            return self.mul(a, b)
        if op == "**=":
            return self.pow(a, b)
        if op == "<<=":
            return self.lshift(a, b)
        if op == "%=":
            return self.mod(a, b)
        return _IOPS[op](a, b)

    def inplaceitem(self, ob: Any, key: Any, op: str, value: Any) -> None:
        if type(ob) is dict or isinstance(ob, dict):
            ob[key] = self.inplacevar(op, ob[key], value)
            return
        self.write(ob)[key] = self.inplacevar(op, ob[key], value)

    # -- builtins that grow or introspect --------------------------------------
    def str(self, *args: Any) -> str:
        if len(args) == 1 and type(args[0]) is str:
            return args[0]  # what str() returns for a str: the same object
        if args and not isinstance(args[0], (str, int, float, bool, type(None))):
            self.bounded(args[0], "str()")
        result = str(*args)
        self.sized(len(result), "str()")
        return result

    def repr(self, ob: Any) -> str:
        self.bounded(ob, "repr()")
        result = repr(ob)
        self.sized(len(result), "repr()")
        return result

    def format(self, value: Any, spec: str = "") -> str:
        self.check_width(spec, "format()")
        self.bounded(value, "format()")
        return format(value, spec)

    def shown(self, ob: Any) -> Any:
        """An f-string field: text is charged like a concatenation (C joins the fields
        unguarded), containers are size-checked before they are printed."""
        if isinstance(ob, str):
            self.sized(len(ob), "f-string")
        elif not isinstance(ob, (int, float, bool, type(None))):
            self.bounded(ob, "f-string")
        return ob

    def bounded(self, ob: Any, what: str) -> None:
        """Refuse to print a container whose expanded size is over the limit (shared-DAG bombs)."""
        limit = self.meter.budget().max_size
        left = limit
        stack = [ob]
        while stack:
            x = stack.pop()
            if isinstance(x, str | bytes):
                left -= len(x)
            elif isinstance(x, dict):
                left -= len(x)
                stack.extend(x.keys())
                stack.extend(x.values())
            elif isinstance(x, list | tuple | set | frozenset | deque):
                left -= len(x)
                stack.extend(x)
            else:
                left -= 1
            if left < 0:
                self.over(f"{what} of a value that expands past {limit:,} items")

    def type(self, ob: Any) -> Any:
        kind = type(ob)
        if issubclass(kind, type):
            self.deny("type() of a class is not allowed")
        return self.safe_str if kind is str else kind

    def sum(self, iterable: Any, start: Any = 0) -> Any:
        if not isinstance(start, int | float):
            raise TypeError("sum() in generated code adds numbers only; use ''.join or a loop")
        return sum(iterable, start)

    def range(self, *args: int) -> range:
        result = range(*args)
        self.sized(range_length(result), "range")
        return result

    # -- method guards ---------------------------------------------------------
    def _method_guards(self) -> dict[type, dict[str, Callable[[Any], Any]]]:
        g = self

        def width_method(name: str) -> Callable[[Any], Any]:
            def bind(s: Any) -> Any:
                if isinstance(s, type):
                    return lambda self_, *a: bind(self_)(*a)
                method = getattr(s, name)

                def guarded(width: int, *rest: Any) -> Any:
                    g.sized(max(int(width), len(s)), f"str.{name}")
                    return method(width, *rest)
                return guarded
            return bind

        def text_method(name: str, size: Callable[..., int]) -> Callable[[Any], Any]:
            def bind(s: Any) -> Any:
                if isinstance(s, type):
                    return lambda self_, *a, **k: bind(self_)(*a, **k)
                method = getattr(s, name)

                def guarded(*args: Any, **kwargs: Any) -> Any:
                    g.sized(size(s, *args, **kwargs), f"str.{name}")
                    return method(*args, **kwargs)
                return guarded
            return bind

        def join_method(s: Any) -> Any:
            if isinstance(s, type):
                return lambda self_, items: join_method(self_)(items)

            def join(items: Any) -> Any:
                parts = list(items)
                try:  # summed in C; a part that is not text makes join itself raise below
                    total = len(s) * max(len(parts) - 1, 0) + sum(map(len, parts))
                except TypeError:
                    total = 0
                g.sized(total, "str.join")
                return s.join(parts)
            return join

        def format_method(s: Any) -> Any:
            if isinstance(s, type):
                return lambda self_, *a, **k: g.formatter.vformat(self_, a, k)
            return lambda *a, **k: g.formatter.vformat(s, a, k)

        def format_map_method(s: Any) -> Any:
            if isinstance(s, type):
                return lambda self_, mapping: g.formatter.vformat(self_, (), mapping)
            return lambda mapping: g.formatter.vformat(s, (), mapping)

        def replace_size(s: Any, old: Any, new: Any, count: int = -1) -> int:
            hits = len(s) + 1 if not old else s.count(old)
            if count >= 0:
                hits = min(hits, count)
            return len(s) + hits * max(len(new) - len(old), 0)

        def tabs_size(s: Any, tabsize: int = 8) -> int:
            return len(s) * max(tabsize, 1)

        def translate_size(s: Any, table: Any, *rest: Any) -> int:
            if not isinstance(table, dict | bytes | type(None)):
                g.deny("str.translate needs a dict table")
            longest = 1
            if isinstance(table, dict):
                for v in table.values():
                    if isinstance(v, str):
                        longest = max(longest, len(v))
            return len(s) * longest

        def denied(name: str) -> Callable[[Any], Any]:
            def bind(_: Any) -> Any:
                g.deny(f"{name} is not allowed in generated code")
            return bind

        text: dict[str, Callable[[Any], Any]] = {
            name: width_method(name) for name in ("ljust", "rjust", "center", "zfill")
        }
        text.update(
            join=join_method,
            replace=text_method("replace", replace_size),
            expandtabs=text_method("expandtabs", tabs_size),
            translate=text_method("translate", translate_size),
        )
        str_methods = {**text, "format": format_method, "format_map": format_map_method}
        list_methods = {"extend": self._extend}
        deque_methods = {"extend": self._extend, "extendleft": self._extend}
        pattern_methods = {"expand": denied("Match.expand")}

        def to_bytes(n: Any) -> Any:
            if isinstance(n, type):
                return lambda self_, length=1, *a, **k: to_bytes(self_)(length, *a, **k)

            def guarded(length: int = 1, *args: Any, **kwargs: Any) -> Any:
                g.sized(int(length), "int.to_bytes")
                return n.to_bytes(length, *args, **kwargs)
            return guarded
        return {
            str: str_methods,
            bytes: text,
            list: list_methods,
            deque: deque_methods,
            re.Match: pattern_methods,
            int: {"to_bytes": to_bytes},
            bool: {"to_bytes": to_bytes},
            string.Formatter: {"format": denied("string.Formatter"),
                               "vformat": denied("string.Formatter")},
        }

    def _extend(self, seq: Any) -> Any:
        method = seq.extend

        def extend(items: Any) -> None:
            if not hasattr(items, "__len__"):
                items = list(items)
            self.sized(len(seq) + len(items), "extend")
            method(items)
        return extend


def _make_safe_str(guards: Guards) -> type:
    """The sandbox's ``str``: ``str(x)`` is size-checked, ``isinstance(x, str)`` still works."""

    class SafeStrMeta(type):
        def __instancecheck__(cls, instance: Any) -> bool:
            return isinstance(instance, str)

        def __subclasscheck__(cls, subclass: Any) -> bool:
            return issubclass(subclass, str)

        def __call__(cls, *args: Any) -> str:  # type: ignore[override]
            return guards.str(*args)

        def __getattr__(cls, name: str) -> Any:
            return getattr(str, name)

    return SafeStrMeta("str", (), {"__slots__": ()})


class _ListWriter:
    """What ``_write_(some_list)`` returns: item writes pass, growing slice writes are sized."""

    __slots__ = ("_guards", "_ob")

    def __init__(self, ob: list[Any], guards: Guards) -> None:
        self._ob = ob
        self._guards = guards

    def __setitem__(self, key: Any, value: Any) -> None:
        if type(key) is slice:
            value = list(value)
            self._guards.sized(len(self._ob) + len(value), "slice assignment")
        self._ob[key] = value

    def __delitem__(self, key: Any) -> None:
        del self._ob[key]


class _SafeFormatter(string.Formatter):
    """``str.format`` without attribute lookups and with bounded widths (as jinja's sandbox)."""

    def __init__(self, guards: Guards) -> None:
        self.guards = guards

    def get_field(self, field_name: str, args: Any, kwargs: Any) -> Any:
        first, rest = formatter_field_name_split(field_name)
        obj = self.get_value(first, args, kwargs)
        for is_attr, key in rest:
            if is_attr:
                self.guards.deny(f"attribute lookup {key!r} in a format string is not allowed")
            obj = obj[key]
        return obj, first

    def format_field(self, value: Any, format_spec: str) -> Any:
        self.guards.check_width(format_spec, "format")
        self.guards.bounded(value, "format")
        return format(value, format_spec)

    def vformat(self, format_string: str, args: Any, kwargs: Any) -> str:
        result = super().vformat(format_string, args, kwargs)
        self.guards.sized(len(result), "str.format")
        return result


_MISSING_ATTR = object()


def guarded_unpacking() -> dict[str, Any]:
    """RestrictedPython's unpacking helpers (they iterate through ``_getiter_``)."""
    return {
        "_iter_unpack_sequence_": guarded_iter_unpack_sequence,
        "_unpack_sequence_": guarded_unpack_sequence,
    }
