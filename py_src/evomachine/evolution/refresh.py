"""Refreshing code from a grown history: kept only if it answers more of the recent traffic.

Held-out examples are the inputs the LLM answered, and once code answers the easy ones
those are the hard ones: two versions' held-out coverages cannot be compared, their
coverage of the same recent traffic can (it needs no labels). The recent inputs the LLM
answered are in the new version's training set: there its coverage counts half from its
cross-fitted held-out answers (a model that did not see them) and half from the final
model that did (see :func:`live_coverage`).
In ``code_only`` (every input answered) the new version must have a lower bound of
disagreement over every held-out input.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from evomachine.evolution.bounds import Cut, within
from evomachine.evolution.synthesis.calibration import apply
from evomachine.evolution.synthesis.runtime import canonical
from evomachine.evolution.task_state import Candidate, TaskState

if TYPE_CHECKING:
    from evomachine.evolution.evolver import Evolver
    from evomachine.evolution.executor import EvolutionaryExecutor


def recent_inputs(ex: EvolutionaryExecutor, state: TaskState) -> list[Any]:
    """The inputs of the task's latest executions that the memo did not answer, distinct,
    newest first: the traffic that code answers (``policy.coverage_window`` of them)."""
    found: dict[str, Any] = {}
    limit = state.policy.coverage_window
    for record in reversed(ex.histories[state.name].recent):
        if record.answered_by != "memo" and record.seq > state.train_from_seq:
            found.setdefault(canonical(record.input), record.input)
            if len(found) >= limit:
                break
    return list(found.values())


async def live_coverage(ex: EvolutionaryExecutor, module: Any, cut: dict[str, Any],
                        inputs: list[Any], known: dict[str, bool] | None = None) -> float:
    """The share of ``inputs`` that ``module`` answers at ``cut``'s confidence threshold.

    ``known`` holds, for inputs ``module`` was trained on (canonical key), whether a model
    that did not see them answers them (cross-fitted): such an input counts half that,
    half ``module``'s own answer. Exact repeats go to the memo, but traffic that comes
    back in other spellings gains from what ``module`` memorised; fresh traffic does not.
    """
    from evomachine.evolution.stages import answers, checked_result

    if module is None or not inputs:
        return 0.0
    known = known or {}
    threshold = float(cut["threshold"])
    covered = 0.0
    for input, result in zip(inputs, await answers(module, inputs, dict(ex.context)),
                             strict=True):
        outcome = checked_result(result, None)
        answered = outcome.error is None and outcome.confidence >= threshold
        key = canonical(input)
        covered += (answered + known[key]) / 2 if key in known else answered
    return covered / len(inputs)


def heldout_covered(rows: list[Any], table: Any, threshold: float) -> dict[str, bool]:
    """For each cross-fitted held-out answer ``(input, (raw, agreed))``, whether its
    calibrated confidence reaches ``threshold`` (keyed by the input's canonical text)."""
    return {canonical(input): apply(table, raw) >= threshold for input, (raw, _) in rows}


async def refresh(evolver: Evolver, state: TaskState, seen: int, *,
                  halfway: bool = False) -> float:
    """New code from a grown history, kept only if it answers more; synthesis ms spent.
    ``halfway`` (halfway to a refresh): the LLM is not asked for code, and the refresh
    schedule stays; the new model competes alone and as a layer under the code in place
    (:mod:`.stacking`)."""
    # The LLM's own code cannot be a layer: a halfway try does not ask for it.
    candidate, spent = await evolver.synthesize(state, codegen=not halfway)
    if not halfway:
        state.synthesized_at = seen
    if candidate is None:
        return spent
    policy = state.policy
    if state.stage == "code_only":
        full = candidate.full or {}
        better = bool(full) and within(int(full["disagreed"]), int(full["answered"]),
                                       policy.max_disagreement, policy.risk) \
            and float(full["upper_bound"]) < float((state.full or {}).get("upper_bound", 1))
        shown = ""
    else:
        better, shown = False, ""
        if state.cut is not None:
            started = time.perf_counter()
            inputs = recent_inputs(evolver.ex, state)
            old = await live_coverage(evolver.ex, state.module, state.cut, inputs)
            new = 0.0
            if candidate.cut is not None:
                result = candidate.synthesis
                known = heldout_covered(result.heldout.get(result.synthesizer, []),
                                        result.calibration, float(candidate.cut["threshold"])) \
                    if result is not None else None
                new = await live_coverage(evolver.ex, candidate.module, candidate.cut, inputs,
                                          known)
            candidate, new = await stacked(evolver, state, candidate, new, inputs)
            spent += (time.perf_counter() - started) * 1000.0
            better = new > old
            shown = f"; answers {new:.0%} of the last {len(inputs)} inputs (was {old:.0%})"
    if not better:
        return spent
    await evolver.install(state, candidate)
    evolver.record(state, state.stage, f"code refreshed from {seen} executions; "
                   f"{candidate.synthesizer}: {Cut.describe_dict(candidate.cut)}{shown}")
    return spent


async def stacked(evolver: Evolver, state: TaskState, candidate: Candidate, coverage: float,
                  inputs: list[Any]) -> tuple[Candidate, float]:
    """``candidate`` stacked under the code in place (:mod:`.stacking`) when that answers
    more of ``inputs`` than ``candidate`` alone, with the coverage that wins."""
    from evomachine.evolution.stacking import stacked_candidate

    try:
        found = await stacked_candidate(evolver, state, candidate)
    except Exception as error:  # SynthesisError, a sandbox refusal: the plain refresh
        state.last_synthesis = {**(state.last_synthesis or {}),
                                "stack_error": f"{type(error).__name__}: {error}"}
        return candidate, coverage
    if found is None:
        return candidate, coverage
    stack, known = found
    covered = await live_coverage(evolver.ex, stack.module, stack.cut or {}, inputs, known)
    return (stack, covered) if covered > coverage else (candidate, coverage)
