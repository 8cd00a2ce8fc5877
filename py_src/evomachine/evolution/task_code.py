"""A task's generated module in the evolving executor: loaded, loaded again, installed by hand.

The executor loads a task's code once, at its first execution (its own code, else
what its ``code_path`` names in storage: :func:`load_stored_code`). A module the
sandbox stopped (:func:`killed`) is loaded again after a wait that doubles with
each kill (:func:`schedule_reload`, :func:`module_usable`). Code from outside (a
pattern, the user) is installed at the highest stage its agreement with the task's
history allows (:func:`install_code`). Every load goes through ``ex.load_module`` (the sandbox).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from evomachine.evolution.bounds import within
from evomachine.evolution.evolver import cuts, manual_cut
from evomachine.evolution.stages import answers, checked_result, same_answer
from evomachine.evolution.task_state import Candidate, TaskState
from evomachine.ladder import check_stage, rank
from evomachine.storage.keys import code_path

if TYPE_CHECKING:
    from evomachine.evolution.executor import EvolutionaryExecutor


def killed(state: TaskState) -> bool:
    """Was the task's module stopped by its sandbox (deadline, crash, memory)? The
    sandbox fails it for the rest of its load; the LLM answers meanwhile, in every stage."""
    return getattr(state.module, "failed", None) is not None


def schedule_reload(state: TaskState, seq: int) -> None:
    """After a failed code answer at execution ``seq``: if the sandbox stopped the module,
    wait before loading it again (:func:`module_usable`), twice as long after each kill."""
    if killed(state):
        state.kills += 1
        state.reload_at = seq + state.policy.check_every * 2 ** min(state.kills - 1, 20)


async def module_usable(ex: EvolutionaryExecutor, state: TaskState, seq: int) -> bool:
    """The task's module, loaded again if the sandbox stopped it, ``check_every``
    executions after the kill and twice as long after each further kill: an overrun on
    a busy machine must not retire verified code, and code that overruns again and
    again costs ever fewer deadlines."""
    if not killed(state):
        return True
    if seq < state.reload_at or state.code is None:
        return False
    try:
        state.module = await ex.load_module(state.code, state.code_path or "generated/x.py")
    except Exception as error:  # refused now: the LLM answers; the next try comes later
        state.last_synthesis = {**(state.last_synthesis or {}),
                                "reload_error": f"{type(error).__name__}: {error}"}
        return False
    return True


async def load_stored_code(ex: EvolutionaryExecutor, state: TaskState) -> None:
    """Load the task's code (its own, else what ``code_path`` names in storage), once.

    Code that the sandbox refuses leaves the task without a module: the LLM answers,
    and ``last_synthesis`` says why.
    """
    state.code_load_tried = True
    code = state.code
    if code is None and ex.storage is not None and state.code_path is not None:
        code = await ex.storage.load_code(state.code_path)
        if code is not None:
            state.code = code
            state.synthesizer = state.synthesizer or "stored"
    if code is None:
        return
    try:
        state.module = await ex.load_module(code, state.code_path or "generated/stored.py")
    except Exception as error:  # SandboxError or anything the loader raises: never a crash
        state.module = None
        state.last_synthesis = {"error": f"stored code refused: {type(error).__name__}: "
                                         f"{error}"}


async def install_code(ex: EvolutionaryExecutor, state: TaskState, code: str, stage: str,
                       source: str) -> dict[str, Any]:
    """Install ``code`` for the task of ``state`` at ``stage`` or lower, as its agreement on
    history allows.

    The code answers every LLM answer in the task's history; the stage is the
    highest up to ``stage`` that the error budget allows on those answers
    (``llm_only`` at worst).
    """
    task = state.name
    check_stage(stage)
    path = code_path(ex.machine_id, task, state.code_version + 1)
    module = await ex.load_module(code, path)
    spec = ex.task_spec(task)
    records = [r for r in ex.histories[task].training_records()
               if r.success and r.llm_output is not None]
    pairs: list[tuple[float, bool]] = []
    results = await answers(module, [r.input for r in records], dict(ex.context))
    for record, result in zip(records, results, strict=True):
        outcome = checked_result(result, spec.schema)
        agreed = outcome.error is None and same_answer(outcome.output, record.llm_output)
        pairs.append((outcome.confidence if outcome.error is None else 0.0, agreed))
    policy = state.policy
    cut, full = cuts(pairs, policy.max_disagreement, policy.risk, policy.min_answered)
    agreement = sum(ok for _, ok in pairs) / len(pairs) if pairs else None
    candidate = Candidate(code, source, agreement or 0.0, module,
                          cut.as_dict() if cut else None, full.as_dict())
    if not records:
        # Nothing to check it on: installed as asked, answering at the user's floor.
        installed = stage
        candidate.cut = manual_cut(policy, full.as_dict())
    elif stage == "code_only" and within(full.disagreed, full.answered,
                                         policy.max_disagreement, policy.risk):
        installed = "code_only"
    elif cut is not None and cut.coverage >= policy.min_coverage and stage != "llm_only":
        installed = stage if rank(stage) <= rank("code_first") else "code_first"
    else:
        installed = "llm_only"
    await ex.evolver.install(state, candidate)
    state.synthesizer = source
    shown = "no history to check" if agreement is None else \
        f"agreement {agreement:.3f} on {len(records)} records"
    await ex.evolver.change_stage(state, installed, f"installed from {source} ({shown})")
    return {"agreement": agreement, "checked": len(records), "installed_stage": installed}
