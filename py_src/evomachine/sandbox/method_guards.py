"""Method guards: the methods of built-in types that grow or format, the sandbox's ``str``.

:func:`method_guards` gives, per type, the guarded version of each method that can
build a large value from a small call (``str.ljust``, ``str.join``, ``str.replace``,
``list.extend``, ``int.to_bytes`` ...) or reach attributes through a format string
(``str.format``, through :class:`SafeFormatter`). :func:`make_safe_str` is the
``str`` generated code sees. Everything charges or trips the one
:class:`~.guards.Guards` it is bound to.
"""

from __future__ import annotations

import re
import string
from _string import formatter_field_name_split  # type: ignore[import-not-found]
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .guards import Guards


def method_guards(g: Guards) -> dict[type, dict[str, Callable[[Any], Any]]]:
    """The guards of the methods that grow or format, by type: ``{type: {name: bind}}``,
    where ``bind(ob)`` gives the guarded method of ``ob`` (or of the class ``ob``)."""
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

    def translate_size(s: Any, table: Any, *rest: Any, **options: Any) -> int:
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
    extend = _extend_method(g)
    list_methods = {"extend": extend}
    deque_methods = {"extend": extend, "extendleft": _extend_method(g, "extendleft")}
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


def _extend_method(g: Guards, name: str = "extend") -> Callable[[Any], Any]:
    """``extend`` (or a deque's ``extendleft``, ``name``) of a list or deque: the grown length
    is charged before it grows."""

    def bind(seq: Any) -> Any:
        if isinstance(seq, type):  # list.extend(a, items): the unbound form
            return lambda self_, items: bind(self_)(items)
        method = getattr(seq, name)

        def extend(items: Any) -> None:
            if not hasattr(items, "__len__"):
                items = list(items)
            g.sized(len(seq) + len(items), name)
            method(items)
        return extend
    return bind


def make_safe_str(guards: Guards) -> type:
    """The sandbox's ``str``: ``str(x)`` is size-checked, ``isinstance(x, str)`` still works."""

    class SafeStrMeta(type):
        def __instancecheck__(cls, instance: Any) -> bool:
            return isinstance(instance, str)

        def __subclasscheck__(cls, subclass: Any) -> bool:
            return issubclass(subclass, str)

        def __call__(cls, *args: Any, **kwargs: Any) -> str:  # type: ignore[override]
            return guards.str(*args, **kwargs)

        def __getattr__(cls, name: str) -> Any:
            return getattr(str, name)

    return SafeStrMeta("str", (), {"__slots__": ()})


class SafeFormatter(string.Formatter):
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
