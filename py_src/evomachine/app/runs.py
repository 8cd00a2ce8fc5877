"""The lab's runs: chunks of steps the page loops over, single steps, manual evolution.

Mixed into ``Lab``. A chunk stops after ``max_steps`` steps or ``budget_ms``
milliseconds, so the user can pause between chunks; a chunk also stops after
the step in progress when :meth:`RunMixin.interrupt` arrives meanwhile (the
engine runs in a Worker, whose event loop takes the page's Pause whenever a
step awaits, e.g. an LLM request). A request in flight then is aborted
(:mod:`evomachine.interrupts`): that step did not happen, the machine stays on
its node with the same input, and the chunk reports it as ``interrupted``.
"""

from __future__ import annotations

import time
from typing import Any

from evomachine.app.errors import LabError
from evomachine.app.lab_state import LabState
from evomachine.app.views import dumps
from evomachine.interrupts import Interrupted, abort_in_flight, request_pause

MAX_STEP_RESULTS = 200
#: A failed execution's reason, as the Run panel shows it, is cut at this many characters.
MAX_FAILURE_TEXT = 300
CODE_LOOKAHEAD = 32
"""Records a run looks ahead for code answers to send to the sandbox Worker in batches (16
a crossing) when no LLM request goes ahead (see ``evomachine.executor.concurrent``)."""


class RunMixin(LabState):
    """Running ``self.executor`` and sampling its chart series (see ``Lab``)."""

    _chunk_running: bool = False  # a run_chunk or step is under way
    _interrupted: bool = False  # ... and was asked to stop after its current step

    async def run_chunk(self, max_steps: int, budget_ms: float = 30.0,
                        until_stage: str | None = None, until_task: str | None = None) -> str:
        """Up to ``max_steps`` steps within about ``budget_ms``; stops early at ``until_stage``.

        ``reason`` is ``done`` (all steps ran), ``budget`` (time is up, call
        again), ``halted`` (no more input), ``reached`` (a task got to
        ``until_stage``), ``paused`` (:meth:`interrupt` was called meanwhile),
        ``no_llm``, ``no_data`` (no records at all) or ``error``. ``failed`` counts the
        task executions that failed (the machine moved on), ``last_failure`` says where and
        why the last one did.
        """
        result = await self._steps(max_steps, budget_ms, until_stage, until_task, collect=False)
        return dumps(result)

    async def interrupt(self) -> str:
        """Ask the chunk running now to stop after its current step; ``{interrupting, aborted}``.

        Called while a chunk awaits (the page's Pause). LLM requests in flight
        are aborted (``aborted`` counts them), so a provider that never answers
        cannot hold the run, and requests sent ahead that have not finished are
        cancelled (sent again when a run needs them), also between chunks. With no
        chunk running nothing else happens, so a late Pause never stops the next run.
        """
        self._interrupted = self._chunk_running
        request_pause(self._chunk_running)
        aborted = abort_in_flight() if self._chunk_running else 0
        if self.executor is not None and not self._chunk_running:
            # Between chunks, what was sent ahead and has not finished goes no further (a
            # running chunk cancels it as it ends: its step may be about to take one).
            self.executor.prefetch.cancel_unfinished()
        return dumps({"interrupting": self._chunk_running, "aborted": aborted})

    async def step(self, count: int = 1) -> str:
        """Run ``count`` steps now and return what each did (the last 200 of them)."""
        return dumps(await self._steps(count, None, None, None, collect=True))

    async def _steps(self, max_steps: int, budget_ms: float | None, until_stage: str | None,
                     until_task: str | None, *, collect: bool) -> dict[str, Any]:
        from evomachine.executor import ExecutionError
        from evomachine.ladder import STAGES

        ex = self._require()
        if not self.records and self._used_up(ex):  # (the simulated LLM needs records too)
            return self._chunk_result(0, "no_data", "no data set is loaded", [])
        if ex.llm is None and ex.machine.tasks():
            return self._chunk_result(0, "no_llm", self.llm_error or "no LLM is set", [])
        ex.concurrency = self.llm_config.run_concurrency()  # LLM requests sent ahead
        ex.code_lookahead = CODE_LOOKAHEAD  # code answers across the boundary, in batches
        target = STAGES.index(until_stage) if until_stage in STAGES else None
        reached = self._reached(ex, target, until_task) if target is not None else None
        if reached is not None:  # already there: nothing runs
            return self._chunk_result(0, "reached", None, [], reached=reached)
        started = time.perf_counter()
        steps, reason, error, results = 0, "done", None, []
        interrupted: str | None = None
        failed, last_failure = 0, None  # task executions that failed (LLM error, bad answer)
        self._chunk_running, self._interrupted = True, False
        try:
            while steps < max_steps:
                ex.steps_left = max_steps - steps  # nothing is sent ahead past the chunk
                try:
                    result = await ex.step()
                except ExecutionError as failure:
                    reason, error = "error", str(failure)
                    break
                except Interrupted:  # Pause aborted this step's request: it runs again next time
                    reason, interrupted = "paused", ex.current_node
                    break
                if result is None:
                    reason = "halted"
                    break
                steps += 1
                if result.error is not None:
                    failed += 1
                    last_failure = f"{result.node}: {result.error}"[:MAX_FAILURE_TEXT]
                if collect:
                    results.append({"node": result.node, "output": result.output,
                                    "next": result.next, "error": result.error})
                node = ex._nodes.get(result.node)
                if node is not None and node.kind == "task":
                    self._observe(ex, result.node)
                    if target is not None:
                        reached = self._reached(ex, target, until_task)
                        if reached is not None:
                            reason = "reached"
                            break
                if ex.halted:
                    reason = "halted"
                    break
                if self._interrupted and steps < max_steps:
                    reason = "paused"
                    break
                if budget_ms is not None and (time.perf_counter() - started) * 1000 >= budget_ms:
                    reason = "budget" if steps < max_steps else "done"
                    break
        finally:
            if reason == "paused" or self._interrupted:  # none goes out after Pause
                ex.prefetch.cancel_unfinished()
            ex.steps_left = None
            self._chunk_running = self._interrupted = False
            request_pause(False)
            if steps:
                self.last_run_at = time.time()
        return {**self._chunk_result(steps, reason, error, results[-MAX_STEP_RESULTS:],
                                     interrupted, reached),
                "failed": failed, "last_failure": last_failure}

    def _chunk_result(self, steps: int, reason: str, error: str | None,
                      results: list[dict[str, Any]],
                      interrupted: str | None = None,
                      reached: str | None = None) -> dict[str, Any]:
        """What a chunk did; ``interrupted`` names the node whose step Pause cut short,
        ``reached`` the task at the stage a run until a stage asked for."""
        ex = self.executor
        return {"steps": steps, "reason": reason, "error": error, "results": results,
                "interrupted_node": interrupted, "reached": reached,
                "halted": bool(ex.halted), "current_node": ex.current_node,
                "step_count": ex.step_count, "stages": ex.stages()}

    def _observe(self, ex: Any, task: str) -> None:
        series = self.series.task(task)
        seen = ex.histories[task].seen
        series.observe_stage(ex.stages()[task], seen)
        if series.due(seen):
            series.sample(ex.task_metrics(task))

    @staticmethod
    def _reached(ex: Any, target: int, task: str | None) -> str | None:
        """The first task (``task`` if given) at stage ``target`` or above, else ``None``."""
        from evomachine.ladder import STAGES

        stages = ex.stages()
        names = [task] if task in stages else list(stages)
        return next((name for name in names if STAGES.index(stages[name]) >= target), None)

    async def evolve(self, task: str) -> str:
        """Move ``task`` one stage up now (manual ``trigger_evolution``)."""
        from evomachine.evolution import EvolutionError

        ex = self._require()
        try:
            stage = await ex.trigger_evolution(task)
        except EvolutionError as error:
            raise LabError(str(error)) from None
        self.series.task(task).observe_stage(stage, ex.histories[task].seen)
        await self.persist()
        return dumps({"task": task, "stage": stage})
