"""A model that answers from a function or a labelled data set, for offline runs and tests.

Every random choice comes from a generator seeded with ``(seed, task, input,
how many times this input was asked)``, so the same seed gives the same
answers in the same order, even when calls interleave; with
``consistent=True`` the ask count is left out, so an input gets the same
answer (right or wrong) every time it is asked, as from a deterministic
model. Latency is drawn and recorded, not slept (``sleep=True`` sleeps it,
for demos), so the engine never needs a real event loop to use this client.
"""

from __future__ import annotations

import asyncio
import json
import math
import random
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from evomachine.cooperate import interruptible
from evomachine.llm.base import LLMError, LLMRequest, LLMResponse
from evomachine.llm.prices import ModelPrice

AnswerFunction = Callable[[LLMRequest], Any]
CodegenFunction = Callable[[LLMRequest], str]


def canonical_key(value: Any, key_fields: Sequence[str] | None = None) -> str:
    """Canonical JSON of ``value`` (keys sorted), or of only ``key_fields`` of a mapping."""
    if key_fields is not None and isinstance(value, Mapping):
        value = {field: value.get(field) for field in key_fields}
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def estimate_tokens(text: str) -> int:
    """About four characters a token, at least one for non-empty text."""
    return math.ceil(len(text) / 4) if text else 0


class SimulatedLLM:
    """An :class:`~evomachine.llm.base.LLMClient` whose answers you choose.

    ``answers`` is a function ``(LLMRequest) -> answer`` or a mapping from
    :func:`canonical_key` of the request's ``input`` (or the input string
    itself) to the answer. ``accuracy`` is the probability of the right answer;
    a wrong one is another value of ``request.output_schema["enum"]`` when
    there is one, else a perturbed copy of the right one. ``error_rate`` is the
    probability of an ``LLMError`` (marked retryable). ``latency_ms`` is a
    mean or ``(mean, jitter)``, drawn uniformly within ``mean ± jitter``.
    ``price`` is ``(input, output)`` USD per million tokens; tokens are
    estimated from text length. ``seed=None`` draws a fresh seed.

    Requests with ``purpose="codegen"`` go to ``codegen(request) -> str``;
    without one the simulated model raises ``LLMError`` (it writes no code),
    so code synthesis falls back to its other synthesizers.

    With ``per_task=True``, ``answers`` maps each task name to its own mapping
    (see :meth:`from_records`). ``consistent=True`` draws the same answer for
    the same ``(purpose, task, input)`` on every ask (by default each ask draws
    anew). ``calls`` counts every call, ``calls_by_purpose`` splits them by ``request.purpose``, and
    ``billed`` sums the ``cost`` of every response returned: the provider's bill.
    """

    def __init__(
        self,
        answers: AnswerFunction | Mapping[str, Any],
        *,
        accuracy: float = 1.0,
        error_rate: float = 0.0,
        latency_ms: float | tuple[float, float] = 0.0,
        price: ModelPrice | tuple[float, float] = (0.0, 0.0),
        seed: int | str | None = 0,
        model: str = "simulated",
        default: Any = None,
        codegen: CodegenFunction | None = None,
        key_fields: Sequence[str] | None = None,
        label_field: str | Sequence[str] | None = None,
        per_task: bool = False,
        sleep: bool = False,
        consistent: bool = False,
    ):
        if not 0.0 <= accuracy <= 1.0:
            raise ValueError(f"accuracy must be within [0, 1], got {accuracy}")
        if not 0.0 <= error_rate <= 1.0:
            raise ValueError(f"error_rate must be within [0, 1], got {error_rate}")
        mean, jitter = latency_ms if isinstance(latency_ms, tuple) else (latency_ms, 0.0)
        if mean < 0 or jitter < 0:
            raise ValueError(f"latency_ms needs a mean and jitter >= 0, got {latency_ms!r}")
        self._answers = answers
        self.accuracy = accuracy
        self.error_rate = error_rate
        self.latency_mean_ms = float(mean)
        self.latency_jitter_ms = float(jitter)
        self.price = price if isinstance(price, ModelPrice) else ModelPrice(
            input_per_mtok=price[0], output_per_mtok=price[1]
        )
        self.seed = seed if seed is not None else random.SystemRandom().randrange(2**63)
        self.model = model
        self.default = default
        self.codegen = codegen
        self.key_fields = list(key_fields) if key_fields is not None else None
        self.label_field = label_field
        self._labels = frozenset([label_field] if isinstance(label_field, str)
                                 else label_field or ())
        self.per_task = per_task
        self.sleep = sleep
        self.consistent = consistent
        self.calls = 0
        self.calls_by_purpose: Counter[str] = Counter()
        self.billed = 0.0
        self._asked: Counter[str] = Counter()

    @classmethod
    def from_records(
        cls,
        records: Iterable[Mapping[str, Any]],
        label_field: str | Mapping[str, str],
        key_fields: Sequence[str] | None = None,
        **options: Any,
    ) -> SimulatedLLM:
        """Answer from labelled records: a record's input (without its labels) → its label.

        ``label_field`` is one field, the truth of every task, or ``{task: field}``
        (a machine's :func:`~evomachine.dsl.truth.truth_fields`): each task is then
        answered from its own field, and every such field is left out of the input.
        When several records share an input, the most common label wins (the first
        seen on a tie).
        """
        if isinstance(label_field, str):
            fields = {"": label_field}
        else:
            fields = dict(label_field)
            if not fields:
                raise ValueError("no ground-truth field given")
        hidden = frozenset(fields.values())
        votes: dict[str, dict[str, Counter[str]]] = {task: {} for task in fields}
        labels: dict[str, dict[str, dict[str, Any]]] = {task: {} for task in fields}
        for index, record in enumerate(records):
            rest = {k: v for k, v in record.items() if k not in hidden}
            key = canonical_key(rest, key_fields)
            for task, field in fields.items():
                if field not in record:
                    whose = f" (the truth of task {task!r})" if task else ""
                    raise ValueError(f"record {index} has no label field {field!r}{whose}: "
                                     f"{dict(record)!r}")
                label = record[field]
                votes[task].setdefault(key, Counter())[_as_text(label)] += 1
                labels[task].setdefault(key, {}).setdefault(_as_text(label), label)
        mappings = {task: {key: labels[task][key][counter.most_common(1)[0][0]]
                           for key, counter in votes[task].items()} for task in fields}
        if isinstance(label_field, str):
            return cls(mappings[""], key_fields=key_fields, label_field=label_field, **options)
        return cls(mappings, key_fields=key_fields, label_field=sorted(hidden), per_task=True,
                   **options)

    def __repr__(self) -> str:
        return (
            f"SimulatedLLM(model={self.model!r}, accuracy={self.accuracy}, "
            f"error_rate={self.error_rate}, seed={self.seed!r}, consistent={self.consistent})"
        )

    def describe(self) -> dict[str, Any]:
        """The settings, for display and export."""
        return {
            "provider": "simulated",
            "model": self.model,
            "accuracy": self.accuracy,
            "error_rate": self.error_rate,
            "latency_ms": [self.latency_mean_ms, self.latency_jitter_ms],
            "price": self.price.model_dump(),
            "seed": self.seed,
            "consistent": self.consistent,
        }

    def estimate_cost(self, input_tokens: int, output_tokens: int) -> float:
        """What a call of this many tokens costs at this model's price."""
        return self.price.cost(input_tokens, output_tokens)

    async def complete(self, request: LLMRequest) -> LLMResponse:
        self.calls += 1
        self.calls_by_purpose[request.purpose] += 1
        key = self._lookup_key(request.input)
        ask_key = f"{request.purpose}|{request.task}|{key}"
        count = self._asked[ask_key]
        self._asked[ask_key] += 1
        rng = random.Random(f"{self.seed}|{ask_key}" if self.consistent
                            else f"{self.seed}|{ask_key}|{count}")
        fails, correct, latency = rng.random(), rng.random(), self._draw_latency(rng)
        if fails < self.error_rate:
            raise LLMError(
                f"simulated failure of task {request.task!r} (error_rate={self.error_rate})",
                retryable=True,
            )
        if request.purpose == "codegen":
            if self.codegen is None:
                raise LLMError("simulated model writes no code: pass codegen= to SimulatedLLM")
            text = self.codegen(request)
            if request.max_tokens:  # a provider stops at the request's cap, as here
                text = text[:4 * request.max_tokens]
        else:
            right = self._right_answer(request, key)
            if correct < self.accuracy:
                text = right
            else:
                text = wrong_answer(right, request.output_schema, rng)
        if self.sleep and latency > 0:  # Pause ends the wait, as it aborts a real request
            await interruptible(asyncio.sleep(latency / 1000), "the simulated LLM's latency")
        input_tokens, output_tokens = estimate_tokens(request.prompt), estimate_tokens(text)
        cost = self.price.cost(input_tokens, output_tokens)
        self.billed += cost
        return LLMResponse(
            text=text,
            input_tokens=input_tokens,
            output_tokens=output_tokens,
            cost=cost,
            latency_ms=latency,
            model=self.model,
        )

    def _draw_latency(self, rng: random.Random) -> float:
        offset = rng.uniform(-self.latency_jitter_ms, self.latency_jitter_ms)
        return max(0.0, self.latency_mean_ms + offset)

    def _lookup_key(self, value: Any) -> str:
        if self._labels and isinstance(value, Mapping):
            value = {k: v for k, v in value.items() if k not in self._labels}
        return canonical_key(value, self.key_fields)

    def _right_answer(self, request: LLMRequest, key: str) -> str:
        answers = self._answers
        if callable(answers):
            return _as_text(answers(request))
        if self.per_task:
            answers = answers.get(request.task) if isinstance(answers, Mapping) else None
            if answers is None:
                if self.default is not None:
                    return _as_text(self.default)
                raise LLMError(f"simulated model has no ground truth for task {request.task!r}: "
                               "give it one (ground_truth on the task or the Input node)")
        if key in answers:
            return _as_text(answers[key])
        if isinstance(request.input, str) and request.input in answers:
            return _as_text(answers[request.input])
        if self.default is not None:
            return _as_text(self.default)
        raise LLMError(f"simulated model has no answer for task {request.task!r} input {key[:120]}")


def wrong_answer(right: str, schema: dict[str, Any] | None, rng: random.Random) -> str:
    """Another enum value when the schema has several, else a perturbed ``right``."""
    enum = (schema or {}).get("enum") or []
    others = [_as_text(v) for v in enum if _as_text(v).casefold() != right.casefold()]
    if others:
        return rng.choice(others)
    return perturb(right, rng)


def perturb(text: str, rng: random.Random) -> str:
    """A value of the same kind that differs from ``text``.

    Numbers move by an offset, booleans flip, other text gets one letter changed.
    """
    lowered = text.strip().lower()
    if lowered in ("true", "false"):
        return "false" if lowered == "true" else "true"
    try:
        number = json.loads(text)
    except ValueError:
        number = None
    if isinstance(number, int) and not isinstance(number, bool):
        return str(number + rng.choice((-1, 1)) * rng.randint(1, 9))
    if isinstance(number, float):
        return repr(number + rng.choice((-1, 1)) * max(abs(number) * rng.uniform(0.1, 0.5), 0.5))
    if not text:
        return "?"
    position = rng.randrange(len(text))
    letters = [c for c in "abcdefghijklmnopqrstuvwxyz" if c != text[position].lower()]
    return text[:position] + rng.choice(letters) + text[position + 1 :]


def _as_text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, sort_keys=True, default=str)
