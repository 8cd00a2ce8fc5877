"""A refresh that adds coverage: a newer model certified where the code in place declines.

While code answers the inputs it is sure of, the LLM answers (and labels) every input it
declines. A refreshed model that must replace the code outright is certified on all
held-out answers, mostly those hard inputs, so its cut rarely covers more than the code
in place. Stacked under the code in place, it answers only where that code declines, and
is calibrated and certified on those held-out inputs alone (a census of the declined
region): the code in place keeps its own cut and evidence where it answers, the new layer
adds what it can answer there within the budget. Both regions within the budget by their
upper bounds, the union is too.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from evomachine.evolution.bounds import Cut, safe_cut
from evomachine.evolution.stages import answers, checked_result
from evomachine.evolution.synthesis.calibration import apply, fit_calibration
from evomachine.evolution.synthesis.render import render_module
from evomachine.evolution.synthesis.runtime import canonical
from evomachine.evolution.synthesis.spec import SynthesisError
from evomachine.evolution.synthesis.spec import TaskSpec as SynthesisSpec
from evomachine.evolution.synthesis.stack import STACKABLE, SYNTHESIZER, depth, stack_modules
from evomachine.evolution.task_state import Candidate, TaskState
from evomachine.storage.keys import code_path

if TYPE_CHECKING:
    from evomachine.evolution.evolver import Evolver

# At most this many models in one stacked module (each layer is run on a declined input).
MAX_DEPTH = 3
# Inputs on which the stacked module is checked against its layers before it is used.
VERIFY_INPUTS = 25


async def declined(module: Any, cut: float, inputs: list[Any],
                   context: dict[str, Any]) -> list[bool]:
    """For each input, whether ``module`` leaves it to the LLM at confidence ``cut``."""
    results = await answers(module, inputs, context)
    flags = []
    for result in results:
        outcome = checked_result(result, None)
        flags.append(outcome.error is not None or outcome.confidence < cut)
    return flags


def stackable(state: TaskState, candidate: Candidate) -> bool:
    """Whether a model of ``candidate``'s synthesis may become a layer under the task's code."""
    result = candidate.synthesis
    return (state.stage in ("hybrid", "code_first") and state.module is not None
            and state.code is not None and state.cut is not None
            and not state.cut.get("manual")
            and (state.synthesizer or "").split(":")[0] in STACKABLE
            and result is not None and bool(result.heldout)
            and depth(state.code) < MAX_DEPTH)


def layer_cut(pairs: list[tuple[float, bool]], policy: Any) -> tuple[list[Any], Cut | None]:
    """The calibration table fitted on ``pairs`` and the budget's widest cut of it."""
    table = fit_calibration(pairs)
    calibrated = [(apply(table, raw), agreed) for raw, agreed in pairs]
    return table, safe_cut(calibrated, policy.max_disagreement, alpha=policy.risk,
                           min_answered=policy.min_answered)


async def stacked_candidate(evolver: Evolver, state: TaskState, candidate: Candidate
                            ) -> tuple[Candidate, dict[str, bool]] | None:
    """The code in place with a second layer where it declines: of the synthesis's in-process
    models, the one whose cut within the budget answers most of the declined held-out
    inputs; ``None`` when none has such a cut. With it, whether the stacked module answers
    each held-out input, the new layer judged by its cross-fitted answers."""
    if not stackable(state, candidate):
        return None
    ex, policy, result = evolver.ex, state.policy, candidate.synthesis
    assert state.module is not None and state.code is not None and state.cut is not None
    base_cut = float(state.cut["threshold"])
    inputs: dict[str, Any] = {}
    for rows in result.heldout.values():
        for input, _ in rows:
            inputs.setdefault(canonical(input), input)
    flags = await declined(state.module, base_cut, list(inputs.values()), dict(ex.context))
    left = {key for key, flag in zip(inputs, flags, strict=True) if flag}
    best: tuple[int, str, list[Any], list[Any], Cut] | None = None
    for name, rows in result.heldout.items():
        pairs = [pair for input, pair in rows if canonical(input) in left]
        table, cut = layer_cut(pairs, policy)
        if cut is not None and (best is None or cut.answered > best[0]):
            best = (cut.answered, name, pairs, table, cut)
    if best is None:
        return None
    _, name, pairs, table, cut = best
    model = result.model if name == result.synthesizer else result.refit[name]()
    spec = ex.task_spec(state.name)
    target = SynthesisSpec(name=spec.name, prompt=spec.prompt.source, output_schema=spec.schema)
    version = f"v{state.code_version + 1}"
    agreement = sum(agreed for _, agreed in pairs) / len(pairs)
    top = render_module(target, model, version=version, calibration=table,
                        trained_on=len(inputs), heldout_agreement=agreement,
                        heldout_size=len(pairs))
    code = stack_modules(state.code, base_cut, top, cut.threshold, task=spec.name,
                         version=version, output_values=target.output_values)
    module = await ex.load_module(code, code_path(ex.machine_id, state.name, version))
    await verify(module, state.module, base_cut, model, table, cut.threshold,
                 list(inputs.values())[:VERIFY_INPUTS], dict(ex.context))
    old = state.cut
    answered, disagreed = int(old["answered"]) + cut.answered, int(old["disagreed"]) + cut.disagreed
    total = int(old["total"]) + len(pairs)
    lower = min(base_cut, cut.threshold)
    stacked_cut = Cut(lower, answered, disagreed, total, policy.risk).as_dict()
    stacked_cut["layer"] = cut.as_dict()
    wrong = sum(not agreed for _, agreed in pairs)
    full = Cut(0.0, int(old["answered"]) + len(pairs), int(old["disagreed"]) + wrong,
               total, policy.risk).as_dict()
    known = {key: key not in left or apply(table, raw) >= cut.threshold
             for key, (raw, _) in ((canonical(i), pair) for i, pair in result.heldout[name])}
    return Candidate(code, f"{SYNTHESIZER}:{state.synthesizer}+{name}",
                     agreement, module, stacked_cut, full, result), known


async def verify(module: Any, base: Any, base_cut: float, model: Any, table: Any,
                 top_cut: float, inputs: list[Any], context: dict[str, Any]) -> None:
    """The stacked module answers like its layers: the code in place where it is sure, the
    new model (with the declined inputs' calibration) elsewhere."""
    got = await answers(module, inputs, context)
    first = await answers(base, inputs, context)
    for input, result, expected in zip(inputs, got, first, strict=True):
        outcome, base_outcome = checked_result(result, None), checked_result(expected, None)
        if outcome.error is not None:
            raise SynthesisError(f"the stacked module failed on {input!r}: {outcome.error}")
        if base_outcome.error is None and base_outcome.confidence >= base_cut:
            want, sure = base_outcome.output, True
        else:
            output, raw = model.predict(input)
            want, sure = output, apply(table, raw) >= top_cut
        if outcome.output != want or (outcome.confidence >= min(base_cut, top_cut)) != sure:
            raise SynthesisError(f"the stacked module answers {outcome.output!r} for {input!r} "
                                 f"where its layers answer {want!r}: a stacking bug")
