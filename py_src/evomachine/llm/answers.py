"""Answer parsing: a task's declared ``output`` as a JSON schema, and model text as a value.

``output_schema_for(node)`` reads a Task node's ``output`` attribute;
``parse_answer(text, schema)`` cleans a model's reply (whitespace, code
fences, surrounding quotes, an ``Answer:`` prefix, a trailing full stop) and
validates it. It is deliberately strict: a reply that is not exactly one
allowed value raises :class:`AnswerError`, which the executor records as a
failed execution. It never searches a sentence for a value it could guess.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from pydantic import ConfigDict, TypeAdapter, ValidationError

from evomachine.model import Identifier, Node

# DSL type name -> JSON schema
TYPE_SCHEMAS: dict[str, dict[str, Any]] = {
    "number": {"type": "number"},
    "float": {"type": "number"},
    "int": {"type": "integer"},
    "integer": {"type": "integer"},
    "string": {"type": "string"},
    "str": {"type": "string"},
    "text": {"type": "string"},
    "boolean": {"type": "boolean"},
    "bool": {"type": "boolean"},
    "object": {"type": "object"},
    "json": {"type": "object"},
    "array": {"type": "array"},
    "list": {"type": "array"},
}

_STRICT = ConfigDict(strict=True)
_ADAPTERS: dict[str, TypeAdapter[Any]] = {
    "number": TypeAdapter(int | float, config=_STRICT),
    "integer": TypeAdapter(int, config=_STRICT),
    "string": TypeAdapter(str),
    "object": TypeAdapter(dict[str, Any]),
    "array": TypeAdapter(list[Any]),
}
_BOOLEANS = {"true": True, "false": False, "yes": True, "no": False}
_FENCE = re.compile(r"^```[\w+-]*[ \t]*\n?(.*?)\n?```$", re.DOTALL)
_PREFIX = re.compile(r"^(?:answer|output|label|result|category)\s*[:=]\s*", re.IGNORECASE)
_QUOTES = ('"', "'", "`", "“”", "‘’")


class AnswerError(ValueError):
    """A model's answer does not fit the task's declared output."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def output_schema_for(node: Node) -> dict[str, Any] | None:
    """The JSON schema of a task's answer, or ``None`` when it declares none.

    ``output<"a" | "b">;`` and ``output: ["a", "b"];`` give ``{"enum": [...]}``;
    ``output<number>;`` (also ``string``, ``integer``, ``boolean``, ``object``,
    ``array``) gives ``{"type": ...}``; a union of literals and types gives
    ``{"anyOf": [...]}``; an unknown type name gives ``None`` (no validation).
    """
    attribute = node.attributes.get("output")
    if attribute is None:
        return None
    value = attribute.value
    if isinstance(value, list):
        values = _plain_list(value)
        return {"enum": values} if values else None
    branches: list[dict[str, Any]] = []
    if attribute.type is not None:
        if attribute.type.literals:
            branches.append({"enum": list(attribute.type.literals)})
        for name in attribute.type.names:
            schema = TYPE_SCHEMAS.get(name.lower())
            if schema is None:
                return None
            branches.append(dict(schema))
    elif isinstance(value, Identifier | str):
        name = value.name if isinstance(value, Identifier) else value
        schema = TYPE_SCHEMAS.get(name.lower())
        if schema is not None:
            branches.append(dict(schema))
    if not branches:
        return None
    return branches[0] if len(branches) == 1 else {"anyOf": branches}


def _plain_list(values: list[Any]) -> list[Any]:
    return [v.name if isinstance(v, Identifier) else v for v in values]


def clean_text(text: str) -> str:
    """Strip whitespace, one code fence, an ``Answer:`` prefix and matching outer quotes."""
    cleaned = text.strip()
    fence = _FENCE.match(cleaned)
    if fence:
        cleaned = fence.group(1).strip()
    cleaned = _PREFIX.sub("", cleaned, count=1).strip()
    for quote in _QUOTES:
        opening, closing = (quote[0], quote[-1])
        if len(cleaned) >= 2 and cleaned[0] == opening and cleaned[-1] == closing:
            cleaned = cleaned[1:-1].strip()
            break
    return cleaned


MAX_ANSWER_CHARS = 100_000
"""The longest reply taken as a task's answer (about 25,000 tokens; a model's usual cap is
4,096). Each answer is kept several times in the task's state (history, memo, traces), so
a hostile endpoint's huge answers would fill the browser's storage."""


def parse_answer(text: str, schema: dict[str, Any] | None) -> Any:
    """Parse and validate a model's reply against ``schema``; raise :class:`AnswerError`.

    Enum values match case-insensitively and come back in their canonical
    spelling; numbers, booleans (``true/false/yes/no``), objects and arrays
    are parsed from JSON. With no schema the reply comes back stripped. A reply over
    :data:`MAX_ANSWER_CHARS` characters is refused.
    """
    if not isinstance(text, str):
        raise AnswerError(f"expected the model's answer as text, got {type(text).__name__}")
    if len(text) > MAX_ANSWER_CHARS:
        raise AnswerError(f"the answer is {len(text):,} characters long, over the "
                          f"{MAX_ANSWER_CHARS:,} a task's answer may have")
    if schema is None:
        return text.strip()
    cleaned = clean_text(text)
    if not cleaned:
        raise AnswerError("the model gave an empty answer")
    return _parse(cleaned, schema, text)


def _parse(cleaned: str, schema: dict[str, Any], original: str) -> Any:
    if "anyOf" in schema:
        reasons = []
        for branch in schema["anyOf"]:
            try:
                return _parse(cleaned, branch, original)
            except AnswerError as error:
                reasons.append(error.reason)
        allowed = "; ".join(reasons)
        raise AnswerError(f"answer {_show(original)} matches no allowed form: {allowed}")
    if "enum" in schema:
        return _parse_enum(cleaned, schema["enum"], original)
    kind = schema.get("type")
    if kind == "boolean":
        value = _BOOLEANS.get(cleaned.lower().rstrip("."))
        if value is None:
            raise AnswerError(f"expected true or false, got {_show(original)}")
        return value
    adapter = _ADAPTERS.get(kind or "")
    if adapter is None:
        raise AnswerError(f"cannot validate answers against {schema!r}: unsupported type {kind!r}")
    if kind == "string":
        return adapter.validate_python(cleaned)
    if kind in ("number", "integer"):
        cleaned = cleaned.rstrip(".") if cleaned.endswith(".") else cleaned
    try:
        value = adapter.validate_json(cleaned)
    except ValidationError:
        raise AnswerError(f"expected {_article(kind)} {kind}, got {_show(original)}") from None
    if isinstance(value, float) and not math.isfinite(value):
        raise AnswerError(f"expected a finite number, got {_show(original)}")
    return value


def _parse_enum(cleaned: str, allowed: list[Any], original: str) -> Any:
    candidates = [cleaned, cleaned.rstrip(".!").strip()]
    for candidate in candidates:
        folded = candidate.casefold()
        for value in allowed:
            if _enum_text(value).casefold() == folded:
                return value
    choices = ", ".join(_enum_text(v) for v in allowed)
    raise AnswerError(f"answer {_show(original)} is not one of the allowed values: {choices}")


def _enum_text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def _article(kind: str | None) -> str:
    return "an" if (kind or "")[:1] in "aeiou" else "a"


def _show(text: str, limit: int = 80) -> str:
    text = text.strip()
    return repr(text if len(text) <= limit else text[: limit - 1] + "…")
