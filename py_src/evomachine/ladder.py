"""The stage ladder: ``llm_only`` → ``hybrid`` → ``code_first`` → ``code_only``.

The one home of the stage names and their order; the DSL, patterns, the
policy and the executor import them from here. What each stage means:

- ``llm_only``: the LLM answers (exact repeats may come from the memo of its
  own answers, see :mod:`evomachine.evolution.memo`);
- ``hybrid``: generated code answers the inputs where its calibrated
  confidence clears the error budget's threshold, the LLM the rest; a share
  of the code's answers is checked against the LLM to gather live evidence;
- ``code_first``: as hybrid, once live checks have confirmed the budget;
  checks drop to the audit rate;
- ``code_only``: the code answers every input (the budget holds over all of
  them); a small share is still audited, and drift sends the task back.
"""

from __future__ import annotations

from typing import Any, Literal

Stage = Literal["llm_only", "hybrid", "code_first", "code_only"]
STAGES: tuple[Stage, ...] = ("llm_only", "hybrid", "code_first", "code_only")


def check_stage(stage: Any, where: str = "") -> Stage:
    """``stage`` if it is one of :data:`STAGES`, else a clear ``ValueError``."""
    if stage not in STAGES:
        place = f" {where}" if where else ""
        raise ValueError(
            f"unknown evolution_stage {stage!r}{place}; use one of {', '.join(STAGES)}")
    return stage


def next_stage(stage: str) -> Stage | None:
    index = STAGES.index(stage)  # type: ignore[arg-type]
    return STAGES[index + 1] if index + 1 < len(STAGES) else None


def previous_stage(stage: str) -> Stage | None:
    index = STAGES.index(stage)  # type: ignore[arg-type]
    return STAGES[index - 1] if index > 0 else None


def rank(stage: str) -> int:
    """Position on the ladder (0 for ``llm_only``)."""
    return STAGES.index(stage)  # type: ignore[arg-type]
