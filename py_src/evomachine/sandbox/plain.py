"""Bounded deep copies into plain data: what crosses the sandbox boundary, either way.

Inputs are copied so generated code never holds a host object; results are
copied so the host never holds a sandbox object (no custom ``__eq__`` or class
leaks out). The copy is bounded in nodes and depth, so a result built as a
shared DAG (``x = [x, x]`` sixty times) is refused instead of expanded.
"""

from __future__ import annotations

import math
from typing import Any

SCALARS = (str, int, float, bool, type(None))


class PlainDataError(ValueError):
    """The value is not plain data (or is too big / too deep to copy)."""


def to_plain(
    value: Any,
    *,
    max_nodes: int = 1_000_000,
    max_depth: int = 100,
    allow_nan: bool = True,
    json_keys: bool = False,
    host: bool = False,
) -> Any:
    """Copy ``value`` into fresh dict/list/tuple/str/int/float/bool/None objects.

    ``json_keys`` turns tuples into lists and number keys into strings (JSON's view);
    ``host`` also accepts pydantic models (dumped), for values coming from the host.
    """
    budget = [max_nodes]

    def scalar(x: Any) -> Any:
        if x is None or x is True or x is False:
            return x
        if isinstance(x, str):
            return x if type(x) is str else str.__str__(x)
        if isinstance(x, int):
            return int(x)
        if isinstance(x, float):
            if not allow_nan and not math.isfinite(x):
                raise PlainDataError(f"non-finite float {x!r}")
            return float(x)
        return _NOT_SCALAR

    def copy(x: Any, depth: int) -> Any:
        budget[0] -= 1
        if budget[0] < 0:
            raise PlainDataError(f"more than {max_nodes:,} values")
        s = scalar(x)
        if s is not _NOT_SCALAR:
            return s
        if depth >= max_depth:
            raise PlainDataError(f"nested deeper than {max_depth}")
        if isinstance(x, dict):
            out: dict[Any, Any] = {}
            for k, v in dict.items(x):
                key = scalar(k)
                if key is _NOT_SCALAR:
                    if json_keys or not isinstance(k, tuple):
                        raise PlainDataError(f"dict key of type {type(k).__name__}")
                    key = copy(k, depth + 1)
                elif json_keys and not isinstance(key, str):
                    if isinstance(key, bool) or key is None:
                        raise PlainDataError(f"dict key {key!r} is not a string")
                    key = str(key)
                out[key] = copy(v, depth + 1)
            return out
        if isinstance(x, list):
            return [copy(v, depth + 1) for v in list.__iter__(x)]
        if isinstance(x, tuple):
            items = [copy(v, depth + 1) for v in tuple.__iter__(x)]
            return items if json_keys else tuple(items)
        dump = getattr(type(x), "model_dump", None)  # pydantic models from the host
        if dump is not None and host:
            return copy(dump(x, mode="json"), depth)
        raise PlainDataError(f"value of type {type(x).__name__} is not plain data")

    return copy(value, 0)


_NOT_SCALAR = object()
