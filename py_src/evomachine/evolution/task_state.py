"""One task's evolution state, and how it turns into JSON and back.

Everything that decides what the task does next lives here: stage, code,
the cut the error budget allows, live evidence since the code was installed,
the memo of the LLM's answers, the change detector, the cost model and the
synthesis schedule. ``export``/``from_export`` are the only (de)serialisers.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from evomachine.evolution.accounting import CostModel
from evomachine.evolution.drift import ChangeDetector
from evomachine.evolution.memo import AnswerMemo
from evomachine.evolution.metrics import TaskMetrics
from evomachine.evolution.policy import EvolutionPolicy
from evomachine.evolution.stages import draw, seed_number
from evomachine.ladder import check_stage

ModuleLoader = Callable[[str, str], Any]


@dataclass(slots=True)
class Candidate:
    """A synthesized module, loaded, with the cut the budget allows it on held-out data."""

    code: str
    synthesizer: str
    heldout_agreement: float
    module: Any
    cut: dict[str, Any] | None = None  # bounds.Cut.as_dict() at the budget, None if no cut
    full: dict[str, Any] | None = None  # the same over every held-out input (threshold 0)
    synthesis: Any = None  # the SynthesisResult


class Evidence:
    """Live checks of the installed code against the LLM: above the cut (checks) and below it."""

    __slots__ = ("checks", "disagreed", "low_checks", "low_disagreed")

    def __init__(self) -> None:
        self.checks = self.disagreed = 0
        self.low_checks = self.low_disagreed = 0

    def add(self, agreed: bool, *, confident: bool) -> None:
        if confident:
            self.checks += 1
            self.disagreed += not agreed
        else:
            self.low_checks += 1
            self.low_disagreed += not agreed

    def export(self) -> list[int]:
        return [self.checks, self.disagreed, self.low_checks, self.low_disagreed]

    @classmethod
    def from_export(cls, data: list[int] | None) -> Evidence:
        evidence = cls()
        if data:
            evidence.checks, evidence.disagreed, evidence.low_checks, evidence.low_disagreed = (
                int(v) for v in data[:4])
        return evidence


class TaskState:
    """One task's evolution: stage, code and cut, evidence, memo, detector, costs, schedule."""

    _PLAIN = ("stage", "code", "code_path", "code_version", "synthesizer", "heldout_agreement",
              "since_check", "train_from_seq", "next_synthesis_at", "synthesis_failures",
              "synthesized_at", "stack_tried_at", "last_synthesis", "draws", "cut", "full",
              "codegen_failures", "codegen_paused_until", "drift_events",
              "beyond_cache", "repeat_audits", "first_sightings", "normalized_checks",
              "normalized_disagreed")

    def __init__(self, name: str, stage: str, policy: EvolutionPolicy, seed: str,
                 declared_code_path: str | None):
        self.name = name
        self.stage = check_stage(stage)
        self.policy = policy
        self.code: str | None = None
        self.code_path: str | None = declared_code_path
        self.code_version = 0
        self.synthesizer: str | None = None
        self.heldout_agreement: float | None = None
        self.module: Any = None
        # a module its sandbox stopped is loaded again from reload_at on; kills double the wait
        self.reload_at = 0
        self.kills = 0
        self.cut: dict[str, Any] | None = None
        self.full: dict[str, Any] | None = None
        self.evidence = Evidence()
        self.metrics = TaskMetrics(policy.agreement_window)
        self.memo = AnswerMemo(policy.memo_limit)
        self.detector = ChangeDetector(policy.max_disagreement, policy.drift_threshold)
        self.costs = CostModel()
        self.seed = seed_number(seed)
        self.draws = 0
        self.since_check = 0
        self.train_from_seq = 0
        self.next_synthesis_at = 0
        self.synthesis_failures = 0
        self.synthesized_at = 0
        self.stack_tried_at = 0  # the last halfway refresh (no code asked of the LLM then)
        self.code_load_tried = declared_code_path is None
        self.last_synthesis: dict[str, Any] | None = None
        self.codegen_failures = 0
        self.codegen_paused_until = 0
        self.drift_events = 0
        # what the first sightings answered without a call would have cost (no exact-match
        # cache could avoid them) and what the audits of repeats they pay for cost (dollars
        # when priced, else calls); checks of the normalised memo's answers
        self.beyond_cache = 0.0
        self.repeat_audits = 0.0
        # the calls an exact-match cache would have made so far: one per first sighting
        self.first_sightings = 0
        self.normalized_checks = 0
        self.normalized_disagreed = 0

    def sample(self) -> float:
        """The next check draw in [0, 1), reproducible from ``(seed, draws)``."""
        self.draws += 1
        return draw(self.seed, self.draws)

    @property
    def version_name(self) -> str | None:
        return f"v{self.code_version}" if self.code_version else None

    def threshold(self) -> float | None:
        """The lowest calibrated confidence at which the code answers now; ``None``: never.

        ``code_only`` answers everything; the other code stages answer at or above
        the budget's cut (and the user's floor, if set).
        """
        if self.module is None or self.stage == "llm_only":
            return None
        if self.stage == "code_only":
            return 0.0
        if self.cut is None:
            return None
        return max(float(self.cut["threshold"]), self.policy.floor(self.stage))

    def export(self) -> dict[str, Any]:
        data = {name: getattr(self, name) for name in self._PLAIN}
        data["evidence"] = self.evidence.export()
        data["metrics"] = self.metrics.export()
        data["memo"] = self.memo.export()
        data["detector"] = self.detector.export()
        data["costs"] = self.costs.export()
        return data

    def load(self, saved: dict[str, Any]) -> None:
        """Take the state ``export`` wrote (missing fields keep their defaults).

        The module is not loaded here: the executor loads it, through the sandbox, when
        the task first runs (``code_load_tried`` is cleared when there is code).
        """
        for name in self._PLAIN:
            if name in saved:
                setattr(self, name, saved[name])
        self.stage = check_stage(self.stage)
        self.draws = int(self.draws)
        self.beyond_cache = float(self.beyond_cache)
        self.repeat_audits = float(self.repeat_audits)
        self.first_sightings = int(self.first_sightings)
        self.evidence = Evidence.from_export(saved.get("evidence"))
        self.metrics = TaskMetrics.from_export(saved.get("metrics") or {})
        self.memo = AnswerMemo.from_export(saved.get("memo"), self.policy.memo_limit)
        self.detector = ChangeDetector.from_export(
            saved.get("detector"), self.policy.max_disagreement, self.policy.drift_threshold)
        self.costs = CostModel.from_export(saved.get("costs"))
        self.module = None
        if self.code:
            self.code_load_tried = False
