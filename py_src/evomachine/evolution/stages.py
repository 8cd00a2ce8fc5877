"""Running a task's generated code once, comparing answers, and seeded draws.

Generated code is a sandboxed module with ``execute(input, context) ->
{output, confidence, metadata}``; :func:`run_code` turns anything it does
wrong (an exception, a sandbox violation, a malformed result, an output the
task does not allow) into a :class:`CodeOutcome` with an error, never an
exception. The stage ladder itself lives in :mod:`evomachine.ladder`.
"""

from __future__ import annotations

import hashlib
import inspect
import json
import math
import time
from dataclasses import dataclass
from typing import Any


class EvolutionError(RuntimeError):
    """A stage change cannot happen (already at the last stage, no code can be made)."""


_MASK = (1 << 64) - 1


def seed_number(text: str) -> int:
    """A 64-bit seed from text, the same on every platform and run."""
    return int.from_bytes(hashlib.sha256(text.encode("utf-8")).digest()[:8], "big")


def draw(seed: int, index: int) -> float:
    """The ``index``-th uniform draw in [0, 1) of stream ``seed`` (splitmix64).

    Its whole state is ``(seed, index)``, so a saved executor resumes the
    same sequence of shadow-check decisions.
    """
    z = (seed + (index + 1) * 0x9E3779B97F4A7C15) & _MASK
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK
    return ((z ^ (z >> 31)) >> 11) / 9007199254740992.0


def same_answer(a: Any, b: Any) -> bool:
    """Whether two answers agree (as JSON: ``1`` equals ``1.0``, key order does not count)."""
    if a == b:
        return True
    try:
        return json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)
    except (TypeError, ValueError):
        return False


@dataclass(slots=True)
class CodeOutcome:
    """What the task's code said for one input: an output and confidence, or an error."""

    output: Any = None
    confidence: float = 0.0
    error: str | None = None
    latency_ms: float = 0.0


async def run_code(module: Any, input: Any, context: dict[str, Any],
                   schema: dict[str, Any] | None) -> CodeOutcome:
    """Call ``module.execute(input, context)`` and check its result; never raises.

    The module may answer directly (in-process) or with an awaitable (a sandbox host
    across a process or Worker boundary).
    """
    started = time.perf_counter()
    try:
        result = module.execute(input, context)
        if type(result) is not dict and inspect.isawaitable(result):
            result = await result
    except Exception as error:  # sandbox violation, budget exceeded, bug in generated code
        result = error
    outcome = checked_result(result, schema)
    outcome.latency_ms = _ms(started)
    return outcome


_NUMBERS = (int, float)


def checked_result(result: Any, schema: dict[str, Any] | None) -> CodeOutcome:
    """What one result of generated code (a dict, or the exception it raised) means."""
    if isinstance(result, Exception):
        return CodeOutcome(error=f"code failed: {type(result).__name__}: {result}")
    if not isinstance(result, dict) or "output" not in result:
        return CodeOutcome(error=f"code returned {type(result).__name__}, not a dict with 'output'")
    confidence = result.get("confidence", 0.0)
    not_number = type(confidence) is not float and (
        isinstance(confidence, bool) or not isinstance(confidence, _NUMBERS))
    if not_number or not math.isfinite(confidence):
        return CodeOutcome(error=f"code returned confidence {confidence!r}, not a number")
    output = result["output"]
    problem = output_problem(output, schema)
    if problem:
        return CodeOutcome(output=output, error=f"code answered {output!r}: {problem}")
    return CodeOutcome(output=output, confidence=min(1.0, max(0.0, float(confidence))))


async def answers(module: Any, inputs: list[Any], context: dict[str, Any], *,
                  max_errors: int = 4) -> list[Any]:
    """``module``'s results for ``inputs`` (a dict or the exception, in place), in batches.

    A module behind a boundary answers a batch in one crossing (``execute_many``);
    batches grow fourfold from one input. Once ``max_errors`` inputs have failed and
    failures outnumber answers, the rest are not tried and get the last failure. A call
    the boundary killed at its deadline, or that ran its process out of memory, counts as
    ``max_errors`` failures: code that hangs or crashes its worker costs one kill, not one
    per input (nor one per input of a batch), and a memory bomb one restart.
    """
    results: list[Any] = []
    failed = 0
    start, size = 0, 1
    while start < len(inputs):
        chunk = inputs[start:start + size]
        start, size = start + size, size * 4
        many = getattr(module, "execute_many", None)
        if many is not None:
            got = await many(chunk, context)
        else:
            got = []
            for item in chunk:
                try:
                    outcome = module.execute(item, context)
                    got.append(await outcome if inspect.isawaitable(outcome) else outcome)
                except Exception as error:  # generated code failing is an answer, not a crash
                    got.append(error)
        results.extend(got)
        failed += sum(max_errors if _killed(item) else 1
                      for item in got if isinstance(item, Exception))
        answered = sum(not isinstance(item, Exception) for item in results)
        if failed >= max_errors and failed > answered:
            last = next(item for item in reversed(results) if isinstance(item, Exception))
            results.extend(last for _ in inputs[len(results):])
            break
    return results


def _killed(error: Exception) -> bool:
    """A call that cost the sandbox its worker: its deadline, a fatal error, an answer out of
    shape or memory (``sandbox.errors.KILL_CAUSES``). Its module is then failed for the rest
    of its load: its other inputs fail at once, without a new worker."""
    return getattr(error, "cause", None) in ("deadline", "crashed", "protocol", "retired")


_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,), "number": (int, float), "integer": (int,), "boolean": (bool,),
    "object": (dict,), "array": (list,),
}


def output_problem(output: Any, schema: dict[str, Any] | None) -> str | None:
    """Why ``output`` does not fit ``schema`` (enum, type or anyOf of those), or ``None``."""
    if not schema:
        return None
    if "anyOf" in schema:
        problems = [output_problem(output, branch) for branch in schema["anyOf"]]
        return None if any(p is None for p in problems) else "; ".join(p for p in problems if p)
    if "enum" in schema:
        values = schema["enum"]
        if output in values or any(same_answer(output, v) for v in values):
            return None  # ``in`` compares with ``==`` first, as same_answer does
        return f"not one of {values!r}"
    kinds = _TYPES.get(schema.get("type", ""))
    if kinds is None:
        return None
    if isinstance(output, bool) and bool not in kinds:
        return f"expected {schema['type']}, got a boolean"
    return None if isinstance(output, kinds) else f"expected {schema['type']}"


def _ms(started: float) -> float:
    return (time.perf_counter() - started) * 1000.0
