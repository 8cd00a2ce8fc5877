"""Will an execution ask the LLM? The evolving executor's answer, for prefetching.

:func:`predict` walks the decisions of ``EvolutionaryExecutor._execute`` (memo,
code, audits) on the current state without changing it: the memo is read, not
sighted; check draws are computed from their index (``draw(seed, n)``), not
taken; the code is run but nothing is recorded. Executions predicted but not
committed yet (``pending``) count as if done: an input already ahead is a
repeat, and their draws come first. A wrong guess only costs a wasted or a
late request; the ordered path decides.

The code's answers are kept (:class:`CodeAhead`) for the ordered path, which
takes each at most once: generated code has no effect outside its sandbox, so an
answer computed ahead is the answer the same module gives on the same input and
context later (unless the module keeps state that changes its answers from call to
call, which synthesized modules do not: such a module could answer differently).
In ``code_only`` the prediction needs no answer: for a module behind a boundary (one
with ``submit_many``) the Prefetcher sends those runs ahead in batches (one crossing
each, the sandbox working while the host commits).
"""

from __future__ import annotations

import inspect
import time
from collections import OrderedDict
from typing import Any

from evomachine.evolution.accounting import input_size
from evomachine.evolution.audits import may_audit, memo_rate, normalized_trusted
from evomachine.evolution.stages import CodeOutcome, checked_result, draw, run_code
from evomachine.evolution.synthesis.runtime import canonical
from evomachine.evolution.task_code import killed
from evomachine.executor._types import TaskSpec
from evomachine.executor.concurrent import Guess, Pending

_NONE: Any = object()


async def predict(ex: Any, spec: TaskSpec, input: Any, pending: Pending) -> Guess:
    """The guess for running ``spec`` on ``input`` after the ``pending`` executions."""
    if ex.llm is None:
        return Guess(False)
    state = ex.tasks[spec.name]
    policy = state.policy
    key = canonical(input)
    if pending.keys.get(key):
        return Guess(False, key)  # answered by then (memo) or going the same way as before
    index = state.draws + pending.draws

    def audited(rate: float) -> Guess:
        if rate and may_audit(state, key not in state.memo.sighted, input_size(input)):
            return Guess(draw(state.seed, index + 1) < rate, key, 1)
        return Guess(False, key)

    alert = state.detector.score > 0
    if policy.memo:
        hit = state.memo.lookup(input, key)
        if hit is not None and (hit.kind == "exact" or normalized_trusted(state)):
            return audited(memo_rate(state, hit))
    threshold = state.threshold()
    if threshold is None:
        return Guess(True, key)
    rate = policy.check_rate(state.stage, state.evidence.checks, alert)
    if state.stage == "code_only":
        guess = audited(rate)  # the code answers (a failure asks no one either)
        if not killed(state) and hasattr(state.module, "submit_many"):
            code_cache(ex)  # behind a boundary: worth sending ahead (in-process: no gain)
            guess.code = (spec.name, state.module, key, input)
        return guess
    code = await code_cache(ex).outcome(spec.name, state.module, key, input, ex.context,
                                        spec.schema)
    if code.error is None and code.confidence >= threshold:
        return audited(rate)
    return Guess(True, key)


def code_cache(ex: Any) -> CodeAhead:
    """``ex``'s :class:`CodeAhead` (made on first use; it lives on its prefetch cache)."""
    cache = ex.prefetch.code
    if cache is None:
        cache = ex.prefetch.code = CodeAhead()
    return cache


async def code_answer(ex: Any, spec: TaskSpec, module: Any, key: str,
                      input: Any) -> CodeOutcome:
    """What the ordered path's run of task ``spec``'s ``module`` on ``input`` gives: the
    answer computed ahead for it if there is one, else a run now (:func:`~.stages.run_code`)."""
    cache = ex.prefetch.code
    if cache is not None and cache.tasks:
        started = time.perf_counter()
        result = await cache.take(spec.name, module, key, ex.context)
        if result is not _NONE:
            outcome = checked_result(result, spec.schema)
            outcome.latency_ms = (time.perf_counter() - started) * 1000.0
            return outcome
    return await run_code(module, input, dict(ex.context), spec.schema)


class _Entry:
    __slots__ = ("ahead", "context", "index", "result")

    def __init__(self, context: dict[str, Any], ahead: Any, index: int,
                 result: Any = _NONE) -> None:
        self.context = context
        self.ahead = ahead
        self.index = index
        self.result = result

    async def value(self) -> Any:
        """The result (a dict or the exception) or ``_NONE`` if it will not come."""
        if self.result is _NONE and self.ahead is not None:
            got = await self.ahead.get(self.index)
            self.result, self.ahead = (_NONE if got is None else got), None
        return self.result


class CodeAhead:
    """Results of tasks' code computed before the ordered path needs them, by task and input.

    A task's entries are for one module object: when the task's code changes they go (and
    the old module with them). An entry is used only under an equal context and is handed
    out once (a repeat runs the code again). The latency an answer taken from here records
    is the ordered path's wait for it, not the sandbox's work done meanwhile.
    """

    def __init__(self, limit: int = 1024) -> None:
        self.limit = limit
        self.tasks: dict[str, tuple[Any, OrderedDict[str, _Entry]]] = {}
        self.sent = 0
        self.used = 0

    def __len__(self) -> int:
        return sum(len(entries) for _, entries in self.tasks.values())

    def _entries(self, task: str, module: Any, make: bool) -> OrderedDict[str, _Entry] | None:
        """``task``'s entries if they are ``module``'s (else they are dropped), or new ones."""
        found = self.tasks.get(task)
        if found is not None and found[0] is module:
            return found[1]
        self.tasks.pop(task, None)
        if not make:
            return None
        entries: OrderedDict[str, _Entry] = OrderedDict()
        self.tasks[task] = (module, entries)
        return entries

    async def submit(self, runs: list[tuple[str, Any, str, Any]],
                     context: dict[str, Any]) -> None:
        """Start the ``(task, module, key, input)`` runs, one ``submit_many`` request per
        module."""
        groups: dict[str, tuple[Any, list[tuple[str, Any]]]] = {}
        for task, module, key, value in runs:
            entries = self._entries(task, module, True)
            if entries is None or key in entries:
                continue
            group = groups.get(task)
            if group is None or group[0] is not module:
                group = groups[task] = (module, [])
            group[1].append((key, value))
        for task, (module, items) in groups.items():
            ctx = dict(context)
            inputs = [value for _, value in items]
            ahead = await module.submit_many(inputs, ctx)
            if ahead is None:
                continue
            entries = self._entries(task, module, True)
            assert entries is not None
            for index, (key, _) in enumerate(items):
                self._put(entries, key, _Entry(ctx, ahead, index))
            self.sent += len(items)

    async def take(self, task: str, module: Any, key: str, context: dict[str, Any]) -> Any:
        """The result kept for ``task``'s ``module`` on ``key`` under ``context`` (removed),
        or ``_NONE``."""
        entries = self._entries(task, module, False)
        entry = None if entries is None else entries.pop(key, None)
        if entry is None or entry.context != context:
            return _NONE
        result = await entry.value()
        self.used += result is not _NONE
        return result

    async def outcome(self, task: str, module: Any, key: str, input: Any,
                      context: dict[str, Any], schema: dict[str, Any] | None) -> CodeOutcome:
        """``module``'s checked outcome on ``input``: kept for the ordered path if new."""
        entries = self._entries(task, module, True)
        assert entries is not None
        entry = entries.get(key)
        result = _NONE
        if entry is not None and entry.context == context:
            result = await entry.value()
        if result is _NONE:
            ctx = dict(context)
            try:
                result = module.execute(input, ctx)
                if type(result) is not dict and inspect.isawaitable(result):
                    result = await result
            except Exception as error:  # the answer is the failure, as in run_code
                result = error
            self._put(entries, key, _Entry(ctx, None, 0, result))
        return checked_result(result, schema)

    def _put(self, entries: OrderedDict[str, _Entry], key: str, entry: _Entry) -> None:
        entries[key] = entry
        entries.move_to_end(key)
        while len(entries) > self.limit:
            entries.popitem(last=False)
