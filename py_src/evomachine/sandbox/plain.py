"""Bounded deep copies into plain data: what crosses the sandbox boundary, either way.

Inputs are copied so generated code never holds a host object; results are
copied so the host never holds a sandbox object (no custom ``__eq__`` or class
leaks out). The copy is bounded in nodes and depth, so a result built as a
shared DAG (``x = [x, x]`` sixty times) is refused instead of expanded.
Exact ``str``/``int``/``bool``/``None``/``dict``/``list`` are checked by type first:
they are nearly everything that crosses, and every call copies its arguments.
"""

from __future__ import annotations

import json
import math
from typing import Any

SCALARS = (str, int, float, bool, type(None))
_IMMUTABLE = frozenset({str, int, bool, type(None)})


class PlainDataError(ValueError):
    """The value is not plain data (or is too big / too deep to copy)."""


class _Copier:
    __slots__ = ("allow_nan", "host", "json_keys", "left", "max_depth", "max_nodes")

    def __init__(self, max_nodes: int, max_depth: int, allow_nan: bool, json_keys: bool,
                 host: bool) -> None:
        self.left = self.max_nodes = max_nodes
        self.max_depth = max_depth
        self.allow_nan = allow_nan
        self.json_keys = json_keys
        self.host = host

    def scalar(self, x: Any) -> Any:
        if x is None or x is True or x is False:
            return x
        if isinstance(x, str):
            return x if type(x) is str else str.__str__(x)
        if isinstance(x, int):
            return int(x)
        if isinstance(x, float):
            if not self.allow_nan and not math.isfinite(x):
                raise PlainDataError(f"non-finite float {x!r}")
            return float(x)
        return _NOT_SCALAR

    def key(self, k: Any, depth: int) -> Any:
        if type(k) is str:
            return k
        key = self.scalar(k)
        if key is _NOT_SCALAR:
            if self.json_keys or not isinstance(k, tuple):
                raise PlainDataError(f"dict key of type {type(k).__name__}")
            return self.copy(k, depth + 1)
        if self.json_keys and not isinstance(key, str):
            if isinstance(key, bool) or key is None:
                raise PlainDataError(f"dict key {key!r} is not a string")
            return str(key)
        return key

    def copy(self, x: Any, depth: int) -> Any:
        self.left -= 1
        if self.left < 0:
            raise PlainDataError(f"more than {self.max_nodes:,} values")
        return self.counted(x, depth)

    def counted(self, x: Any, depth: int) -> Any:
        """:meth:`copy` of ``x``, which is counted already.

        An exact dict or list counts its items at once, and its exact str, int, bool and
        None items are taken as they are, without a call each: every value is still counted
        once, and checked where it is not one of those.
        """
        kind = type(x)
        if kind in _IMMUTABLE or (kind is float and (self.allow_nan or x - x == 0.0)):
            return x  # (x - x is 0.0 for a finite float, NaN for inf and NaN)
        if kind is dict or kind is list:
            if depth >= self.max_depth:
                raise PlainDataError(f"nested deeper than {self.max_depth}")
            self.left -= len(x)
            if self.left < 0:
                raise PlainDataError(f"more than {self.max_nodes:,} values")
            counted, inner, plain = self.counted, depth + 1, _IMMUTABLE
            if kind is list:
                return [v if type(v) in plain else counted(v, inner) for v in list.__iter__(x)]
            key = self.key
            return {k if type(k) is str else key(k, depth):
                    v if type(v) in plain else counted(v, inner) for k, v in dict.items(x)}
        s = self.scalar(x)
        if s is not _NOT_SCALAR:
            return s
        if depth >= self.max_depth:
            raise PlainDataError(f"nested deeper than {self.max_depth}")
        copy = self.copy
        if isinstance(x, dict):
            key = self.key
            return {key(k, depth): copy(v, depth + 1) for k, v in dict.items(x)}
        if isinstance(x, list):
            return [copy(v, depth + 1) for v in list.__iter__(x)]
        if isinstance(x, tuple):
            items = [copy(v, depth + 1) for v in tuple.__iter__(x)]
            return items if self.json_keys else tuple(items)
        dump = getattr(kind, "model_dump", None)  # pydantic models from the host
        if dump is not None and self.host:
            return copy(dump(x, mode="json"), depth)
        raise PlainDataError(f"value of type {kind.__name__} is not plain data")


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
    if type(value) in _IMMUTABLE:
        return value
    return _Copier(max_nodes, max_depth, allow_nan, json_keys, host).copy(value, 0)


def _json_encoder() -> Any:
    """Compact ASCII JSON with NaN refused: the C encoder, made once (``json.dumps`` with
    options builds an encoder per call). No cycle check: plain data is a tree."""
    try:
        from json.encoder import c_make_encoder, encode_basestring_ascii

        chunks = c_make_encoder(None, None, encode_basestring_ascii, None, ":", ",",
                                False, False, False)
        return lambda value: "".join(chunks(value, 0))
    except (ImportError, TypeError):  # pragma: no cover - a json without its C accelerator
        return json.JSONEncoder(separators=(",", ":"), allow_nan=False).encode


to_json = _json_encoder()
"""``json.dumps(value, allow_nan=False, separators=(",", ":"))`` of plain data."""

_NOT_SCALAR = object()
