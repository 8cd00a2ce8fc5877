"""When a task moves between stages: every threshold in one validated model.

An executor has one :class:`EvolutionPolicy` (constructor ``policy=`` or
keyword overrides); a task overrides any field with an attribute of the same
name (``llm_threshold: 0.6;``, ``shadow_rate: 0.2;``), validated here.

Agreement is always agreement with the LLM (the reference), so it cannot
exceed the LLM's own consistency: a model that is right 95% of the time at
random agrees about 95% with perfect code. The default bars sit below that
ceiling; raise them for a deterministic model.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from evomachine.model import Node

EXECUTION_THRESHOLD = 100
SUCCESS_RATE_THRESHOLD = 0.90
HYBRID_CONFIDENCE_THRESHOLD = 0.8
CODE_FIRST_CONFIDENCE_THRESHOLD = 0.7


class PolicyError(ValueError):
    """A policy value is out of range or of the wrong type."""


class EvolutionPolicy(BaseModel):
    """Thresholds for running, checking, promoting and demoting a task's code."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    # llm_only -> hybrid (the seed's thresholds)
    execution_threshold: int = Field(EXECUTION_THRESHOLD, ge=1)
    success_rate_threshold: float = Field(SUCCESS_RATE_THRESHOLD, ge=0.0, le=1.0)
    # running the code: below these confidences the LLM answers instead
    confidence_threshold: float = Field(HYBRID_CONFIDENCE_THRESHOLD, ge=0.0, le=1.0)
    llm_threshold: float = Field(CODE_FIRST_CONFIDENCE_THRESHOLD, ge=0.0, le=1.0)
    # shadow checks: share of the code's confident answers also sent to the LLM
    shadow_rate: float = Field(0.1, ge=0.0, le=1.0)
    # ... and while a stage has fewer checks than the next stage needs: the same number
    # of LLM calls buys the evidence in fewer executions (so fewer fallback calls)
    evidence_shadow_rate: float = Field(0.3, ge=0.0, le=1.0)
    # in code_only the code answers alone; a share > 0 keeps auditing it for drift
    code_only_audit_rate: float = Field(0.0, ge=0.0, le=1.0)
    # held-out agreement a synthesized module needs to enter each stage
    hybrid_min_heldout: float = Field(0.80, ge=0.0, le=1.0)
    # ... or: the answers hybrid lets the code give alone (calibrated confidence at least
    # confidence_threshold) agree this well on held-out data and cover this share of inputs
    hybrid_min_confident_agreement: float = Field(0.90, ge=0.0, le=1.0)
    hybrid_min_coverage: float = Field(0.30, ge=0.0, le=1.0)
    code_first_min_heldout: float = Field(0.85, ge=0.0, le=1.0)
    code_only_min_heldout: float = Field(0.90, ge=0.0, le=1.0)
    # measured (shadow-check) agreement, and how many checks, to leave a stage upwards
    code_first_min_agreement: float = Field(0.90, ge=0.0, le=1.0)
    code_first_min_checks: int = Field(30, ge=1)
    code_only_min_agreement: float = Field(0.93, ge=0.0, le=1.0)
    code_only_min_checks: int = Field(50, ge=1)
    # drift: one stage down when the latest checks agree less than this
    demotion_agreement: float = Field(0.75, ge=0.0, le=1.0)
    demotion_min_checks: int = Field(20, ge=1)
    demotion_window: int = Field(30, ge=1)
    # in hybrid/code_first, regenerate the code when history grew this many times (0: never)
    refresh_growth: float = Field(2.0, ge=0.0)
    # bookkeeping
    agreement_window: int = Field(200, ge=1)
    check_every: int = Field(10, ge=1)
    # executions before synthesis is retried after a failure (doubling each time, up to 32x)
    resynthesis_after: int = Field(50, ge=1)
    auto_evolve: bool = True

    def for_task(self, node: Node) -> EvolutionPolicy:
        """This policy with the task's own attributes of the same names applied."""
        overrides = {name: node.attr(name) for name in type(self).model_fields
                     if node.attr(name) is not None}
        if not overrides:
            return self
        try:
            return type(self).model_validate({**self.model_dump(), **overrides})
        except ValidationError as error:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']} (got {e.get('input')!r})"
                for e in error.errors()
            )
            raise PolicyError(
                f"task {node.name!r} has invalid evolution settings: {problems}") from None

    @classmethod
    def build(cls, policy: EvolutionPolicy | dict[str, Any] | None = None,
              **overrides: Any) -> EvolutionPolicy:
        """A policy from an instance or dict plus keyword overrides, validated."""
        base = policy.model_dump() if isinstance(policy, EvolutionPolicy) else dict(policy or {})
        try:
            return cls.model_validate({**base, **overrides})
        except ValidationError as error:
            raise PolicyError(f"invalid evolution policy: {error}") from None

    def shadow_rate_now(self, stage: str, checks: int) -> float:
        """The shadow-check rate in ``stage`` given the checks measured so far."""
        following = {"hybrid": "code_first", "code_first": "code_only"}.get(stage)
        if following is not None and checks < self.stage_bars(following)[2]:
            return max(self.shadow_rate, self.evidence_shadow_rate)
        return self.shadow_rate

    def stage_bars(self, stage: str) -> tuple[float, float | None, int]:
        """``(min held-out, min measured agreement or None, min checks)`` to enter ``stage``."""
        if stage == "hybrid":
            return self.hybrid_min_heldout, None, 0
        if stage == "code_first":
            return (self.code_first_min_heldout, self.code_first_min_agreement,
                    self.code_first_min_checks)
        if stage == "code_only":
            return (self.code_only_min_heldout, self.code_only_min_agreement,
                    self.code_only_min_checks)
        return 0.0, None, 0
