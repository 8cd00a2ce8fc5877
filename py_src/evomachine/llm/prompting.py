"""The instruction that tells a model the shape of its answer, from the task's output schema."""

from __future__ import annotations

import json
from typing import Any

from evomachine.llm.base import LLMRequest

_TYPE_INSTRUCTIONS = {
    "number": "Answer with a single number and nothing else.",
    "integer": "Answer with a single whole number and nothing else.",
    "boolean": "Answer with exactly true or false and nothing else.",
    "string": "Answer with the requested text only, without any preamble or explanation.",
    "object": "Answer with a single JSON object and nothing else (no code fences, no comments).",
    "array": "Answer with a single JSON array and nothing else (no code fences, no comments).",
}


def instruction_for(request: LLMRequest) -> str | None:
    """The system instruction for a task request; None for code generation or no schema."""
    return answer_instruction(request.output_schema) if request.purpose == "task" else None


def answer_instruction(schema: dict[str, Any] | None) -> str | None:
    """System text asking for exactly one enum value or one value of the type, or None."""
    if not schema:
        return None
    if "enum" in schema:
        values = ", ".join(_show(v) for v in schema["enum"])
        return (
            f"Answer with exactly one of these values and nothing else: {values}. "
            "Do not explain, quote or add punctuation."
        )
    if "anyOf" in schema:
        parts = [answer_instruction(branch) for branch in schema["anyOf"]]
        return "One of the following applies. " + " Or: ".join(p for p in parts if p)
    return _TYPE_INSTRUCTIONS.get(str(schema.get("type")))


def _show(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)
