"""``code_lookahead`` at concurrency 1: code answers cross the sandbox boundary ahead in
batches (the page's runs), no LLM request is sent ahead, and the outcome is the sequential one."""

from __future__ import annotations

from typing import Any

import pytest
from test_sandbox_ahead import ROUTE, TRIAGE, rows

from evomachine.dsl import parse_machine
from evomachine.evolution import EvolutionaryExecutor
from evomachine.llm.simulated import SimulatedLLM
from evomachine.sandbox import InProcessHost

pytestmark = pytest.mark.needs_event_loop


def executor(host: Any, data: list[dict[str, Any]], **options: Any) -> EvolutionaryExecutor:
    llm = SimulatedLLM.from_records(data, "label", seed=5)
    return EvolutionaryExecutor(parse_machine(TRIAGE), llm=llm, inputs=data, seed=5,
                                memo=False, audit_rate=0.0, sandbox=host, **options)


def history(ex: EvolutionaryExecutor) -> list[tuple[Any, ...]]:
    return [(r.input, r.output, r.answered_by, r.stage, r.success, r.confidence)
            for r in ex.histories["route"].recent]


class CountingSubmits:
    """Counts the ``submit_many`` requests (crossings) a module makes, and their inputs."""

    def __init__(self, module: Any) -> None:
        self.requests = 0
        self.inputs = 0
        original = module.submit_many

        async def submit_many(inputs: list[Any], context: Any) -> Any:
            self.requests += 1
            self.inputs += len(inputs)
            return await original(inputs, context)

        module.submit_many = submit_many


@pytest.mark.cpython_only
async def test_code_answers_cross_ahead_in_batches_and_the_run_decides_alike() -> None:
    from evomachine.sandbox import ProcessHost

    data = rows(400)
    found = {}
    for lookahead in (0, 32):
        host = ProcessHost()
        ex = executor(host, data, auto_evolve=False)
        await ex.install_code("route", ROUTE, "code_only", "test")
        counter = CountingSubmits(ex.tasks["route"].module)
        ex.code_lookahead = lookahead
        steps = await ex.run(3 * len(data))
        found[lookahead] = ([(s.node, s.output, s.next) for s in steps], history(ex))
        answers = sum(r.answered_by == "code" for r in ex.histories["route"].recent)
        assert answers == len(data)
        if lookahead:
            cache = ex.prefetch.code
            assert cache.sent == cache.used == answers  # every answer came from a batch
            assert counter.requests <= answers // 16 + 2  # 16 a crossing, a few smaller
            assert ex.prefetch.stats["sent"] == 0  # no LLM request went ahead
        else:
            assert counter.requests == 0 and ex.prefetch.code is None
        await host.close()
    assert found[32] == found[0]


@pytest.mark.cpython_only
async def test_an_evolving_run_with_code_lookahead_equals_the_sequential_one() -> None:
    from test_concurrency import TRIAGE as THREE_WAY
    from test_concurrency import outcome, simulated, workload

    from evomachine.sandbox import ProcessHost

    data = workload(4000, 0)
    found = {}
    for lookahead in (0, 32):
        host = ProcessHost()
        ex = EvolutionaryExecutor(parse_machine(THREE_WAY), llm=simulated(THREE_WAY, data, 0),
                                  inputs=data, seed=0, sandbox=host)
        ex.code_lookahead = lookahead
        found[lookahead] = outcome(ex, await ex.run(12000))
        if lookahead:  # audits and a code refresh in code_only included
            cache = ex.prefetch.code
            assert cache is not None and cache.used > 1500
            assert ex.prefetch.stats["sent"] == 0
        await host.close()
    assert found[0]["stages"]["route"] == "code_only"
    assert found[32] == found[0]


async def test_nothing_is_looked_at_while_no_task_runs_code_behind_a_boundary() -> None:
    data = rows(200)
    ex = executor(InProcessHost(), data, auto_evolve=False)
    ex.code_lookahead = 32
    predicted = []
    predict = ex.predict_llm

    async def counted(spec: Any, input: Any, pending: Any) -> Any:
        predicted.append(input)
        return await predict(spec, input, pending)

    ex.predict_llm = counted  # type: ignore[method-assign]
    await ex.run(150)  # llm_only: every answer from the LLM
    assert ex._prefetcher is not None and predicted == []
    await ex.install_code("route", ROUTE, "code_only", "test")
    await ex.run(150)  # code_only in this interpreter: nothing to gain from sending ahead
    assert predicted == [] and ex.prefetch.code is None
    assert ex.prefetch.stats["sent"] == 0


@pytest.mark.cpython_only
async def test_the_pages_runs_send_code_answers_ahead_and_change_no_outcome(monkeypatch) -> None:
    import json

    from test_app import DATA, DSL, lab_over, run, value
    from test_concurrency import timeless

    from evomachine.app import runs

    found = {}
    for lookahead in (0, runs.CODE_LOOKAHEAD):
        monkeypatch.setattr(runs, "CODE_LOOKAHEAD", lookahead)
        lab = lab_over()
        await value(lab, "set_llm", json.dumps({"provider": "simulated", "accuracy": 0.9,
                                                 "latency_ms": 0}))
        await value(lab, "load", DSL, DATA, "data.jsonl", "ticket-triage")
        await run(lab, 3 * 200)
        while (await value(lab, "state"))["stages"]["route"] != "code_only":
            await value(lab, "evolve", "route")
        ex = lab.executor
        counter = CountingSubmits(ex.tasks["route"].module)
        code = ex.histories["route"].seen
        await run(lab, 3 * 200)
        answers = ex.histories["route"].seen - code
        assert ex.concurrency == 1 and ex.prefetch.stats["sent"] == 0  # no LLM request ahead
        if lookahead:  # the child got 16 a request, not one per answer
            assert ex.prefetch.code.used >= answers - 10
            assert 0 < counter.requests <= answers // 10
        else:
            assert counter.requests == 0
        state = await value(lab, "state")
        found[lookahead] = (state["stages"], timeless(state["metrics"]), history(ex))
    assert found[runs.CODE_LOOKAHEAD] == found[0]
