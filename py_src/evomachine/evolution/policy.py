"""When code may answer for the LLM: one error budget, and the evidence rules around it.

An executor has one :class:`EvolutionPolicy` (constructor ``policy=`` or
keyword overrides); a task overrides any field with an attribute of the same
name (``max_disagreement: 0.05;``), validated here.

**The budget.** ``max_disagreement`` is the largest share of the inputs the
code answers on which the user accepts that it disagrees with the LLM. Every
decision compares a one-sided Clopper–Pearson upper bound (level ``risk``) of
measured disagreement with it, never a point estimate.

**Why 0.10.** Agreement is measured against the LLM, which is itself wrong
some of the time. For an LLM right 95% of the time whose mistakes do not
depend on what the code sees, code that is wrong a share ``e`` of the time
disagrees with it about ``e + 0.05 - 2 * 0.05 * e`` of the time, so a bound of
0.10 on disagreement means ``e <= 0.05 / 0.9 = 0.056``: the inputs the code
answers are answered within 0.6 points of the LLM's own accuracy, and the
whole run stays within 1 point of an LLM-only run. A tighter budget (0.08)
would sit so close to the LLM's own 5% that hundreds of examples are needed
before any code may answer. Lower it for a more consistent model.

**Drift insurance.** Re-asking a repeated input costs a call an exact-match cache
would not make, so such audits are paid out of what code saved beyond that cache:
the run never costs more than the cache. While no code has earned anything (a task
in ``llm_only`` whose repeats the memo answers) nothing pays for them, and if the
LLM changes its answers to repeated inputs, the memo serves the old ones as a cache
would. ``drift_insurance`` (default 0) lets audits of repeats spend that share of
what the cache paid. Measured with ``bench/evolution.py --only mail-drift mail-stream
--seed 11 --policy '{"drift_insurance": 0.05}'``: where no code was ever certified and
the memo served 108 old answers in the last 500 executions, 0.05 serves none; on the
repetitive stream it costs 197 calls where the cache pays 192 (199 at seed 7, engine of 83c4e5a;
0.02 was not enough).
The default keeps the promise never to cost more than a cache.

**Pacing.** After a synthesis that gave nothing usable, the next try waits until history
grew by ``resynthesis_growth`` (1.2) when the students learnt something (held-out agreement
above the most common answer's share by ``codegen_min_lift``), by its square (1.44) when
they did not: a partly learnable task's certified cut grows with its history, and each
execution waited for is paid at the LLM's price, while a try costs only local work.
Measured with ``bench/evolution.py --seed S`` for S = 7, 11, 3 against 1.5 for every try:
the partly learnable first names save 8.1 / 22.3 / 9.7% instead of 5.9 / 9.1 / 5.5%;
summed over the eleven workloads and three seeds, 27 points more are avoided, mail folders
at seed 7 losing most (59.6 to 54.8%). A task nothing can learn tries about as often as
before (1.44 against 1.5).

**Audits.** Answers not given by the LLM (the code's, the memo's) are
re-asked at a small rate in every stage; a CUSUM on the outcomes
(:mod:`evomachine.evolution.drift`) catches a change. While the CUSUM is above
zero (a recent disagreement) the rate is multiplied by ``audit_boost``, as in
variable-sampling-interval control charts: quiet code costs ``audit_rate``
(about 3.5% of its answers with the boosts after chance disagreements), and
a quarter of the traffic changing its answer is caught within about 200
executions instead of the 800 a flat 3% would need.

**Code-writing requests.** The LLM is asked for code only while everything asked so far and
the next request's worst case stay within ``codegen_max_share`` (5%) of what the task's LLM
calls cost. The worst case is the request's prompt and an answer as long as its cap (4,096
tokens) at the model's output price, $0.064 at $3/$15 per million tokens: the code is the
answer, and a lookup function for a few hundred names came to 2,903 output tokens. So a
task whose calls cost $0.0003 asks after about 4,000 executions. Measured with
``bench/evolution.py --seed 7`` (engine of 83c4e5a): within 2,000 executions no workload
asks; with ``--policy '{"codegen_max_share": 0.5}'`` entity normalisation asks twice and mail
folders once, and each saves less for it (76.1 and 58.3% against 78.1 and 59.5%: the code
the bench's LLM writes never beats the students). Raise the share for an LLM whose code you
trust. A client allowed longer answers than 4,096 tokens keeps its cap, and is budgeted at it.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from evomachine.model import Node

EXECUTION_THRESHOLD = 50
SUCCESS_RATE_THRESHOLD = 0.90
MAX_DISAGREEMENT = 0.10
# Fields of 0.1.0 policies (saved executors, exports) that the error budget replaced.
RETIRED = frozenset({
    "hybrid_min_heldout", "hybrid_min_confident_agreement", "hybrid_min_coverage",
    "code_first_min_heldout", "code_only_min_heldout", "code_first_min_agreement",
    "code_only_min_agreement", "demotion_agreement", "demotion_min_checks", "demotion_window",
    "evidence_shadow_rate", "code_only_audit_rate",
})
# 0.1.0's defaults where 0.2's differ. A policy that holds RETIRED fields was saved by 0.1.0,
# which saved every default: where it still has one of these, 0.2's default applies instead
# (a value set to anything else is kept). Below 4, 0.1.0's execution_threshold becomes 4.
OLD_DEFAULTS = {"execution_threshold": 100, "confidence_threshold": 0.8, "llm_threshold": 0.7,
                "resynthesis_after": 50}


class PolicyError(ValueError):
    """A policy value is out of range or of the wrong type."""


class EvolutionPolicy(BaseModel):
    """The error budget, the evidence each stage needs, audit rates and synthesis pacing."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    # the budget: disagreement with the LLM accepted on the inputs code answers, and the
    # risk that its upper confidence bound is wrong
    max_disagreement: float = Field(MAX_DISAGREEMENT, gt=0.0, lt=0.5)
    risk: float = Field(0.05, gt=0.0, lt=0.5)
    # the first synthesis: this many executions, the LLM answering at least this share
    execution_threshold: int = Field(EXECUTION_THRESHOLD, ge=4)
    success_rate_threshold: float = Field(SUCCESS_RATE_THRESHOLD, ge=0.0, le=1.0)
    # hybrid: the code must answer at least this share of held-out inputs within the budget,
    # with at least min_answered answers behind the bound
    min_coverage: float = Field(0.05, gt=0.0, le=1.0)
    min_answered: int = Field(20, ge=1)
    # optional floors on the code's confidence in hybrid / code_first (the budget decides alone
    # when unset)
    confidence_threshold: float | None = Field(None, ge=0.0, le=1.0)
    llm_threshold: float | None = Field(None, ge=0.0, le=1.0)
    # live checks (pooled with held-out evidence) needed to enter code_first / code_only
    code_first_min_checks: int = Field(30, ge=1)
    code_only_min_checks: int = Field(50, ge=1)
    # share of the code's answers checked against the LLM in hybrid until code_first's checks
    # are in; then (and in every later stage, memo answers too) the audit rates
    shadow_rate: float = Field(0.1, ge=0.0, le=1.0)
    audit_rate: float = Field(0.03, ge=0.0, le=1.0)
    audit_boost: float = Field(4.0, ge=1.0)
    memo: bool = True
    memo_audit_rate: float = Field(0.02, ge=0.0, le=1.0)
    # audits of repeated inputs are paid out of what code saved beyond an exact-match cache,
    # plus this share of what such a cache paid (0: never more than the cache; see below)
    drift_insurance: float = Field(0.0, ge=0.0, le=1.0)
    memo_limit: int = Field(5000, ge=0)
    # change detection: CUSUM alarm level (higher: fewer false alarms, slower detection)
    drift_threshold: float = Field(4.0, gt=0.0)
    # synthesis pacing: after a try that gave nothing usable, wait this many executions or
    # this growth of history, whichever is more; refresh code when history grew this much,
    # keeping the new code if it answers more of the last coverage_window inputs
    resynthesis_after: int = Field(20, ge=1)
    resynthesis_growth: float = Field(1.2, ge=1.0)
    refresh_growth: float = Field(2.0, ge=0.0)
    coverage_window: int = Field(300, ge=1)
    # LLM-written code: asked only when the students learnt something (held-out agreement
    # this far above the most common answer's share) but not everything; its requests may
    # cost at most this share of what the task's LLM calls cost so far; after this many
    # refusals or failures, pause until history grew this much
    codegen_min_lift: float = Field(0.1, ge=0.0, le=1.0)
    codegen_max_share: float = Field(0.05, ge=0.0, le=1.0)
    codegen_max_failures: int = Field(2, ge=1)
    codegen_pause_growth: float = Field(4.0, ge=1.0)
    # bookkeeping
    agreement_window: int = Field(200, ge=1)
    check_every: int = Field(10, ge=1)
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
        """A policy from an instance or dict plus keyword overrides, validated.

        Fields that older versions saved and the error budget replaced are dropped, and a
        0.1.0 policy's defaults become this version's (:data:`OLD_DEFAULTS`).
        """
        base = policy.model_dump() if isinstance(policy, EvolutionPolicy) else dict(policy or {})
        if RETIRED & base.keys():  # saved by 0.1.0
            base = {key: value for key, value in base.items()
                    if key not in RETIRED and not (key in OLD_DEFAULTS
                                                   and value == OLD_DEFAULTS[key])}
            if isinstance(base.get("execution_threshold"), int):
                base["execution_threshold"] = max(4, base["execution_threshold"])
        try:
            return cls.model_validate({**base, **overrides})
        except ValidationError as error:
            raise PolicyError(f"invalid evolution policy: {error}") from None

    def check_rate(self, stage: str, live_checks: int, alert: bool) -> float:
        """Share of the code's answers in ``stage`` re-asked to the LLM (``alert``: the change
        detector is above zero)."""
        rate = self.audit_rate * (self.audit_boost if alert else 1.0)
        if stage == "hybrid" and live_checks < self.code_first_min_checks:
            rate = max(self.shadow_rate, rate)
        return min(1.0, rate)

    def memo_check_rate(self, alert: bool) -> float:
        """Share of the memo's answers re-asked to the LLM."""
        return min(1.0, self.memo_audit_rate * (self.audit_boost if alert else 1.0))

    def floor(self, stage: str) -> float:
        """The user's lowest confidence for a code answer in ``stage`` (0 when unset)."""
        value = self.confidence_threshold if stage == "hybrid" else self.llm_threshold
        return value or 0.0
