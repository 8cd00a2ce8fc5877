"""Serializers turn values into text and back; stores only ever see text.

Kept apart from the stores (as langgraph keeps ``serde`` apart from its
checkpointers) so every backend reads back exactly what another wrote.
"""

from __future__ import annotations

import json
from typing import Any, Protocol

from .. import nesting
from .errors import SerializationError

MAX_DOCUMENT_CHARS = 256 * 1024 * 1024
"""The longest text one stored value may become: half of V8's longest string (about 537 M
characters). Pyodide hands a longer Python string to JavaScript as an empty one, so
IndexedDB stored ``""`` over the good document and nothing said so; past this, the write
is refused and the document stored before stays."""


class Serializer(Protocol):
    """Turns a value into text (``dumps``) and text back into a value (``loads``)."""

    def dumps(self, value: Any) -> str: ...

    def loads(self, text: str) -> Any: ...


def _default(value: Any) -> Any:
    # pydantic models by their dump method, so importing storage does not load pydantic
    dump = getattr(value, "model_dump", None)
    if callable(dump):
        return dump(mode="json")
    if isinstance(value, (set, frozenset)):
        return sorted(value)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


class JsonSerializer:
    """JSON with unicode kept as is; pydantic models are stored as their JSON dump.

    JSON values (``None``, bools, ints, floats, strings, lists, dicts with string
    keys) read back equal and of the same type: ``0``, ``0.0``, ``False``, ``""``
    and ``[]`` stay distinct. Tuples read back as lists, models as dicts.
    """

    def __init__(self, max_chars: int = MAX_DOCUMENT_CHARS) -> None:
        self.max_chars = max_chars

    def dumps(self, value: Any) -> str:
        try:
            text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=_default)
            if not text.isascii():
                try:
                    text.encode("utf-8")
                except UnicodeEncodeError:  # a lone surrogate (from JSON's \ud800): escaped
                    text = json.dumps(value, separators=(",", ":"), default=_default)
        except (TypeError, ValueError) as error:
            raise SerializationError(
                f"cannot store {type(value).__name__}: {error}; store JSON values "
                "(dict, list, str, int, float, bool, None) or a pydantic model"
            ) from error
        if len(text) > self.max_chars:
            raise SerializationError(
                f"cannot store a {type(value).__name__} of {len(text):,} characters: one stored "
                f"value holds at most {self.max_chars:,}")
        return text

    def loads(self, text: str) -> Any:
        try:
            return nesting.loads(text)
        except ValueError as error:
            raise SerializationError(f"stored text is not JSON ({error}): {text[:80]!r}") from error
