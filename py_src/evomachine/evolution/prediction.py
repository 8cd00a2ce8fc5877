"""Will an execution ask the LLM? The evolving executor's answer, for prefetching.

:func:`predict` walks the decisions of ``EvolutionaryExecutor._execute`` (memo,
code, audits) on the current state without changing it: the memo is read, not
sighted; check draws are computed from their index (``draw(seed, n)``), not
taken; the code is run but nothing is recorded. Executions predicted but not
committed yet (``pending``) count as if done: an input already ahead is a
repeat, and their draws come first. A wrong guess only costs a wasted or a
late request; the ordered path decides.
"""

from __future__ import annotations

from typing import Any

from evomachine.evolution.accounting import input_size
from evomachine.evolution.stages import draw, run_code
from evomachine.evolution.synthesis.runtime import canonical
from evomachine.executor._types import TaskSpec
from evomachine.executor.concurrent import Guess, Pending


async def predict(ex: Any, spec: TaskSpec, input: Any, pending: Pending) -> Guess:
    """The guess for running ``spec`` on ``input`` after the ``pending`` executions."""
    if ex.llm is None:
        return Guess(False)
    state = ex.tasks[spec.name]
    policy = state.policy
    key = canonical(input)
    if pending.keys.get(key):
        return Guess(False, key)  # answered by then (memo) or going the same way as before
    first_sighting = key not in state.memo.sighted
    may_audit = ex._may_audit(state, first_sighting, input_size(input))
    index = state.draws + pending.draws

    def audited(rate: float) -> Guess:
        if may_audit and rate:
            return Guess(draw(state.seed, index + 1) < rate, key, 1)
        return Guess(False, key)

    alert = state.detector.score > 0
    if policy.memo:
        hit = state.memo.lookup(input, key)
        if hit is not None and (hit.kind == "exact" or ex._normalized_trusted(state)):
            return audited(ex._memo_rate(state, hit))
    threshold = state.threshold()
    if threshold is None:
        return Guess(True, key)
    rate = policy.check_rate(state.stage, state.evidence.checks, alert)
    if state.stage == "code_only":
        return audited(rate)  # the code answers (a failure asks no one either)
    code = await run_code(state.module, input, dict(ex.context), spec.schema)
    if code.error is None and code.confidence >= threshold:
        return audited(rate)
    return Guess(True, key)
