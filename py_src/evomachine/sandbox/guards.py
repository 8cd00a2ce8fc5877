"""Run-time guards: attribute/item/write access, size-checked operators and builtins.

Everything here is bound to one :class:`~.budget.Meter`. A refused operation
trips the meter (a ``Trip`` the generated code cannot catch) instead of raising
an ordinary exception, so a probe that fails still fails the whole call.
The guards of built-in methods that grow or format (``str.join``, ``str.format``,
``list.extend`` ...) and the sandbox's ``str`` are in :mod:`.method_guards`.
"""

from __future__ import annotations

import operator
import re
from collections import deque
from collections.abc import Callable
from typing import Any

from RestrictedPython.Guards import guarded_iter_unpack_sequence, guarded_unpack_sequence

from .budget import Meter, range_length
from .errors import BudgetExceeded, SandboxViolation
from .method_guards import SafeFormatter, make_safe_str, method_guards
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
        self.formatter = SafeFormatter(self)
        self.safe_str = make_safe_str(self)
        self._methods = method_guards(self)
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
                if not hasattr(b, "__len__"):  # a generator or iterator: list += takes any
                    b = list(b)
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
    def str(self, *args: Any, **kwargs: Any) -> str:
        if len(args) == 1 and not kwargs and type(args[0]) is str:
            return args[0]  # what str() returns for a str: the same object
        shown = args[0] if args else kwargs.get("object")
        if not isinstance(shown, (str, int, float, bool, type(None))):
            self.bounded(shown, "str()")
        result = str(*args, **kwargs)
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


_MISSING_ATTR = object()


def guarded_unpacking() -> dict[str, Any]:
    """RestrictedPython's unpacking helpers (they iterate through ``_getiter_``)."""
    return {
        "_iter_unpack_sequence_": guarded_iter_unpack_sequence,
        "_unpack_sequence_": guarded_unpack_sequence,
    }
