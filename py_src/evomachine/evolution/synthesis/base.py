"""What every fitted candidate offers: in-process prediction and the parts of its module."""

from __future__ import annotations

from typing import Any, Protocol


class FittedModel(Protocol):
    """A candidate trained on examples.

    ``predict`` returns ``(output, raw score)``; a higher raw score means the
    model is surer, and calibration turns it into a probability of agreeing
    with the LLM. ``body_template`` names the jinja2 template that emits the
    model's ``predict(input)`` and ``body_context`` fills it.
    """

    synthesizer: str

    def predict(self, input: Any) -> tuple[Any, float]: ...

    def body_template(self) -> str: ...

    def body_context(self) -> dict[str, Any]: ...


# Simpler first: on equal held-out agreement the earlier synthesizer wins. The linear
# model comes last: it is trained by many passes where naive Bayes only counts.
SIMPLICITY = ("exact_lookup", "normalized_lookup", "llm_code", "naive_bayes", "linear")
