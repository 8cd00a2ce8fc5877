"""A batch the sandbox Worker was killed in: the answers it finished before the culprit stand,
the culprit fails its module, the inputs after it were never run (the caller runs them, and
they fail at once); a batch stopped with a Worker killed for another call runs again. So a run
that sends code answers ahead decides like one call at a time even when a module hangs."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from test_sandbox_ahead import ROUTE, TRIAGE, rows
from test_sandbox_worker_host import GOOD, FakeManager

from evomachine.dsl import parse_machine
from evomachine.evolution import EvolutionaryExecutor
from evomachine.llm.simulated import SimulatedLLM
from evomachine.sandbox import BoundaryError
from evomachine.sandbox.worker_host import WorkerHost

pytestmark = pytest.mark.needs_event_loop

DEADLINE = {"ok": False, "kind": "BoundaryError", "message": "ran past", "cause": "deadline"}


def done(*outputs: str) -> list[str]:
    return [json.dumps({"ok": True, "value": {"output": o, "confidence": 0.75, "metadata": {}}})
            for o in outputs]


async def test_answers_before_the_culprit_stand_and_those_after_it_were_never_run() -> None:
    manager = FakeManager()
    module = await WorkerHost(manager).load(GOOD, "good.py")
    manager.reply = json.dumps({**DEADLINE, "done": done("A", "B")})
    ahead = await module.submit_many([{"text": t} for t in "abcd"], {})
    assert (await ahead.get(0))["output"] == "A" and (await ahead.get(1))["output"] == "B"
    culprit = await ahead.get(2)
    assert isinstance(culprit, BoundaryError) and culprit.cause == "deadline"
    assert module.failed is culprit
    assert await ahead.get(3) is None  # never run: the caller calls execute, which fails at once
    with pytest.raises(BoundaryError, match="not run again"):
        await module.execute({"text": "d"}, {})


async def test_execute_many_gives_the_later_inputs_the_modules_failure() -> None:
    manager = FakeManager()
    module = await WorkerHost(manager).load(GOOD, "good.py")
    manager.reply = json.dumps({**DEADLINE, "done": done("A")})
    answers = await module.execute_many([{"text": t} for t in "abc"], {})
    assert answers[0]["output"] == "A"
    assert answers[1].cause == "deadline" and "not run again" in answers[2].reason


@pytest.mark.parametrize("extra", [{"done": "nope"}, {"done": [1, 2]}, {"done": done("A", "B")}])
async def test_done_out_of_shape_or_as_long_as_the_batch_fails_every_input(extra) -> None:
    manager = FakeManager()
    module = await WorkerHost(manager).load(GOOD, "good.py")
    manager.reply = json.dumps({**DEADLINE, **extra})
    answers = await module.execute_many([{"text": "a"}, {"text": "b"}], {})
    assert all(isinstance(a, BoundaryError) and a.cause == "deadline" for a in answers)


async def test_a_batch_stopped_for_another_modules_kill_runs_again() -> None:
    manager = FakeManager()
    module = await WorkerHost(manager).load(GOOD, "good.py")
    manager.reply = json.dumps({**DEADLINE, "cause": "restarted"})
    ahead = await module.submit_many([{"text": "a"}], {})
    assert await ahead.get(0) is None and module.failed is None
    manager.reply = None
    assert (await module.execute({"text": "a"}, {}))["output"] == "A"


class HangingManager(FakeManager):
    """A manager whose Worker is killed by an input with "hang" in its text, as the real one
    answers it: the answers the batch finished before it, with the failure."""

    def __init__(self) -> None:
        super().__init__()
        self.requests = 0

    def executeMany(self, key, inputs, context, count):
        """A task, as the page's promise: it runs whether or not anyone awaits it."""
        self.requests += 1
        return asyncio.ensure_future(self._answer(key, inputs, context, count))

    async def _answer(self, key, inputs, context, count):
        items = json.loads(inputs)
        for index, item in enumerate(items):
            if "hang" in item["text"]:
                before = json.loads(await super().executeMany(
                    key, json.dumps(items[:index]), context, index))["results"] if index else []
                reply = {**DEADLINE, "done": [json.dumps(r) for r in before]}
                return json.dumps(reply if before else DEADLINE)
        return await super().executeMany(key, inputs, context, count)


async def test_a_run_with_code_ahead_through_the_worker_equals_one_call_at_a_time() -> None:
    data = rows(120)
    data[50] = {"text": "ticket 50 hang refund", "label": "billing"}
    data[90] = {"text": "ticket 90 hang crash", "label": "tech"}
    found: dict[int, Any] = {}
    for lookahead in (0, 32):
        manager = HangingManager()
        llm = SimulatedLLM.from_records(data, "label", seed=2)
        ex = EvolutionaryExecutor(parse_machine(TRIAGE), llm=llm, inputs=data, seed=2,
                                  memo=False, audit_rate=0.0, auto_evolve=False,
                                  check_every=20, sandbox=WorkerHost(manager))
        await ex.install_code("route", ROUTE, "code_only", "test")
        manager.requests = 0
        ex.code_lookahead = lookahead
        await ex.run(3 * len(data))
        found[lookahead] = [(r.input["text"], r.output, r.answered_by, r.success, r.error)
                            for r in ex.histories["route"].recent]
        if lookahead:
            assert manager.requests < len(data) // 2  # batches, not one request an answer
    by = [answer for _, _, answer, _, _ in found[0]]
    assert by[50] == "llm" and by[49] == "code"  # killed at the hang, code before it
    assert found[32] == found[0]
