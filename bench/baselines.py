"""The simpler tools EvoMachine has to beat, as LLM clients placed in front of the same LLM.

Each wraps an LLM client and is itself one (``async complete(request)``), so a
plain ``MachineExecutor`` runs it with the same prompts, records and bill as
LLM-only. Codegen requests pass straight through (they never make any).

- :class:`CachedLLM`: an exact-match cache; an input asked before gets the
  LLM's first answer again, free.
- :class:`CascadeLLM`: an online cascade. Every ``retrain_every`` executions a
  student is fitted on every label the LLM has given so far, with the engine's
  own in-process fitter (``"linear"`` when the engine has one, else
  ``"naive_bayes"``). Its threshold on the raw score is picked on the latest
  quarter of those labels (the student fitted on the rest): the lowest score
  whose answers at or above it disagree with the LLM at most
  ``max_disagreement`` of the time, over at least ``min_covered`` of them.
  The student then answers alone whenever it clears that threshold.
"""

from __future__ import annotations

from typing import Any

from evomachine import LLMRequest, LLMResponse
from evomachine.evolution.synthesis.dataset import Example
from evomachine.evolution.synthesis.select import fitters
from evomachine.llm import parse_answer
from evomachine.llm.simulated import canonical_key


class CachedLLM:
    """An exact-match cache in front of ``llm``: keyed by task and input, never expires."""

    def __init__(self, llm: Any):
        self.llm = llm
        self.cache: dict[str, LLMResponse] = {}
        self.hits = 0

    async def complete(self, request: LLMRequest) -> LLMResponse:
        if request.purpose != "task":
            return await self.llm.complete(request)
        key = canonical_key([request.task, request.input])
        hit = self.cache.get(key)
        if hit is not None:
            self.hits += 1
            return LLMResponse(text=hit.text, model=f"cache:{hit.model}")
        response = await self.llm.complete(request)
        self.cache[key] = response
        return response

    def describe(self) -> dict[str, Any]:
        return {"kind": "exact-match cache", "entries": len(self.cache), "hits": self.hits}


class CascadeLLM:
    """An online cascade: a student trained on the LLM's labels answers when it is sure enough."""

    def __init__(self, llm: Any, *, retrain_every: int = 100, max_disagreement: float = 0.02,
                 heldout_fraction: float = 0.25, min_covered: int = 20,
                 max_features: int = 2500):
        self.llm = llm
        self.retrain_every = retrain_every
        self.max_disagreement = max_disagreement
        self.heldout_fraction = heldout_fraction
        self.min_covered = min_covered
        available = fitters(max_features)
        self.fitter_name = "linear" if "linear" in available else "naive_bayes"
        self.fit = available[self.fitter_name]
        self.labels: list[Example] = []
        self.model: Any = None
        self.threshold: float | None = None
        self.executions = 0
        self.answered = 0
        self.retrains = 0

    async def complete(self, request: LLMRequest) -> LLMResponse:
        if request.purpose != "task":
            return await self.llm.complete(request)
        if self.executions and self.executions % self.retrain_every == 0:
            self.retrain(request.output_schema)
        self.executions += 1
        if self.model is not None and self.threshold is not None:
            output, raw = self.model.predict(request.input)
            if raw >= self.threshold:
                self.answered += 1
                return LLMResponse(text=str(output), model=f"cascade:{self.fitter_name}")
        response = await self.llm.complete(request)
        try:
            label = parse_answer(response.text, request.output_schema)
        except Exception:  # an answer the task rejects teaches the student nothing
            return response
        self.labels.append(Example(request.input, label))
        return response

    def retrain(self, schema: dict[str, Any] | None) -> None:
        """Refit on every label so far; pick the threshold on the latest quarter of them."""
        self.retrains += 1
        cut = int(len(self.labels) * (1 - self.heldout_fraction))
        train, heldout = self.labels[:cut], self.labels[cut:]
        if len(heldout) < self.min_covered or len(_labels(train, schema)) < 2:
            return
        student = self.fit(train, _labels(train, schema))
        self.threshold = pick_threshold(
            [(raw, output == example.label)
             for example in heldout for output, raw in [student.predict(example.input)]],
            self.max_disagreement, self.min_covered)
        self.model = self.fit(self.labels, _labels(self.labels, schema))

    def describe(self) -> dict[str, Any]:
        return {"kind": "online cascade", "fitter": self.fitter_name, "threshold": self.threshold,
                "labels": len(self.labels), "answered": self.answered,
                "retrains": self.retrains}


def pick_threshold(scored: list[tuple[float, bool]], max_disagreement: float,
                   min_covered: int) -> float | None:
    """The lowest raw score whose answers at or above it disagree at most ``max_disagreement``.

    ``scored`` holds ``(raw score, agreed with the LLM)`` pairs; only cuts
    between distinct scores count, and a cut must keep ``min_covered`` answers.
    ``None`` when no cut qualifies.
    """
    ordered = sorted(scored, key=lambda pair: -pair[0])
    best: float | None = None
    disagreed = 0
    for index, (raw, agreed) in enumerate(ordered, 1):
        disagreed += not agreed
        if index < len(ordered) and ordered[index][0] == raw:
            continue
        if index >= min_covered and disagreed <= max_disagreement * index:
            best = raw
    return best


def _labels(examples: list[Example], schema: dict[str, Any] | None) -> list[Any]:
    """The labels the examples carry, in the schema's order first."""
    seen = list(dict.fromkeys(canonical_key(e.label) for e in examples))
    by_key = {canonical_key(e.label): e.label for e in examples}
    order = [canonical_key(v) for v in (schema or {}).get("enum") or []]
    keys = [k for k in order if k in by_key] + [k for k in seen if k not in order]
    return [by_key[k] for k in keys]
