"""``MachineExecutor``: runs a machine step by step, asking an LLM for every task.

Everything a step needs is prepared once in the constructor (node and edge
indexes, compiled prompts, output schemas), so a step does no parsing,
template compilation or storage round trip.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable
from typing import Any

from evomachine.dsl.truth import hidden_fields, truth_fields
from evomachine.executor import concurrent
from evomachine.executor._types import (
    ExecutionError,
    StepResult,
    TaskResult,
    TaskSpec,
    choose_edge,
)
from evomachine.history import ExecutionRecord, TaskHistory
from evomachine.llm.answers import AnswerError, parse_answer
from evomachine.llm.base import LLMError, LLMRequest, LLMResponse
from evomachine.model import Edge, MachineData, Node
from evomachine.prompts import PromptError
from evomachine.traces import Trace, TraceBook, TraceFilter

_PASS_THROUGH = {"state", "context", "output", "note"}
_UNSET: Any = object()


def slugify(title: str) -> str:
    """``"Ticket triage"`` → ``"ticket-triage"`` (lower case; other characters become ``-``)."""
    slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")
    return slug or "machine"


def find_start(machine: MachineData) -> str | None:
    """The first Input node, else the first node with no incoming edge, else the first node."""
    nodes = list(machine.iter_nodes())
    if not nodes:
        return None
    for node in nodes:
        if node.kind == "input":
            return node.name
    targets = {edge.target for edge in machine.edges}
    for node in nodes:
        if node.name not in targets:
            return node.name
    return nodes[0].name


class LLMAnswer:
    """What one LLM call produced for a task: a validated output or a failure reason."""

    __slots__ = ("error", "latency_ms", "ok", "output", "response")

    def __init__(self, output: Any, ok: bool, error: str | None, latency_ms: float,
                 response: LLMResponse | None):
        self.output = output
        self.ok = ok
        self.error = error
        self.latency_ms = latency_ms
        self.response = response


class MachineExecutor:
    """Runs a machine: ``step()``, ``run(max_steps)`` and ``execute_task(name, input)``.

    A failed task execution (LLM error, invalid answer, prompt error) is
    recorded and never raises: the step returns it with ``error`` set and the
    machine follows an edge labelled ``error`` if the task has one, else goes
    back to the Input node it last read from (dropping that record), else
    halts. A machine-definition problem (no edge fits an output) raises
    :class:`ExecutionError` and leaves the machine where it was.
    """

    stage_name = "llm_only"

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
    ):
        self.machine = machine
        self.context: dict[str, Any] = dict(context) if context else {}
        self.storage = storage
        self.llm = llm
        self.machine_id = machine_id or slugify(machine.title)
        self.history_limit = history_limit
        self.histories: dict[str, TaskHistory] = {}
        self.trace_book = TraceBook(trace_limit)
        self.load_machine(machine)
        self.current_node: str | None = find_start(machine)
        self.halted = self.current_node is None
        self.input: Any = None
        self.outputs: dict[str, Any] = {}
        self.input_cursor = 0
        self.step_count = 0
        self._pending_truth: dict[str, Any] = {}
        self._last_input_node: str | None = None
        self._inputs: concurrent.Lookahead = concurrent.Lookahead(())
        self.prefetch = concurrent.PrefetchCache()
        self.concurrency = 1  # LLM requests sent ahead of the steps (see concurrent.py)
        self.code_lookahead = 0
        """At concurrency 1: records looked at past the commit point for code answers to send
        across a sandbox boundary ahead, in batches (0: none; see concurrent.py)."""
        self.steps_left: int | None = None
        """At most this many more steps before the caller stops (``None``: not known): no
        request is sent ahead for a record those steps cannot reach (a run of 3 steps with
        concurrency 8 sent 32)."""
        self._prefetcher: concurrent.Prefetcher | None = None
        self.set_inputs(inputs)

    def load_machine(self, machine: MachineData) -> None:
        """Index ``machine`` (nodes, edges, compiled task setups); keep histories of kept tasks."""
        self.machine = machine
        self._nodes: dict[str, Node] = {n.name: n for n in machine.iter_nodes()}
        self._edges: dict[str, list[Edge]] = {name: [] for name in self._nodes}
        for edge in machine.edges:
            self._edges.setdefault(edge.source, []).append(edge)
        self._specs: dict[str, TaskSpec] = {n.name: TaskSpec.from_node(n) for n in machine.tasks()}
        self.truth_fields: dict[str, str] = truth_fields(machine)
        self._hidden = hidden_fields(self.truth_fields)
        self.histories = {
            name: self.histories.get(name) or TaskHistory(limit=self.history_limit)
            for name in self._specs
        }

    # --- inputs -----------------------------------------------------------------

    def set_inputs(self, inputs: Iterable[dict[str, Any]] | None, *, skip: int = 0) -> None:
        """Use ``inputs`` as the record source from now on (skipping ``skip`` records).

        A machine halted on an exhausted Input node starts again from it.
        """
        self._inputs = concurrent.Lookahead(inputs if inputs is not None else ())
        for _ in range(skip):
            if next(self._inputs, _UNSET) is _UNSET:
                break
        node = self._nodes.get(self.current_node or "")
        if self.halted and node is not None and node.kind == "input":
            self.halted = False

    def run_state(self) -> dict[str, Any]:
        """Where the run is (node, input, outputs, cursor), JSON-safe; see :meth:`resume_run`."""
        return {
            "current_node": self.current_node, "halted": self.halted, "input": self.input,
            "outputs": dict(self.outputs), "input_cursor": self.input_cursor,
            "step_count": self.step_count, "pending_truth": dict(self._pending_truth),
            "last_input_node": self._last_input_node,
        }

    def resume_run(self, run: dict[str, Any]) -> None:
        """Continue from a :meth:`run_state`."""
        self.current_node = run.get("current_node")
        self.halted = bool(run.get("halted", self.current_node is None))
        self.input = run.get("input")
        self.outputs = dict(run.get("outputs") or {})
        self.input_cursor = int(run.get("input_cursor", 0))
        self.step_count = int(run.get("step_count", 0))
        truth = run.get("pending_truth")
        self._pending_truth = dict(truth) if isinstance(truth, dict) else {}
        self._last_input_node = run.get("last_input_node")

    # --- stepping -----------------------------------------------------------------

    async def step(self) -> StepResult | None:
        """Run the current node and move on; ``None`` once the machine has halted."""
        if self.halted or self.current_node is None:
            return None
        if (self.concurrency > 1 or self.code_lookahead > 0) and self.llm is not None:
            await concurrent.before_step(self)
        node = self._nodes.get(self.current_node)
        if node is None:
            raise ExecutionError(self.current_node, f"unknown node {self.current_node!r}")
        kind = node.kind
        error: str | None = None
        if kind == "input":
            record = next(self._inputs, _UNSET)
            if record is _UNSET:
                self.halted = True
                return None
            self.input_cursor += 1
            self._last_input_node = node.name
            output = self._take_input(node, record)
            edge = choose_edge(node, self._edges[node.name], None)
        elif kind == "task":
            result = await self.execute_task(node.name, self.input,
                                             expected=self._pending_truth.get(node.name))
            output = result.output
            if result.success:
                self.outputs[node.name] = output
                edge = choose_edge(node, self._edges[node.name], output)
            else:
                error = result.error
                edge = self._failure_edge(node)
        else:
            output = self.input if kind in _PASS_THROUGH else None
            edge = choose_edge(node, self._edges[node.name], None)
        if edge is None:
            self.current_node = None
            self.halted = True
        else:
            self.current_node = edge.target
        self.step_count += 1
        if self.prefetch.sent_ahead:
            self.prefetch.passed(concurrent.done_index(self))
        return StepResult(node=node.name, output=output, next=None if edge is None else edge.target,
                          error=error)

    async def run(self, max_steps: int = 500, *, concurrency: int | None = None,
                  stop: Callable[[StepResult], bool] | None = None) -> list[StepResult]:
        """Step until the machine halts, ``max_steps`` steps ran or ``stop(step)`` is true
        after a step; the steps taken.

        ``concurrency`` (default: the ``concurrency`` attribute, 1) > 1 sends up to that
        many LLM requests for records ahead while the steps still run and decide in
        record order (see :mod:`evomachine.executor.concurrent`): the outcome is the
        sequential one. Requests still in flight at the end are kept for the next steps.
        """
        if max_steps < 0:
            raise ValueError(f"max_steps must be >= 0, got {max_steps}")
        if concurrency is not None and concurrency < 1:
            raise ValueError(f"concurrency must be >= 1, got {concurrency}")
        previous = self.concurrency
        self.concurrency = concurrency or previous
        results: list[StepResult] = []
        try:
            for taken in range(max_steps):
                self.steps_left = max_steps - taken
                result = await self.step()
                if result is None:
                    break
                results.append(result)
                if self.halted or (stop is not None and stop(result)):
                    break
        finally:
            self.concurrency = previous
            self.steps_left = None
        return results

    async def execute_batch(self, name: str, inputs: Iterable[Any], *, concurrency: int = 8,
                            expected: Iterable[Any] | None = None) -> list[TaskResult]:
        """``execute_task(name, x)`` for each input, in order, with up to ``concurrency``
        LLM requests sent ahead; the results equal those of the one-by-one calls."""
        if concurrency < 1:
            raise ValueError(f"concurrency must be >= 1, got {concurrency}")
        return await concurrent.execute_batch(self, name, inputs, concurrency, expected)

    def _take_input(self, node: Node, record: Any) -> Any:
        record, self._pending_truth = self.visible_input(record)
        self.input = record
        return record

    def visible_input(self, record: Any) -> tuple[Any, dict[str, Any]]:
        """The record as tasks see it (truth fields hidden) and each task's truth."""
        truth: dict[str, Any] = {}
        if self._hidden and isinstance(record, dict) and not self._hidden.isdisjoint(record):
            truth = {task: record[field] for task, field in self.truth_fields.items()
                     if field in record}
            record = {k: v for k, v in record.items() if k not in self._hidden}
        return record, truth

    def _failure_edge(self, node: Node) -> Edge | None:
        for edge in self._edges[node.name]:
            if edge.label == "error":
                return edge
        if self._last_input_node is not None:
            return Edge(source=node.name, target=self._last_input_node)
        return None

    # --- tasks --------------------------------------------------------------------

    def task_spec(self, name: str) -> TaskSpec:
        spec = self._specs.get(name)
        if spec is None:
            known = ", ".join(sorted(self._specs)) or "none"
            raise ExecutionError(name, f"unknown task {name!r} (tasks: {known})")
        return spec

    async def execute_task(self, name: str, input: Any, *, expected: Any = None) -> TaskResult:
        """Run task ``name`` on ``input`` and record it; ``expected`` is ground truth, if known."""
        spec = self.task_spec(name)
        record, used_llm = await self._execute(spec, input)
        record.expected = expected
        history = self.histories[name]
        history.add(record)
        self.trace_book.add(history, record, used_llm)
        self._after_execution(spec, record, used_llm)
        return TaskResult(
            output=record.output,
            confidence=record.confidence if record.answered_by == "code" else None,
            used_llm=used_llm,
            stage=record.stage,
            latency_ms=record.latency_ms,
            cost=record.cost,
            success=record.success,
            error=record.error,
        )

    async def _execute(self, spec: TaskSpec, input: Any) -> tuple[ExecutionRecord, bool]:
        """One run of ``spec``: its record and whether the LLM was called (always, here)."""
        answer = await self.ask_llm(spec, input)
        return self._llm_record(spec, input, answer, stage=self.stage_name), self.llm is not None

    def _after_execution(self, spec: TaskSpec, record: ExecutionRecord, used_llm: bool) -> None:
        """Hook run after every task execution (metrics and evolution live here)."""

    # --- traces -------------------------------------------------------------------

    def traces(self, task: str, where: TraceFilter = None, *, search: str | None = None
               ) -> list[Trace]:
        """The kept traces of ``task``, oldest first, that pass ``where`` and ``search``.

        ``where`` is a filter name (see :data:`evomachine.traces.FILTERS`) or a function
        of a :class:`~evomachine.traces.Trace`; ``search`` a text its input or answers contain.
        """
        self.task_spec(task)
        return self.trace_book.select(task, self.histories[task], where, search)

    def trace_prompt(self, task: str, input: Any) -> str:
        """The prompt ``task`` renders for ``input`` with the current context (for a trace)."""
        spec = self.task_spec(task)
        try:
            return spec.prompt.render(input, self.context, {"outputs": {}})
        except PromptError as error:
            return f"(the prompt does not render: {error})"

    def build_request(self, spec: TaskSpec, input: Any) -> LLMRequest | str:
        """The request ``ask_llm`` sends for ``input`` now, or why there is none."""
        if self.llm is None:
            return (f"task {spec.name!r} needs an LLM but none was given "
                    "(pass llm=... to the executor)")
        try:
            prompt = spec.prompt.render(input, self.context, {"outputs": self.outputs})
        except PromptError as error:
            return str(error)
        return LLMRequest(prompt=prompt, task=spec.name, purpose="task", input=input,
                          output_schema=spec.schema, model=spec.model,
                          max_tokens=spec.max_tokens)

    async def predict_llm(self, spec: TaskSpec, input: Any,
                          pending: concurrent.Pending) -> concurrent.Guess:
        """Will running ``spec`` on ``input`` ask the LLM? Changes nothing (always, here)."""
        return concurrent.Guess(self.llm is not None)

    def code_behind_boundary(self, spec: TaskSpec) -> bool:
        """Will ``spec`` be answered by code in another process or Worker, whose answers can
        be computed ahead in batches? Never, here (every task asks the LLM)."""
        return False

    async def ask_llm(self, spec: TaskSpec, input: Any) -> LLMAnswer:
        """Render the prompt, call the LLM, validate the answer; a failed call never raises.

        An answer prefetched for exactly this request (a concurrent run) is taken instead
        of a new call.
        """
        started = time.perf_counter()
        request = self.build_request(spec, input)
        if not isinstance(request, LLMRequest):
            return LLMAnswer(None, False, request, 0.0 if self.llm is None else
                             _elapsed(started), None)
        try:
            response = await self.prefetch.complete(self.llm, request)
        except LLMError as error:
            reason = f"LLM call failed: {error.reason}"
            return LLMAnswer(None, False, reason, _elapsed(started), None)
        latency = max(_elapsed(started), float(response.latency_ms or 0.0))
        try:
            output = parse_answer(response.text, spec.schema)
        except AnswerError as error:
            return LLMAnswer(None, False, f"invalid answer: {error.reason}", latency, response)
        return LLMAnswer(output, True, None, latency, response)

    def _llm_record(self, spec: TaskSpec, input: Any, answer: LLMAnswer, *, stage: str,
                    extra_latency: float = 0.0) -> ExecutionRecord:
        response = answer.response
        return ExecutionRecord(
            task=spec.name,
            input=input,
            output=answer.output,
            answered_by="llm" if answer.ok else "none",
            stage=stage,
            success=answer.ok,
            error=answer.error,
            latency_ms=answer.latency_ms + extra_latency,
            input_tokens=response.input_tokens if response else 0,
            output_tokens=response.output_tokens if response else 0,
            cost=response.cost if response else 0.0,
            llm_output=answer.output if answer.ok else None,
        )


def _elapsed(started: float) -> float:
    return (time.perf_counter() - started) * 1000.0
