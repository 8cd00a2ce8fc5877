"""``EvolutionaryExecutor``: tasks run by the LLM at first, then by code synthesized from history.

Per execution, in order: the memo of the LLM's answers (exact and normalised
repeats), then the task's code where its calibrated confidence clears the
error budget's cut, then the LLM. A share of the memo's and the code's
answers is re-asked (audits); a disagreeing audit gives the LLM's answer and
feeds the change detector. Every ``check_every`` executions the
:class:`~evomachine.evolution.evolver.Evolver` decides on stages. A task's
generated module is loaded, reloaded after a kill and installed by hand in
:mod:`evomachine.evolution.task_code`. State is written behind the executor in
batches (see :mod:`evomachine.evolution.snapshot`).
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterable
from typing import Any

from evomachine.evolution import snapshot, task_code
from evomachine.evolution.accounting import input_size
from evomachine.evolution.audits import (
    call_value,
    may_audit,
    memo_rate,
    normalized_trusted,
    spent_on_repeat,
)
from evomachine.evolution.evolver import Evolver
from evomachine.evolution.policy import EvolutionPolicy
from evomachine.evolution.prediction import code_answer
from evomachine.evolution.stages import CodeOutcome, EvolutionError, same_answer
from evomachine.evolution.synthesis.runtime import canonical
from evomachine.evolution.task_code import (
    killed,
    load_stored_code,
    module_usable,
    schedule_reload,
)
from evomachine.evolution.task_state import ModuleLoader, TaskState
from evomachine.executor import ExecutionError, MachineExecutor, StepResult, TaskResult, TaskSpec
from evomachine.executor._machine import LLMAnswer
from evomachine.history import ExecutionRecord
from evomachine.interrupts import Interrupted
from evomachine.ladder import STAGES, check_stage
from evomachine.model import MachineData
from evomachine.storage.keys import check_machine_id


class EvolutionaryExecutor(MachineExecutor):
    """A :class:`MachineExecutor` whose tasks evolve ``llm_only → hybrid → code_first → code_only``.

    ``policy`` (an :class:`EvolutionPolicy` or dict) and keyword overrides set
    the error budget and the evidence rules; task attributes of the same names
    override them per task. ``seed`` drives the check sampling; ``persist_every``
    is how many steps or executions pass between write-behind flushes to
    ``storage``. Generated code is loaded into ``sandbox`` (a
    :class:`~evomachine.sandbox.SandboxHost`; by default the process-wide host: a
    resource-limited child process in CPython, this interpreter's sandbox in Pyodide);
    ``module_loader(code, path)`` replaces it with a function of your own (tests).
    """

    def __init__(
        self,
        machine: MachineData,
        context: dict[str, Any] | None = None,
        storage: Any = None,
        *,
        llm: Any = None,
        inputs: Iterable[dict[str, Any]] | None = None,
        machine_id: str | None = None,
        history_limit: int = 2000,
        trace_limit: int = 100_000,
        policy: EvolutionPolicy | dict[str, Any] | None = None,
        seed: int = 0,
        persist_every: int = 200,
        module_loader: ModuleLoader | None = None,
        sandbox: Any = None,
        **policy_overrides: Any,
    ):
        self.policy = EvolutionPolicy.build(policy, **policy_overrides)
        self.seed = seed
        self.persist_every = persist_every
        self.module_loader = module_loader
        self._sandbox = sandbox
        self.mutations: list[dict[str, Any]] = []
        self.tasks: dict[str, TaskState] = {}
        self.evolver = Evolver(self, self._record_evolution)
        self._in_step = False
        self._changes = 0
        self.persisted = snapshot.PersistedKeys()
        super().__init__(machine, context, storage, llm=llm, inputs=inputs, machine_id=machine_id,
                         history_limit=history_limit, trace_limit=trace_limit)
        check_machine_id(self.machine_id)
        self.prefetch.on_waste = self._wasted

    def load_machine(self, machine: MachineData) -> None:
        super().load_machine(machine)
        states: dict[str, TaskState] = {}
        for name, spec in self._specs.items():
            node = spec.node
            policy = self.policy.for_task(node)
            old = self.tasks.get(name)
            if old is not None:
                old.policy = policy
                states[name] = old
                continue
            stage = check_stage(node.attr("evolution_stage", "llm_only"), f"on task {name!r}")
            code_path = node.attr("code_path")
            states[name] = TaskState(name, stage, policy, f"{self.seed}|{self.machine_id}|{name}",
                                     str(code_path) if code_path is not None else None)
        self.tasks = states

    def _wasted(self, task: str, calls: int, cost: float) -> None:
        """Answers sent ahead for ``task`` and not taken: its calls and cost (see
        :class:`~evomachine.executor.prefetch.PrefetchCache`)."""
        state = self.tasks.get(task)
        if state is not None:
            state.metrics.add_wasted(calls, cost)
            self._changes += 1

    # --- running ------------------------------------------------------------------

    async def step(self) -> StepResult | None:
        self._in_step = True
        try:
            result = await super().step()
        finally:
            self._in_step = False
        self._changes += 1
        await self._maybe_flush()
        return result

    async def execute_task(self, name: str, input: Any, *, expected: Any = None) -> TaskResult:
        result = await super().execute_task(name, input, expected=expected)
        state = self.tasks[name]
        state.since_check += 1
        if state.policy.auto_evolve and state.since_check >= state.policy.check_every:
            state.since_check = 0
            try:
                spent = await self.evolver.check(state)
            except Interrupted:
                # Pause came during a synthesis: this execution stands, the check runs again
                # at the next one (the run stops after this step).
                state.since_check = state.policy.check_every
                spent = 0.0
            if spent:
                # The synthesis delayed this execution: its latency says so.
                self.histories[name].recent[-1].latency_ms += spent
                result = dataclasses.replace(result, latency_ms=result.latency_ms + spent)
        if not self._in_step:
            self._changes += 1
            await self._maybe_flush()
        return result

    async def _execute(self, spec: TaskSpec, input: Any) -> tuple[ExecutionRecord, bool]:
        state = self.tasks[spec.name]
        if not state.code_load_tried:
            await load_stored_code(self, state)
        seq = self.histories[spec.name].seen + 1
        size = input_size(input)
        policy = state.policy
        key = canonical(input)  # once per execution: sighting, memo lookup and memo entry
        first_sighting = state.memo.sight(key)
        state.first_sightings += first_sighting
        auditable = may_audit(state, first_sighting, size)
        if policy.memo:
            hit = state.memo.lookup(input, key)
            if hit is not None and (hit.kind == "exact" or normalized_trusted(state)):
                rate = memo_rate(state, hit)
                if auditable and rate and state.sample() < rate:
                    return await self._audit(spec, state, input, hit.answer, None, seq, size,
                                             by="memo", normalized=hit.kind != "exact",
                                             repeat=not first_sighting), True
                state.costs.skipped(size)
                state.beyond_cache += call_value(state, size) if first_sighting else 0.0
                return self._answer_record(spec, state, input, hit.answer, by="memo"), False
        threshold = state.threshold()
        code: CodeOutcome | None = None
        if threshold is not None and await module_usable(self, state, seq):
            code = await code_answer(self, spec, state.module, key, input)
            if code.error is not None:
                schedule_reload(state, seq)
                state.metrics.add_check(False, shadow=False)
                if state.stage == "code_only" and not killed(state):
                    state.costs.skipped(size)
                    return self._code_record(spec, state, input, code, success=False), False
            elif code.confidence >= threshold:
                rate = policy.check_rate(state.stage, state.evidence.checks,
                                         state.detector.score > 0)
                if auditable and rate and state.sample() < rate:
                    return await self._audit(spec, state, input, code.output, code, seq, size,
                                             by="code", repeat=not first_sighting), True
                state.costs.skipped(size)
                state.beyond_cache += call_value(state, size) if first_sighting else 0.0
                return self._code_record(spec, state, input, code), False
        answer = await self.ask_llm(spec, input)
        self._paid(state, size, answer)
        if not first_sighting and policy.memo:
            # A repeat the memo cannot answer (code answered it before, or its call failed): a
            # call an exact cache would not make, paid out of the same savings as audits.
            spent_on_repeat(state, answer)
        record = self._llm_record(spec, input, answer, stage=state.stage,
                                  extra_latency=code.latency_ms if code else 0.0)
        if answer.ok:
            if policy.memo:
                state.memo.remember(input, answer.output, seq, key)
            if code is not None and code.error is None:
                # A check for free: the code's answer below the cut against the LLM's.
                state.evidence.add(same_answer(code.output, answer.output), confident=False)
        if code is not None:
            record.code_output = code.output
            record.code_confidence = None if code.error else code.confidence
            record.code_version = state.code_path
        return record, self.llm is not None

    async def predict_llm(self, spec: TaskSpec, input: Any, pending: Any) -> Any:
        from evomachine.evolution.prediction import predict

        return await predict(self, spec, input, pending)

    def code_behind_boundary(self, spec: TaskSpec) -> bool:
        state = self.tasks[spec.name]  # as predict() sends code ahead: code_only, a live module
        return (state.stage == "code_only" and not killed(state)
                and hasattr(state.module, "submit_many"))

    async def _audit(self, spec: TaskSpec, state: TaskState, input: Any, given: Any,
                     code: CodeOutcome | None, seq: int, size: int, *,
                     by: str, normalized: bool = False, repeat: bool = False
                     ) -> ExecutionRecord:
        """Re-ask the LLM for an answer the memo or the code gave; the LLM wins a disagreement."""
        answer = await self.ask_llm(spec, input)
        self._paid(state, size, answer)
        if repeat:  # a call an exact cache would not have made: paid out of beyond_cache
            spent_on_repeat(state, answer)
        if code is not None:
            record = self._code_record(spec, state, input, code)
        else:
            record = self._answer_record(spec, state, input, given, by=by)
        record.check, record.audited = "audit", given
        response = answer.response
        record.latency_ms += answer.latency_ms
        if response is not None:
            record.cost = response.cost
            record.input_tokens = response.input_tokens
            record.output_tokens = response.output_tokens
        if not answer.ok:
            record.error = f"audit not done: {answer.error}"  # the answer stands; traces show why
            return record
        agreed = same_answer(given, answer.output)
        record.llm_output = answer.output
        state.metrics.add_audit(agreed)
        if code is not None:
            state.metrics.add_check(agreed)
            state.evidence.add(agreed, confident=True)
        elif normalized:
            state.normalized_checks += 1
            state.normalized_disagreed += not agreed
        if not agreed:
            record.output = answer.output
            record.answered_by = "llm"
            record.confidence = None
        if state.policy.memo:
            state.memo.remember(input, answer.output, seq)
        if state.detector.observe(not agreed, seq, strict=code is None and not normalized):
            await self.evolver.on_change(state)
        return record

    def _paid(self, state: TaskState, size: int, answer: LLMAnswer) -> None:
        if answer.response is not None:
            state.costs.called(size, float(answer.response.cost or 0.0))
        else:
            state.costs.skipped(size)

    def _answer_record(self, spec: TaskSpec, state: TaskState, input: Any, output: Any, *,
                       by: str) -> ExecutionRecord:
        return ExecutionRecord(task=spec.name, input=input, output=output, answered_by=by,
                               stage=state.stage, success=True)

    def _code_record(self, spec: TaskSpec, state: TaskState, input: Any, code: CodeOutcome,
                     *, success: bool = True) -> ExecutionRecord:
        return ExecutionRecord(
            task=spec.name, input=input, output=code.output if success else None,
            answered_by="code" if success else "none", stage=state.stage,
            confidence=code.confidence if success else None, success=success, error=code.error,
            latency_ms=code.latency_ms, code_output=code.output,
            code_confidence=None if code.error else code.confidence, code_version=state.code_path,
        )

    def _after_execution(self, spec: TaskSpec, record: ExecutionRecord, used_llm: bool) -> None:
        self.tasks[spec.name].metrics.observe(record, used_llm)

    @property
    def sandbox(self) -> Any:
        """Where generated code runs (``None`` when a ``module_loader`` replaces it)."""
        if self.module_loader is not None:
            return None
        if self._sandbox is None:
            from evomachine.sandbox import shared_host

            self._sandbox = shared_host()
        return self._sandbox

    async def load_module(self, code: str, path: str) -> Any:
        """``code`` loaded through the sandbox (or the ``module_loader``); SandboxError if not."""
        if self.module_loader is not None:
            return self.module_loader(code, path)
        return await self.sandbox.load(code, path)

    # --- evolving -----------------------------------------------------------------

    def _record_evolution(self, state: TaskState, previous: str, reason: str) -> None:
        self.record_mutation("task_evolution", {
            "task": state.name, "from_stage": previous, "to_stage": state.stage,
            "code_path": state.code_path, "reason": reason,
        })

    async def trigger_evolution(self, task: str) -> str:
        """Move ``task`` one stage up now, synthesizing code if needed; the new stage."""
        return await self.evolver.promote_now(self._state(task))

    async def install_code(self, task: str, code: str, stage: str, source: str) -> dict[str, Any]:
        """Install ``code`` for ``task`` at ``stage`` or lower, as its agreement on history allows
        (:func:`~evomachine.evolution.task_code.install_code`)."""
        return await task_code.install_code(self, self._state(task), code, stage, source)

    def _state(self, task: str) -> TaskState:
        state = self.tasks.get(task)
        if state is None:
            known = ", ".join(sorted(self.tasks)) or "none"
            raise ExecutionError(task, f"unknown task {task!r} (tasks: {known})")
        return state

    # --- reporting ------------------------------------------------------------------

    def record_mutation(self, type: str, data: dict[str, Any]) -> dict[str, Any]:
        mutation = {"type": type, "timestamp": time.time(), "data": dict(data)}
        self.mutations.append(mutation)
        return mutation

    def get_mutations(self) -> list[dict[str, Any]]:
        return [dict(m, data=dict(m["data"])) for m in self.mutations]

    def get_task_metrics(self) -> dict[str, dict[str, Any]]:
        return {name: self.task_metrics(name) for name in self.tasks}

    def task_metrics(self, task: str) -> dict[str, Any]:
        """One task's entry of :meth:`get_task_metrics`, without computing the others'."""
        state = self._state(task)
        metrics = state.metrics.report(state.stage, state.version_name, state.synthesizer,
                                       state.costs.llm_only_cost())
        metrics["llm_only_cost_accrued"] = state.costs.llm_only_accrued()
        metrics["code_path"] = state.code_path
        metrics["heldout_agreement"] = state.heldout_agreement
        metrics["max_disagreement"] = state.policy.max_disagreement
        metrics["cut"] = state.cut
        metrics["live_checks"] = state.evidence.export()
        metrics["memo_size"] = len(state.memo)
        metrics["drift_events"] = state.drift_events
        metrics["next_step"] = self.evolver.explain(state)
        return metrics

    def stages(self) -> dict[str, str]:
        return {name: state.stage for name, state in self.tasks.items()}

    # --- persistence ----------------------------------------------------------------

    def export_state(self) -> dict[str, Any]:
        """Everything needed to rebuild this executor, JSON-safe (histories inline)."""
        return snapshot.export_state(self, inline_history=True)

    def import_state(self, state: dict[str, Any]) -> None:
        """Become the executor ``state`` describes (machine, stages, code, metrics, history)."""
        snapshot.import_state(self, state)

    async def flush(self) -> None:
        """Write pending state to storage now, in one batch (no-op without storage)."""
        await snapshot.flush(self)
        self._changes = 0

    async def _maybe_flush(self) -> None:
        if self.storage is not None and self._changes >= self.persist_every:
            await self.flush()

    @classmethod
    async def restore(cls, storage: Any, machine_id: str, *, llm: Any = None,
                      inputs: Iterable[dict[str, Any]] | None = None,
                      **options: Any) -> EvolutionaryExecutor:
        """The executor last flushed to ``storage`` under ``machine_id``.

        ``inputs`` is the same record source as before: records the saved
        executor already consumed (its input cursor) are skipped.
        """
        return await snapshot.restore(cls, storage, machine_id, llm=llm, inputs=inputs, **options)


__all__ = ["STAGES", "EvolutionError", "EvolutionaryExecutor", "TaskState"]
