"""Thin read-only proxies of the allow-listed modules.

The real modules are never handed over: ``re.enum.sys`` or ``json.codecs.open``
would reach the host. Each proxy exposes an explicit list of names; functions
that run long in C (regex scans, factorials, infinite iterators) are wrapped.
"""

from __future__ import annotations

import collections
import functools
import itertools
import json
import math
import re
import string
import typing
import unicodedata
from collections.abc import Callable, Iterable
from types import MappingProxyType
from typing import Any

from ..nesting import check_json
from .guards import Guards

_MAX_FACTORIAL = 5_000
_MAX_COMB = 20_000


class SafeModule:
    """A module proxy: attribute reads of the names it was given, nothing else."""

    __slots__ = ("_name", "_names")

    def __init__(self, name: str, names: dict[str, Any]) -> None:
        object.__setattr__(self, "_name", name)
        object.__setattr__(self, "_names", MappingProxyType(dict(names)))

    def __getattr__(self, attr: str) -> Any:
        try:
            return self._names[attr]
        except KeyError:
            raise AttributeError(f"module {self._name!r} has no attribute {attr!r} "
                                 "in the sandbox") from None

    def __setattr__(self, attr: str, value: Any) -> None:
        raise AttributeError(f"module {self._name!r} is read-only")

    def __repr__(self) -> str:
        return f"<sandboxed module {self._name!r}>"


def _pick(module: Any, names: Iterable[str]) -> dict[str, Any]:
    return {name: getattr(module, name) for name in names if hasattr(module, name)}


_RE_FLAGS = ("A", "ASCII", "I", "IGNORECASE", "M", "MULTILINE", "S", "DOTALL", "X", "VERBOSE",
             "U", "UNICODE", "NOFLAG")
_RE_FUNCS = ("search", "match", "fullmatch", "findall", "finditer", "split", "sub", "subn")


def _nested_repeat(items: Any, inside: bool) -> bool:
    """True when an unbounded repeat sits inside another repeat: ``(a+)+``, ``(\\w*\\s?)*``."""
    from re import _constants as c  # type: ignore[attr-defined]

    for op, arg in items:
        if op in (c.MAX_REPEAT, c.MIN_REPEAT, c.POSSESSIVE_REPEAT):
            _low, high, sub = arg
            unbounded = high == c.MAXREPEAT or high > 100
            if (unbounded and inside) or _nested_repeat(sub, inside or high > 1):
                return True
            continue
        if op == c.SUBPATTERN:
            children = [arg[-1]]
        elif op == c.BRANCH:
            children = list(arg[1])
        elif op in (c.ASSERT, c.ASSERT_NOT):
            children = [arg[1]]
        else:
            continue
        if any(_nested_repeat(child, inside) for child in children):
            return True
    return False


def make_re(guards: Guards) -> SafeModule:
    """``re`` with pattern checks (no nested unbounded repeats) and capped input length."""
    from re import _parser  # type: ignore[attr-defined]

    checked: dict[tuple[Any, int], re.Pattern[Any]] = {}

    def compile_(pattern: Any, flags: int = 0) -> re.Pattern[Any]:
        if isinstance(pattern, re.Pattern):
            return pattern
        key = (pattern, int(flags))
        found = checked.get(key)
        if found is None:
            if not isinstance(pattern, str | bytes) or len(pattern) > 2_000:
                guards.deny("regular expressions must be strings under 2,000 chars")
            compiled = re.compile(pattern, flags)
            if _nested_repeat(_parser.parse(pattern, flags), False):
                guards.deny(f"pattern {pattern!r} nests unbounded repeats "
                            "(catastrophic backtracking); rewrite it without them")
            if len(checked) < 512:
                checked[key] = compiled
            found = compiled
        return found

    def scan_len(text: Any) -> None:
        limit = guards.meter.budget().max_regex_input
        if isinstance(text, str | bytes) and len(text) > limit:
            guards.over(f"regex input of {len(text):,} chars is over {limit:,}")

    def sub_size(text: Any, repl: Any) -> None:
        if isinstance(repl, str | bytes):
            per_match = len(repl) + repl.count("\\" if isinstance(repl, str) else b"\\") * len(text)
            guards.sized(len(text) + (len(text) + 1) * per_match, "re.sub")

    def checked_repl(repl: Any) -> Any:
        if not callable(repl):
            return repl

        def call(match: Any) -> Any:
            out = repl(match)
            if isinstance(out, str | bytes):
                guards.sized(len(out), "re.sub replacement")
            return out
        return call

    def pattern_method(name: str) -> Callable[[Any], Any]:
        def bind(pattern: Any) -> Any:
            if isinstance(pattern, type):  # re.Pattern.search(p, text): check text all the same
                return lambda self_, *a, **k: bind(self_)(*a, **k)
            method = getattr(pattern, name)
            if name in ("sub", "subn"):
                def sub(repl: Any, text: Any, *args: Any, **kwargs: Any) -> Any:
                    scan_len(text)
                    sub_size(text, repl)
                    return method(checked_repl(repl), text, *args, **kwargs)
                return sub

            def scan(text: Any, *args: Any, **kwargs: Any) -> Any:
                scan_len(text)
                result = method(text, *args, **kwargs)
                return guards.meter.getiter(result) if name == "finditer" else result
            return scan
        return bind

    guards._methods[re.Pattern] = {name: pattern_method(name) for name in _RE_FUNCS}

    def module_func(name: str) -> Callable[..., Any]:
        def call(pattern: Any, *args: Any, **kwargs: Any) -> Any:
            flags = kwargs.pop("flags", 0)
            compiled = compile_(pattern, flags)
            return pattern_method(name)(compiled)(*args, **kwargs)
        call.__name__ = name
        return call

    names: dict[str, Any] = {name: module_func(name) for name in _RE_FUNCS}
    names.update(_pick(re, _RE_FLAGS))
    names.update(compile=compile_, escape=re.escape, error=re.error)
    return SafeModule("re", names)


def make_math(guards: Guards) -> SafeModule:
    """``math`` with capped factorial/comb/perm and a size-checked prod."""
    names = {n: getattr(math, n) for n in dir(math) if not n.startswith("_")}

    def factorial(n: int) -> int:
        if n > _MAX_FACTORIAL:
            guards.over(f"factorial({n}) is too large (limit {_MAX_FACTORIAL})")
        return math.factorial(n)

    def comb(n: int, k: int) -> int:
        if n > _MAX_COMB:
            guards.over(f"comb({n}, …) is too large (limit {_MAX_COMB})")
        return math.comb(n, k)

    def perm(n: int, k: int | None = None) -> int:
        if n > _MAX_FACTORIAL:
            guards.over(f"perm({n}, …) is too large (limit {_MAX_FACTORIAL})")
        return math.perm(n, k)

    def prod(iterable: Iterable[Any], *, start: Any = 1) -> Any:
        result = start
        for item in guards.meter.getiter(iterable):
            result = guards.mul(result, item)
        return result

    names.update(factorial=factorial, comb=comb, perm=perm, prod=prod)
    return SafeModule("math", names)


def make_itertools(guards: Guards) -> SafeModule:
    """``itertools`` whose iterators tick once per item (``count()`` ends with the budget)."""
    getiter = guards.meter.getiter

    def wrap(func: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(func)
        def call(*args: Any, **kwargs: Any) -> Any:
            return getiter(func(*args, **kwargs))
        return call

    def tee(iterable: Iterable[Any], n: int = 2) -> tuple[Any, ...]:
        if n > 100:
            guards.over("tee() of more than 100 copies")
        return tuple(getiter(it) for it in itertools.tee(iterable, n))

    names = {
        name: wrap(getattr(itertools, name))
        for name in ("accumulate", "batched", "chain", "combinations",
                     "combinations_with_replacement", "compress", "count", "cycle",
                     "dropwhile", "filterfalse", "groupby", "islice", "pairwise",
                     "permutations", "product", "repeat", "starmap", "takewhile",
                     "zip_longest")
        if hasattr(itertools, name)
    }
    chain, from_iterable = wrap(itertools.chain), wrap(itertools.chain.from_iterable)

    class Chain:
        """``itertools.chain``: callable, with ``from_iterable``."""

        __slots__ = ()

        def __call__(self, *iterables: Any) -> Any:
            return chain(*iterables)

        @property
        def from_iterable(self) -> Any:
            return from_iterable

    names["chain"] = Chain()
    names["tee"] = tee
    return SafeModule("itertools", names)


def make_collections(guards: Guards) -> SafeModule:
    """``collections`` with a ``Counter`` whose ``elements()`` ticks per item."""
    getiter = guards.meter.getiter

    class Counter(collections.Counter):  # type: ignore[type-arg]
        def elements(self) -> Any:
            # Charge the total up front: on wasm32 a huge count overflows inside C first.
            guards.sized(sum(n for n in self.values() if isinstance(n, int) and n > 0),
                         "Counter.elements")
            return getiter(super().elements())

    guards._methods[Counter] = {}
    names = _pick(collections, ("defaultdict", "OrderedDict", "deque", "namedtuple", "ChainMap"))
    names["Counter"] = Counter
    return SafeModule("collections", names)


def make_modules(guards: Guards) -> dict[str, SafeModule]:
    """All allow-listed modules, keyed by import name."""
    def loads(text: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(text, str | bytes | bytearray):
            check_json(text)  # nesting deep enough to exhaust Pyodide's stack is refused
        return json.loads(text, *args, **kwargs)

    safe_json = SafeModule("json", {
        "loads": loads, "JSONDecodeError": json.JSONDecodeError,
        "dumps": lambda obj, **kw: _dumps(guards, obj, **kw),
    })
    return {
        "re": make_re(guards),
        "math": make_math(guards),
        "json": safe_json,
        "string": SafeModule("string", {
            **_pick(string, ("ascii_letters", "ascii_lowercase", "ascii_uppercase", "digits",
                             "hexdigits", "octdigits", "punctuation", "printable",
                             "whitespace", "capwords")),
        }),
        "collections": make_collections(guards),
        "itertools": make_itertools(guards),
        "functools": SafeModule("functools", _pick(functools, (
            "reduce", "partial", "cmp_to_key", "lru_cache", "cache"))),
        "unicodedata": SafeModule("unicodedata", {
            n: getattr(unicodedata, n) for n in dir(unicodedata) if not n.startswith("_")
            and n != "ucd_3_2_0"}),
        "typing": SafeModule("typing", _pick(typing, (
            "Any", "Literal", "Optional", "Union", "TypedDict", "Final", "Mapping",
            "Sequence", "Iterable", "Callable", "NamedTuple"))),
    }


_DUMPS_OPTIONS = frozenset({"indent", "sort_keys", "separators", "ensure_ascii", "default",
                            "allow_nan", "skipkeys"})


def _dumps(guards: Guards, obj: Any, **kwargs: Any) -> str:
    if not _DUMPS_OPTIONS.issuperset(kwargs):
        guards.deny(f"json.dumps options {sorted(set(kwargs) - _DUMPS_OPTIONS)} are not allowed")
    guards.bounded(obj, "json.dumps")
    indent = kwargs.get("indent")
    if isinstance(indent, int) and indent > 16:
        guards.over("json.dumps indent over 16")
    result = json.dumps(obj, **kwargs)
    guards.sized(len(result), "json.dumps")
    return result
