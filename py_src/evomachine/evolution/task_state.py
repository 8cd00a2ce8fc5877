"""Per-task evolution state, synthesized candidates, and how code clears a stage's bar."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from evomachine.evolution.metrics import TaskMetrics
from evomachine.evolution.policy import EvolutionPolicy
from evomachine.evolution.stages import draw, seed_number

ModuleLoader = Callable[[str, str], Any]


def sandbox_loader(code: str, path: str) -> Any:
    """Load generated code through the sandbox (``evomachine.sandbox.load_module``)."""
    from evomachine.sandbox import load_module

    return load_module(code, path)


@dataclass(slots=True)
class Candidate:
    """A synthesized module, loaded and ready to install."""

    code: str
    synthesizer: str
    heldout_agreement: float
    module: Any
    synthesis: Any = None  # the SynthesisResult, for its calibration table


class TaskState:
    """One task's evolution: stage, current code, metrics, shadow-check RNG, schedule."""

    def __init__(self, name: str, stage: str, policy: EvolutionPolicy, seed: str,
                 declared_code_path: str | None):
        self.name = name
        self.stage = stage
        self.policy = policy
        self.code: str | None = None
        self.code_path: str | None = declared_code_path
        self.code_version = 0
        self.synthesizer: str | None = None
        self.heldout_agreement: float | None = None
        self.module: Any = None
        self.metrics = TaskMetrics(policy.agreement_window)
        self.seed = seed_number(seed)
        self.draws = 0
        self.since_check = 0
        self.train_from_seq = 0
        self.next_synthesis_at = 0
        self.synthesis_failures = 0
        self.synthesized_at = 0
        self.code_load_tried = declared_code_path is None
        self.last_synthesis: dict[str, Any] | None = None

    def sample(self) -> float:
        """The next shadow-check draw in [0, 1), reproducible from ``(seed, draws)``."""
        self.draws += 1
        return draw(self.seed, self.draws)

    @property
    def version_name(self) -> str | None:
        return f"v{self.code_version}" if self.code_version else None


def clears_bar(candidate: Candidate, target: str, policy: EvolutionPolicy) -> tuple[bool, str]:
    """Does synthesized code clear ``target``'s held-out bar? And the evidence, in words.

    Hybrid asks the LLM whenever the code is unsure, so code also qualifies for it when
    the answers it would give alone agree well enough and cover enough inputs.
    """
    overall = f"held-out agreement {candidate.heldout_agreement:.3f}"
    if candidate.heldout_agreement >= policy.stage_bars(target)[0]:
        return True, overall
    if target == "hybrid" and candidate.synthesis is not None:
        agreement, coverage = candidate.synthesis.confident_agreement(policy.confidence_threshold)
        if agreement is not None and agreement >= policy.hybrid_min_confident_agreement \
                and coverage >= policy.hybrid_min_coverage:
            return True, (f"{overall}; {agreement:.3f} on the {100 * coverage:.0f}% it "
                          f"answers alone (confidence >= {policy.confidence_threshold})")
    return False, overall
