"""Which answers the LLM re-checks, and who pays for re-checking a repeat.

Answers the memo or the code gave are re-asked at the policy's rates
(:meth:`~evomachine.evolution.policy.EvolutionPolicy.check_rate`). An audit
of a first sighting costs what an exact-match cache would pay anyway; an
audit of a repeat does not, so it is paid out of what was saved beyond such a
cache (:func:`audit_funded`): the run never costs more than the cache would.
"""

from __future__ import annotations

from typing import Any

from evomachine.evolution.bounds import beyond
from evomachine.evolution.task_state import TaskState

# Share of the estimated savings beyond a cache that audits of repeats may spend: an avoided
# call's cost is estimated from its input's size (``CostModel``), an audit's is paid in full,
# and at seed 3 spending all of the estimate left mail-stream's bill 0.03% above the cache's.
SPENDABLE = 0.9


def may_audit(state: TaskState, first_sighting: bool, size: int) -> bool:
    """May this execution's answer be audited (if its draw says so)?

    An audit of a repeat costs a call an exact cache would not make: it must be paid for
    (see :func:`audit_funded`); an audit of a first sighting costs what the cache pays
    anyway. While a disagreeing memo audit keeps the change detector up (the LLM changed an
    answer it gave before), audits are not rationed: a cache that keeps serving changed
    answers is no bar to meet.
    """
    return (first_sighting or not state.policy.memo or state.detector.doubts_memo
            or audit_funded(state, size))


def memo_rate(state: TaskState, hit: Any) -> float:
    """The share of the memo's answers like ``hit`` that are re-asked.

    While the memo is in doubt (see :func:`may_audit`) every exact answer from before the
    doubt began is re-asked: a change's stale answers go back to the LLM at once.
    """
    policy, detector = state.policy, state.detector
    alert = detector.score > 0
    if hit.kind != "exact":
        return policy.check_rate("hybrid", state.normalized_checks, alert)
    if detector.doubts_memo and hit.seq < detector.started_at:
        return 1.0
    return policy.memo_check_rate(alert)


def normalized_trusted(state: TaskState) -> bool:
    """Whether the memo's normalised answers are still within the budget."""
    policy = state.policy
    return not beyond(state.normalized_disagreed, state.normalized_checks,
                      policy.max_disagreement, policy.risk)


def audit_funded(state: TaskState, size: int) -> bool:
    """May an answer to a repeated input be audited? Only out of what was saved beyond a cache.

    An exact-match cache in front of the LLM pays for every first sighting and nothing
    else. The code and the normalised memo answer first sightings without a call; what
    each such call would have cost (``beyond_cache``) pays for calls on repeats (audits,
    and repeats the memo cannot answer: ``repeat_audits``, what they cost) and for
    code-writing requests, so the run never costs more than such a cache. The policy's
    ``drift_insurance`` adds that share of what such a cache paid so far (its calls, one per
    first sighting, each valued as this one):
    audits of repeats while no code saves anything, the only way to notice that the LLM
    now answers a repeated input differently. Counted in dollars when the provider is
    priced, in calls when it is not.
    """
    priced = state.costs.sy > 0
    codegen = state.metrics.codegen_cost if priced else state.metrics.codegen_calls
    spent = state.repeat_audits + codegen
    value = call_value(state, size)
    insured = state.policy.drift_insurance * state.first_sightings * value
    return spent + value <= SPENDABLE * state.beyond_cache + insured


def spent_on_repeat(state: TaskState, answer: Any) -> None:
    """Count a call on a repeated input (an ``LLMAnswer``) against what was saved beyond a
    cache."""
    paid = float(answer.response.cost or 0.0) if answer.response is not None else 0.0
    state.repeat_audits += paid if state.costs.sy > 0 else 1.0


def call_value(state: TaskState, size: int) -> float:
    """What an LLM call on an input of ``size`` costs, in :func:`audit_funded`'s units."""
    if state.costs.sy <= 0:
        return 1.0
    return state.costs.estimate(size) or 0.0
