"""Concurrent runs that decide exactly like sequential ones: speculation and ordered commit.

The sequential path (``step()``, ``execute_task``, ``ask_llm``) stays the only
place where anything is decided: it runs record by record, in order, so memo
entries, stage changes, synthesis, the check draws and the history are
committed in record order. Concurrency comes from a :class:`Prefetcher` that
looks up to ``lookahead`` records past the commit point, predicts from the
current state (without changing it) which of their tasks will ask the LLM,
and starts those requests, at most ``concurrency`` ahead. When the ordered path
asks for exactly a request that was started, it takes that answer
(:class:`PrefetchCache`); otherwise it sends its request then. Identical
requests share one call (single flight), and an answer is handed out once.

A wrong prediction costs a request (``stale`` in :meth:`PrefetchCache.report`);
its answer is kept for the next identical ask, so with a model that answers a
request the same way whenever it is sent (a deterministic model, the simulated
one), a concurrent run reaches the same stages, code, outputs and history as a
sequential one. What it costs is not hidden: once the ordered path has passed the
record a request was sent for (or the request leaves the cache) without taking its
answer, the answer's cost is reported as wasted (``PrefetchCache.on_waste``; the
evolving executor adds it to the task's calls and cost), and taken back if an
identical ask uses the answer after all.

Prefetched per record: the tasks it runs from the Input node until a task's output
chooses the way (the first task after the Input; later ones on an unlabelled path), as
long as the prompt does not read ``outputs``. Nothing is sent for records a run's
remaining steps cannot reach (:func:`reachable`, counted on the machine's shortest way
round), so requests in flight at the end of a run are for its own records.

Code answers from a sandbox boundary (a process, a Worker) are sent ahead the same way,
in batches, while the ordered path commits the earlier ones. At concurrency 1 an
executor's ``code_lookahead`` > 0 does only that: no LLM request is sent ahead, and
records are looked at only while a task of the plan runs code behind a boundary
(``code_behind_boundary``), so a run with nothing to overlap pays nothing for it.
"""

from __future__ import annotations

from collections import Counter, deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from evomachine.executor._types import ExecutionError, TaskResult, TaskSpec, choose_edge
from evomachine.executor.prefetch import PrefetchCache
from evomachine.llm.base import LLMRequest

_END: Any = object()
PASSED_ALL = 1 << 62  # a record index past every record: PrefetchCache.passed(PASSED_ALL)


class Lookahead(Iterator[Any]):
    """An iterator whose next records can be read ahead without taking them."""

    def __init__(self, source: Iterable[Any]):
        self._source = iter(source)
        self._ahead: deque[Any] = deque()

    def __next__(self) -> Any:
        return self._ahead.popleft() if self._ahead else next(self._source)

    def peek(self, index: int) -> Any:
        """The record ``index`` places ahead (0: the next one), or ``_END``."""
        while len(self._ahead) <= index:
            record = next(self._source, _END)
            if record is _END:
                return _END
            self._ahead.append(record)
        return self._ahead[index]


@dataclass(slots=True)
class Guess:
    """A prediction for one task execution: will it ask the LLM? ``draws``: check draws it uses.

    ``code``: ``(task, module, key, input)`` when the execution will run the task's code and
    the prediction did not need its answer; the answer can then be computed ahead.
    """

    needs_llm: bool
    key: str | None = None
    draws: int = 0
    code: tuple[str, Any, str, Any] | None = None


@dataclass(slots=True)
class Pending:
    """What predicted, not yet committed executions of one task will add: inputs and draws."""

    keys: Counter[str] = field(default_factory=Counter)
    draws: int = 0


def record_plan(ex: Any) -> list[TaskSpec]:
    """The tasks every record runs, in order, before an output can choose the way."""
    inputs = [n for n in ex.machine.iter_nodes() if n.kind == "input"]
    if len(inputs) != 1:
        return []  # which Input reads the next record depends on the path
    plan: list[TaskSpec] = []
    node, seen = inputs[0], set()
    while True:
        edges = ex._edges.get(node.name, [])
        if node.kind == "task":
            if any(edge.label not in (None, "error") for edge in edges):
                break  # the output chooses the next node
            edges = [edge for edge in edges if edge.label is None]
        try:
            edge = choose_edge(node, edges, None) if node.kind != "task" or edges else None
        except ExecutionError:
            break
        if edge is None or edge.target in seen:
            break
        seen.add(edge.target)
        node = ex._nodes.get(edge.target)
        if node is None or node.kind == "input":
            break
        if node.kind == "task":
            spec = ex._specs[node.name]
            if "outputs" in spec.prompt.source:
                break  # its prompt reads a task's answer: known only when that one ran
            plan.append(spec)
    return plan


class Prefetcher:
    """Looks ahead of the ordered path and starts the LLM requests it predicts."""

    def __init__(self, ex: Any, plan: list[TaskSpec], concurrency: int, lookahead: int,
                 send_llm: bool = True):
        self.ex = ex
        self.plan = plan
        self.concurrency = concurrency
        self.lookahead = lookahead
        self.send_llm = send_llm
        """Start the LLM requests predicted (else only code answers go ahead)."""
        self.next = 0
        self.pending: dict[str, Pending] = {spec.name: Pending() for spec in plan}
        self.guesses: dict[int, list[tuple[str, Guess]]] = {}
        self.inputs: Any = None
        self.machine: Any = None
        self.code: deque[tuple[int, tuple[str, Any, str, Any]]] = deque()
        """Code runs predicted and not sent ahead yet: ``(record, Guess.code)``."""
        self.ways: Paths | None = None  # the machine's paths, found when a run first asks

    async def fill(self, done: int, item: Any) -> None:
        """Predict records from ``done`` on (``item(j)``: record ``j``'s task input or _END)."""
        guessed = self.guesses  # records in increasing order: the done ones come first
        while guessed and (index := next(iter(guessed))) < done:
            for task, guess in guessed.pop(index):
                pending = self.pending[task]
                pending.draws -= guess.draws
                if guess.key is not None:
                    pending.keys[guess.key] -= 1
                    if pending.keys[guess.key] <= 0:
                        del pending.keys[guess.key]
        cache: PrefetchCache = self.ex.prefetch
        cache.passed(done)
        # A record read before it was predicted (the window was empty then) is the ordered
        # path's own: it asks for it itself. (A predicted record under way has next past it.)
        j = max(self.next, self.ex.input_cursor)
        ended = False
        window = self.lookahead
        steps_left = getattr(self.ex, "steps_left", None)
        if steps_left is not None:
            if self.ways is None:
                self.ways = paths(self.ex, len(self.plan))
            window = min(window, reachable(self.ex, self.ways, steps_left))
        while (j < done + window and self.plan
               and cache.ahead(done) < self.concurrency):
            value = item(j)
            if value is _END:
                ended = True
                break
            guesses = []
            for spec in self.plan:
                pending = self.pending[spec.name]
                guess = await self.ex.predict_llm(spec, value, pending)
                pending.draws += guess.draws
                if guess.key is not None:
                    pending.keys[guess.key] += 1
                guesses.append((spec.name, guess))
                if guess.code is not None:
                    self.code.append((j, guess.code))
                if guess.needs_llm and self.send_llm:
                    request = self.ex.build_request(spec, value)
                    if isinstance(request, LLMRequest):
                        cache.start(self.ex.llm, request, j)
            self.guesses[j] = guesses
            j += 1
        self.next = j
        await self._code_ahead(done, ended)

    async def _code_ahead(self, done: int, ended: bool) -> None:
        """Send the predicted code runs ahead in one crossing, half a window at a time (so the
        sandbox works on the next ones while the ordered path commits these)."""
        code = self.code  # in record order: the ones run already come first
        while code and code[0][0] < done:
            code.popleft()
        cache = cache_of(self.ex)
        if not code or cache is None:
            code.clear()
            return
        if ended or len(code) >= max(1, self.lookahead // 2) or code[0][0] <= done:
            runs = [run for _, run in code]
            code.clear()
            await cache.submit(runs, self.ex.context)


@dataclass(frozen=True, slots=True)
class Paths:
    """Steps around a machine's one Input node: from each node that leads back to it
    (``to_input``), and the shortest way from it round to it again (``cycle``; ``None``
    when no way leads back)."""

    to_input: dict[str, int]
    cycle: int | None


def paths(ex: Any, tasks: int) -> Paths:
    """The :class:`Paths` of ``ex``'s machine (every edge counts, error edges too: the
    shortest ways); a record takes at least its Input step and one per task (``tasks``)."""
    inputs = [n.name for n in ex.machine.iter_nodes() if n.kind == "input"]
    if len(inputs) != 1:
        return Paths({}, None)
    leads_to: dict[str, list[str]] = {}
    for source, edges in ex._edges.items():
        for edge in edges:
            leads_to.setdefault(edge.target, []).append(source)
    to_input, queue = {inputs[0]: 0}, deque(inputs)
    while queue:
        node = queue.popleft()
        for source in leads_to.get(node, []):
            if source not in to_input:
                to_input[source] = to_input[node] + 1
                queue.append(source)
    back = [to_input[edge.target] for edge in ex._edges.get(inputs[0], [])
            if edge.target in to_input]
    return Paths(to_input, max(1 + min(back), tasks + 1) if back else None)


def reachable(ex: Any, ways: Paths, steps: int) -> int:
    """How many records from the first unfinished one ``steps`` more steps can bring to their
    first task, at most. From the Input node the next record's first task is 2 steps away
    (Input, task); from a node under way, that record counts, and the next one's first task is
    the way to the Input node and 2 more steps away; each later record one ``cycle`` more."""
    node = ex._nodes.get(ex.current_node or "")
    under_way, away = 0, 0
    if node is not None and node.kind != "input":
        under_way, away = 1, ways.to_input.get(node.name)
    if away is None:  # no way back to the Input node: only the record under way
        return under_way
    first = away + 2
    if steps < first:
        return under_way
    return under_way + 1 + ((steps - first) // ways.cycle if ways.cycle else 0)


def cache_of(ex: Any) -> Any:
    """The executor's cache of code answers computed ahead, if it keeps one."""
    return ex.prefetch.code


def done_index(ex: Any) -> int:
    """Index of the first record not finished yet."""
    node = ex._nodes.get(ex.current_node or "")
    return ex.input_cursor if node is None or node.kind == "input" else ex.input_cursor - 1


async def before_step(ex: Any) -> None:
    """Top up the requests sent ahead before ``ex`` takes its next step (``ex.concurrency`` > 1).

    The prefetcher lives on the executor between steps and runs, so stepping in
    chunks (the page, the CLI's progress bar) does not drain the pipeline; it starts
    afresh when the record source, the machine or the concurrency changes.
    """
    inputs: Lookahead = ex._inputs
    prefetcher: Prefetcher | None = ex._prefetcher
    llm = ex.concurrency > 1  # else code answers only (``code_lookahead``)
    lookahead = 4 * ex.concurrency if llm else ex.code_lookahead
    if prefetcher is not None and prefetcher.inputs is not inputs:
        ex.prefetch.passed(PASSED_ALL)  # sent for records of another source: not this run's
    if (prefetcher is None or prefetcher.inputs is not inputs or prefetcher.machine is not
            ex.machine or prefetcher.concurrency != ex.concurrency
            or prefetcher.lookahead != lookahead):
        prefetcher = Prefetcher(ex, record_plan(ex), ex.concurrency, lookahead, llm)
        prefetcher.inputs, prefetcher.machine = inputs, ex.machine
        prefetcher.next = ex.input_cursor  # a record already taken is not predicted
        ex._prefetcher = prefetcher
    if not llm and not any(ex.code_behind_boundary(spec) for spec in prefetcher.plan):
        prefetcher.next = max(prefetcher.next, ex.input_cursor)  # taken: not predicted later
        return  # nothing to send ahead

    def item(j: int) -> Any:
        record = inputs.peek(j - ex.input_cursor)
        return record if record is _END else ex.visible_input(record)[0]

    ex.prefetch.drop_broken()
    await prefetcher.fill(done_index(ex), item)


async def execute_batch(ex: Any, name: str, inputs: Iterable[Any], concurrency: int,
                        expected: Iterable[Any] | None = None,
                        lookahead: int | None = None) -> list[TaskResult]:
    """``execute_task(name, x)`` for every ``x`` in order, with LLM requests prefetched."""
    spec = ex.task_spec(name)
    items = list(inputs)
    truths = list(expected) if expected is not None else [None] * len(items)
    if len(truths) != len(items):
        raise ValueError(f"expected has {len(truths)} values for {len(items)} inputs")
    prefetcher = Prefetcher(ex, [spec], concurrency, lookahead or 4 * concurrency)
    results = []
    try:
        for index, (value, truth) in enumerate(zip(items, truths, strict=True)):
            if concurrency > 1 and ex.llm is not None:
                await prefetcher.fill(index, lambda j: items[j] if j < len(items) else _END)
            results.append(await ex.execute_task(name, value, expected=truth))
    finally:
        await ex.prefetch.settle()
        ex.prefetch.passed(len(items))
    return results
