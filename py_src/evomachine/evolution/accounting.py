"""What an execution would have cost with the LLM: the baseline "cost saved" is measured against.

An LLM call's cost grows with its prompt, and the prompt is a template plus
the input, so cost is fitted as ``a + b * input_chars`` by least squares over
the task's own LLM calls (running sums, one update per call). Executions
answered without the LLM are charged that estimate; executions that called
the LLM are charged what they cost. Code-writing calls are real spending and
count on the other side.
"""

from __future__ import annotations

from typing import Any

from evomachine.evolution.synthesis.runtime import text_of

OUTPUT_PRICE_RATIO = 5.0
"""How much more an output token costs than an input token, assumed for a client that does
not say its prices (Anthropic's and most OpenAI models' lists are 4-5x)."""


def codegen_cost_bound(llm: Any, costs: CostModel, prompt_chars: float,
                       max_tokens: int) -> float | None:
    """At most what one code-writing call costs: its prompt, and an answer as long as its cap.

    The answer is the code, and it dominates: a lookup function for a few hundred names is
    thousands of output tokens, where a task call answers with a few. A client with
    ``estimate_cost(input_tokens, output_tokens)`` (the bundled ones) prices it exactly;
    another, or one whose price table does not know its model, is priced from its task
    calls' fit, the answer's tokens counted as
    :data:`OUTPUT_PRICE_RATIO` input characters' worth each of four. ``None`` before any
    priced call.
    """
    if costs.coefficients() is None:
        return None
    estimate = getattr(llm, "estimate_cost", None)
    if callable(estimate):
        try:
            priced = float(estimate(int(prompt_chars / 4) + 1, max_tokens))
        except Exception:  # a user's client: fall back on the fit
            priced = 0.0
        if priced > 0:  # 0: a model name the price table does not know, yet its calls cost
            return priced
    return costs.estimate(prompt_chars + OUTPUT_PRICE_RATIO * 4 * max_tokens)


def input_size(input: Any) -> int:
    return len(text_of(input))


class CostModel:
    """Running least-squares fit of task-call cost on input size, and the baseline it gives."""

    _FIELDS = ("n", "sx", "sy", "sxx", "sxy", "llm_cost", "other_n", "other_x", "accrued")

    def __init__(self) -> None:
        self.n = 0
        self.sx = self.sy = self.sxx = self.sxy = 0.0
        self.llm_cost = 0.0  # what executions that called the LLM for the task cost
        self.other_n = 0  # executions answered without the LLM
        self.other_x = 0.0  # ... and the sum of their input sizes
        # ... and what each would have cost, priced by the fit when it ran (a chart's interval
        # is compared with this: later calls re-price every past one in llm_only_cost)
        self.accrued = 0.0

    def called(self, size: int, cost: float) -> None:
        """An execution asked the LLM (as answer or check) and paid ``cost``."""
        self.n += 1
        self.sx += size
        self.sy += cost
        self.sxx += size * size
        self.sxy += size * cost
        self.llm_cost += cost

    def skipped(self, size: int) -> None:
        """An execution was answered without any LLM call."""
        self.other_n += 1
        self.other_x += size
        self.accrued += self.estimate(size) or 0.0

    def coefficients(self) -> tuple[float, float] | None:
        """``(a, b)`` of ``cost ≈ a + b * size``; ``None`` before any priced call."""
        if self.n == 0 or self.sy <= 0:
            return None
        mean_x, mean_y = self.sx / self.n, self.sy / self.n
        var = self.sxx / self.n - mean_x * mean_x
        if var <= 1e-9:
            return mean_y, 0.0
        slope = (self.sxy / self.n - mean_x * mean_y) / var
        slope = max(0.0, slope)
        return mean_y - slope * mean_x, slope

    def estimate(self, size: float) -> float | None:
        """The cost one LLM call on an input of ``size`` chars would have had."""
        fit = self.coefficients()
        return None if fit is None else max(0.0, fit[0] + fit[1] * size)

    def llm_only_cost(self) -> float | None:
        """What every execution so far would have cost had the LLM answered each one."""
        fit = self.coefficients()
        if fit is None:
            return None
        skipped = max(0.0, fit[0] * self.other_n + fit[1] * self.other_x)
        return self.llm_cost + skipped

    def llm_only_accrued(self) -> float | None:
        """As :meth:`llm_only_cost`, each execution answered without the LLM priced when it
        ran (``None`` before any priced call): differences between two moments are what the
        executions in between would have cost, whatever later calls do to the fit."""
        return None if self.coefficients() is None else self.llm_cost + self.accrued

    def export(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self._FIELDS}

    @classmethod
    def from_export(cls, data: dict[str, Any] | None) -> CostModel:
        model = cls()
        for name in cls._FIELDS:
            value = (data or {}).get(name, 0)
            setattr(model, name, int(value) if name in ("n", "other_n") else float(value))
        if data and "accrued" not in data:  # saved before it was kept: priced as of now
            model.accrued = (model.llm_only_cost() or 0.0) - model.llm_cost
        return model
