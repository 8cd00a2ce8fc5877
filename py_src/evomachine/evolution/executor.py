"""``EvolutionaryExecutor``: tasks run by the LLM at first, then by code synthesized from history.

Per task: run the stage's mix of code and LLM, count every execution in
:class:`TaskMetrics`, and every ``check_every`` executions decide (cheaply)
whether to demote on drift or to promote, synthesizing a new module from the
larger history at each promotion. State is written behind the executor in
batches (see :mod:`evomachine.evolution.snapshot`).
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any

from evomachine.evolution import snapshot
from evomachine.evolution.policy import EvolutionPolicy
from evomachine.evolution.stages import (
    STAGES,
    CodeOutcome,
    EvolutionError,
    check_stage,
    next_stage,
    previous_stage,
    run_code,
    same_answer,
)
from evomachine.evolution.task_state import (
    Candidate,
    ModuleLoader,
    TaskState,
    clears_bar,
    sandbox_loader,
)
from evomachine.executor import ExecutionError, MachineExecutor, StepResult, TaskResult, TaskSpec
from evomachine.history import ExecutionRecord
from evomachine.model import MachineData


class EvolutionaryExecutor(MachineExecutor):
    """A :class:`MachineExecutor` whose tasks evolve ``llm_only → hybrid → code_first → code_only``.

    ``policy`` (an :class:`EvolutionPolicy` or dict) and keyword overrides set
    the thresholds; task attributes of the same names override them per task.
    ``seed`` drives the shadow-check sampling; ``persist_every`` is how many
    steps or executions pass between write-behind flushes to ``storage``;
    ``module_loader(code, path)`` loads generated code (the sandbox by default).
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
        policy: EvolutionPolicy | dict[str, Any] | None = None,
        seed: int = 0,
        persist_every: int = 200,
        module_loader: ModuleLoader | None = None,
        **policy_overrides: Any,
    ):
        self.policy = EvolutionPolicy.build(policy, **policy_overrides)
        self.seed = seed
        self.persist_every = persist_every
        self.module_loader = module_loader or sandbox_loader
        self.mutations: list[dict[str, Any]] = []
        self.tasks: dict[str, TaskState] = {}
        self._in_step = False
        self._changes = 0
        self.persisted = snapshot.PersistedKeys()
        super().__init__(machine, context, storage, llm=llm, inputs=inputs, machine_id=machine_id,
                         history_limit=history_limit)
        if "/" in self.machine_id:
            raise ValueError(f"machine_id {self.machine_id!r} must not contain '/'")

    def _load_machine(self, machine: MachineData) -> None:
        super()._load_machine(machine)
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
            await self._check_evolution(state)
        if not self._in_step:
            self._changes += 1
            await self._maybe_flush()
        return result

    async def _execute(self, spec: TaskSpec, input: Any) -> tuple[ExecutionRecord, bool]:
        state = self.tasks[spec.name]
        if not state.code_load_tried:
            await self._load_declared_code(state)
        stage = state.stage
        if stage == "llm_only" or state.module is None:
            answer = await self.ask_llm(spec, input)
            return self._llm_record(spec, input, answer, stage=stage), self.llm is not None
        policy = state.policy
        code = run_code(state.module, input, dict(self.context), spec.schema)
        if code.error is not None:
            state.metrics.add_check(False, shadow=False)
            if stage == "code_only":
                return self._code_record(spec, state, input, code, success=False), False
        if stage == "code_only":
            audit = policy.code_only_audit_rate
            if audit and state.sample() < audit:
                return await self._shadow(spec, state, input, code, keep_code=True), True
            return self._code_record(spec, state, input, code), False
        threshold = policy.confidence_threshold if stage == "hybrid" else policy.llm_threshold
        if code.error is not None or code.confidence < threshold:
            answer = await self.ask_llm(spec, input)
            record = self._llm_record(spec, input, answer, stage=stage,
                                      extra_latency=code.latency_ms)
            record.code_output = code.output
            record.code_confidence = None if code.error else code.confidence
            record.code_version = state.code_path
            return record, self.llm is not None
        rate = policy.shadow_rate_now(stage, state.metrics.agreement_rate()[1])
        if rate and state.sample() < rate:
            return await self._shadow(spec, state, input, code, keep_code=False), True
        return self._code_record(spec, state, input, code), False

    async def _shadow(self, spec: TaskSpec, state: TaskState, input: Any, code: CodeOutcome,
                      *, keep_code: bool) -> ExecutionRecord:
        """The code answered confidently; ask the LLM too and measure agreement."""
        record = self._code_record(spec, state, input, code)
        answer = await self.ask_llm(spec, input)
        response = answer.response
        record.latency_ms += answer.latency_ms
        if response is not None:
            record.cost = response.cost
            record.input_tokens = response.input_tokens
            record.output_tokens = response.output_tokens
        if answer.ok:
            agreed = same_answer(code.output, answer.output)
            state.metrics.add_check(agreed)
            record.llm_output = answer.output
            if not agreed and not keep_code:
                record.output = answer.output
                record.answered_by = "llm"
        return record

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

    # --- evolving -----------------------------------------------------------------

    async def _check_evolution(self, state: TaskState) -> None:
        """Demote on drift, else promote when the next stage's bars are met."""
        policy, metrics = state.policy, state.metrics
        history = self.histories[state.name]
        if state.stage != "llm_only" and state.module is not None:
            rate, checks = metrics.agreement_rate(policy.demotion_window)
            if rate is not None and checks >= policy.demotion_min_checks \
                    and rate < policy.demotion_agreement:
                target = previous_stage(state.stage) or "llm_only"
                state.train_from_seq = history.seen
                reason = (f"drift: agreement {rate:.3f} over the last {checks} checks "
                          f"is below {policy.demotion_agreement}")
                await self._change_stage(state, target, reason)
                return
        if history.seen < state.next_synthesis_at:
            return
        if state.stage != "llm_only" and state.module is None:
            await self._make_missing_code(state)
            return
        if await self._maybe_refresh(state):
            return
        target = next_stage(state.stage)
        if target is None:
            return
        if state.stage == "llm_only":
            if metrics.execution_count < policy.execution_threshold \
                    or metrics.success_rate < policy.success_rate_threshold \
                    or history.seen - state.train_from_seq < policy.execution_threshold:
                return
            reason = (f"{metrics.execution_count} executions, success rate "
                      f"{metrics.success_rate:.3f} >= {policy.success_rate_threshold}")
        else:
            _, bar, min_checks = policy.stage_bars(target)
            rate, checks = metrics.agreement_rate()
            if rate is None or bar is None or checks < min_checks or rate < bar:
                return
            reason = f"agreement {rate:.3f} over {checks} checks >= {bar}"
        result = await self._synthesize(state)
        if result is None:
            return
        enough, evidence = clears_bar(result, target, policy)
        if not enough:
            self._back_off(state)
            return
        await self._install(state, result.code, result.synthesizer, result.heldout_agreement,
                                 result.module)
        await self._change_stage(state, target, f"{reason}; {evidence} ({result.synthesizer})")

    async def _maybe_refresh(self, state: TaskState) -> bool:
        """In hybrid or code_first, regenerate the code once history has grown ``refresh_growth``
        times since it was made; keep the new module only if it agrees better on held-out data."""
        growth = state.policy.refresh_growth
        seen = self.histories[state.name].seen
        if not growth or state.stage not in ("hybrid", "code_first") \
                or seen < max(state.synthesized_at * growth,
                              state.synthesized_at + state.policy.resynthesis_after):
            return False
        candidate = await self._synthesize(state)
        if candidate is None:
            return True
        state.synthesized_at = seen
        if candidate.heldout_agreement <= (state.heldout_agreement or 0.0):
            return True
        await self._install(state, candidate.code, candidate.synthesizer,
                            candidate.heldout_agreement, candidate.module)
        # Not a stage change: the refresh replaced the code only because it agrees better on
        # held-out data, so the checks measured on its predecessor stay (a conservative estimate).
        self._record_evolution(state, state.stage, f"code refreshed from {seen} executions; "
                               f"held-out agreement {candidate.heldout_agreement:.3f}")
        return True

    async def _make_missing_code(self, state: TaskState) -> None:
        """A task declared at a code stage without code: synthesize it once history allows."""
        result = await self._synthesize(state)
        bar = state.policy.stage_bars(state.stage)[0]
        if result is not None and result.heldout_agreement >= bar:
            await self._install(state, result.code, result.synthesizer, result.heldout_agreement,
                                 result.module)
            await self._change_stage(state, state.stage, f"code synthesized ({result.synthesizer})")
        elif result is not None:
            self._back_off(state)

    async def _synthesize(self, state: TaskState) -> Candidate | None:
        """Synthesize from history since the last drift; ``None`` (and back off) on failure."""
        from evomachine.evolution.synthesis import SynthesisError, synthesize
        from evomachine.evolution.synthesis import TaskSpec as SynthesisSpec

        spec = self._specs[state.name]
        history = self.histories[state.name]
        records = [r for r in history.training_records() if r.seq > state.train_from_seq]
        target = SynthesisSpec(name=spec.name, prompt=spec.prompt.source, output_schema=spec.schema)
        try:
            result = await synthesize(target, records, self.llm,
                                      version=f"v{state.code_version + 1}", seed=self.seed)
            path = f"generated/{self.machine_id}/{state.name}_v{state.code_version + 1}.py"
            module = self.module_loader(result.code, path)
        except Exception as error:  # SynthesisError, or a loader/synthesizer bug: never a crash
            kind = "" if isinstance(error, SynthesisError) else f"{type(error).__name__}: "
            state.last_synthesis = {"at": history.seen, "error": f"{kind}{error}"}
            self._back_off(state)
            return None
        state.last_synthesis = {"at": history.seen, "synthesizer": result.synthesizer,
                                "heldout_agreement": result.heldout_agreement,
                                "scores": result.scores}
        return Candidate(result.code, result.synthesizer, result.heldout_agreement, module,
                         result)

    def _back_off(self, state: TaskState) -> None:
        """After a failed or not-good-enough synthesis, wait longer each time before retrying."""
        state.synthesis_failures += 1
        wait = state.policy.resynthesis_after * 2 ** min(state.synthesis_failures - 1, 5)
        state.next_synthesis_at = self.histories[state.name].seen + wait

    async def _install(self, state: TaskState, code: str, synthesizer: str | None,
                       heldout: float | None, module: Any = None) -> None:
        """Make ``code`` the task's next version and save it (``storage.save_code``)."""
        version = state.code_version + 1
        path = f"generated/{self.machine_id}/{state.name}_v{version}.py"
        if module is None:
            module = self.module_loader(code, path)
        state.code, state.code_path, state.code_version = code, path, version
        state.module, state.synthesizer, state.heldout_agreement = module, synthesizer, heldout
        state.code_load_tried = True
        state.synthesis_failures = 0
        state.synthesized_at = self.histories[state.name].seen
        if self.storage is not None:
            await self.storage.save_code(path, code)
            self.persisted.code_paths.add(path)

    async def _load_declared_code(self, state: TaskState) -> None:
        """Load the code a task's ``code_path`` attribute names from storage, once."""
        state.code_load_tried = True
        if self.storage is None or state.code_path is None:
            return
        code = await self.storage.load_code(state.code_path)
        if code is not None:
            state.code = code
            state.module = self.module_loader(code, state.code_path)
            state.synthesizer = state.synthesizer or "stored"

    async def _change_stage(self, state: TaskState, target: str, reason: str) -> None:
        """Move to ``target`` (or stay, with new code): measured agreement starts again."""
        previous = state.stage
        state.stage = check_stage(target)
        state.metrics.reset_stage()
        self._record_evolution(state, previous, reason)

    def _record_evolution(self, state: TaskState, previous: str, reason: str) -> None:
        self.record_mutation("task_evolution", {
            "task": state.name, "from_stage": previous, "to_stage": state.stage,
            "code_path": state.code_path, "reason": reason,
        })

    async def trigger_evolution(self, task: str) -> str:
        """Move ``task`` one stage up now, synthesizing code if needed; the new stage."""
        state = self._state(task)
        target = next_stage(state.stage)
        if target is None:
            raise EvolutionError(f"task {task!r} is already at code_only, the last stage; "
                                 "there is nothing to evolve to")
        result = await self._synthesize(state)
        if result is not None:
            await self._install(state, result.code, result.synthesizer, result.heldout_agreement,
                                 result.module)
        elif state.module is None:
            error = (state.last_synthesis or {}).get("error", "no history")
            raise EvolutionError(f"task {task!r} cannot move to {target}: no code could be "
                                 f"synthesized ({error})")
        await self._change_stage(state, target, "manual trigger_evolution")
        return target

    async def install_code(self, task: str, code: str, stage: str, source: str) -> dict[str, Any]:
        """Install ``code`` for ``task`` at ``stage`` or lower, as its agreement on history allows.

        The code is checked against every LLM answer in the task's history;
        the stage drops until its held-out bar is met (``llm_only`` at worst).
        """
        state = self._state(task)
        check_stage(stage)
        path = f"generated/{self.machine_id}/{task}_v{state.code_version + 1}.py"
        module = self.module_loader(code, path)
        spec = self._specs[task]
        records = [r for r in self.histories[task].training_records()
                   if r.success and r.llm_output is not None]
        agreed = 0
        for record in records:
            outcome = run_code(module, record.input, dict(self.context), spec.schema)
            agreed += outcome.error is None and same_answer(outcome.output, record.llm_output)
        agreement = agreed / len(records) if records else None
        installed = stage
        if agreement is not None:
            while installed != "llm_only" and agreement < state.policy.stage_bars(installed)[0]:
                installed = previous_stage(installed) or "llm_only"
        await self._install(state, code, source, agreement)
        shown = "no history to check" if agreement is None else \
            f"agreement {agreement:.3f} on {len(records)} records"
        await self._change_stage(state, installed, f"installed from {source} ({shown})")
        return {"agreement": agreement, "checked": len(records), "installed_stage": installed}

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
        metrics = state.metrics.report(state.stage, state.version_name, state.synthesizer)
        metrics["code_path"] = state.code_path
        metrics["heldout_agreement"] = state.heldout_agreement
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


__all__ = ["STAGES", "EvolutionError", "EvolutionaryExecutor", "TaskState", "sandbox_loader"]
