"""What synthesis is asked for and what it hands back."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class SynthesisError(ValueError):
    """Synthesis cannot produce a module (too little history, no usable candidate)."""


class TaskSpec(BaseModel):
    """The task to synthesize code for.

    ``prompt`` is the task's prompt template (shown to the LLM when it writes
    code); ``output_schema`` is its JSON schema, for instance
    ``{"enum": ["billing", "tech", "sales"]}``, or ``None``.
    """

    name: str
    prompt: str = ""
    output_schema: dict[str, Any] | None = None

    @property
    def output_values(self) -> list[Any] | None:
        """The allowed outputs when the schema is an enum, else ``None``."""
        if self.output_schema and isinstance(self.output_schema.get("enum"), list):
            return list(self.output_schema["enum"])
        return None


class CalibrationBin(BaseModel):
    """One step of the calibration table: raw scores from ``start`` up map to ``confidence``.

    ``count`` held-out examples fell in the (pooled) bin and ``agreed`` of them
    matched the LLM; ``confidence`` is ``(agreed + 1) / (count + 2)``.
    """

    start: float
    end: float
    count: int
    agreed: int
    confidence: float


class SynthesisResult(BaseModel):
    """The winning module and how every candidate scored on held-out history.

    ``module`` is the code already loaded through the sandbox (the one that
    was verified), so the caller need not load it again; it is not serialized.
    """

    task: str
    version: str
    code: str
    synthesizer: str
    scores: dict[str, dict[str, Any]] = Field(default_factory=dict)
    calibration: list[CalibrationBin] = Field(default_factory=list)
    heldout_agreement: float
    train_size: int
    heldout_size: int
    code_path_hint: str
    elapsed_ms: float = 0.0
    module: Any = Field(default=None, exclude=True, repr=False)
    # Not serialized: the winner refitted on every example; each in-process candidate's
    # held-out answers, [(input, (raw score, agreed with the LLM))]; and a function that
    # refits it on every example.
    model: Any = Field(default=None, exclude=True, repr=False)
    heldout: dict[str, list[Any]] = Field(default_factory=dict, exclude=True, repr=False)
    refit: dict[str, Any] = Field(default_factory=dict, exclude=True, repr=False)

    def confident_agreement(self, threshold: float) -> tuple[float | None, float]:
        """``(agreement, coverage)`` of the held-out answers whose calibrated confidence is at
        least ``threshold``: what the code would answer on its own in a stage that asks the
        LLM below that confidence. ``agreement`` is ``None`` when no answer qualifies."""
        total = sum(b.count for b in self.calibration)
        kept = [b for b in self.calibration if b.confidence >= threshold]
        count = sum(b.count for b in kept)
        agreement = sum(b.agreed for b in kept) / count if count else None
        return agreement, (count / total if total else 0.0)
