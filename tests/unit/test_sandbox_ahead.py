"""Code answers sent across the boundary ahead of the ordered path: ``submit_many`` and the
evolving executor's batches, which decide exactly like one call at a time."""

from __future__ import annotations

from typing import Any

import pytest

from evomachine.dsl import parse_machine
from evomachine.evolution import EvolutionaryExecutor
from evomachine.llm.simulated import SimulatedLLM
from evomachine.sandbox import BoundaryError, GeneratedCodeError, InProcessHost

pytestmark = pytest.mark.needs_event_loop

HANG_ON = '''
def execute(input, context):
    if input.get("text") == "hang":
        pow(3 ** 20000, 2 ** 32000 - 1, (3 ** 20000) * (3 ** 20000) + 7)
    return {"output": input["text"], "confidence": 0.5, "metadata": {"seen": context.get("n")}}
'''
ROUTE = '''
def execute(input, context):
    text = input["text"]
    label = "billing" if "refund" in text or "invoice" in text else "tech"
    return {"output": label, "confidence": 0.9, "metadata": {}}
'''
TRIAGE = """machine "Triage"
Input ticket { ground_truth: "label"; }
Task route { prompt: "Route: {{ input.text }}"; output<"billing" | "tech">; }
State billing; State tech;
ticket -> route;
route -billing-> billing;
route -tech-> tech;
billing -> ticket; tech -> ticket;
"""


def rows(n: int) -> list[dict[str, Any]]:
    words = ["refund", "crash", "invoice", "login", "bug", "payment"]
    out = []
    for i in range(n):
        word = words[i % len(words)]
        out.append({"text": f"ticket {i} {word}",
                    "label": "billing" if word in ("refund", "invoice") else "tech"})
    return out


@pytest.mark.cpython_only
async def test_answers_come_in_order_and_another_call_reads_the_rest_first() -> None:
    from evomachine.sandbox import ProcessHost

    host = ProcessHost(deadline=1.0)
    module = await host.load(HANG_ON, "hang.py")
    other = await host.load(HANG_ON, "other.py")
    ahead = await module.submit_many([{"text": "a"}, {"other": 1}, {"text": "b"}], {"n": 3})
    assert ahead is not None
    assert (await ahead.get(0))["output"] == "a"
    # another module's call while two answers are still due: they are read first, kept
    assert (await other.execute({"text": "x"}, {}))["output"] == "x"
    await host.load(HANG_ON, "third.py")  # a load too
    error = await ahead.get(1)
    assert isinstance(error, GeneratedCodeError) and "KeyError" in error.reason
    assert await ahead.get(2) == {"output": "b", "confidence": 0.5, "metadata": {"seen": 3}}
    assert host.restarts == 1
    assert await module.submit_many([], {}) is None
    assert await module.submit_many([{"text": object()}], {}) is None  # not JSON: not sent
    assert (await module.execute({"text": "c"}, {}))["output"] == "c"
    await host.close()


@pytest.mark.cpython_only
async def test_an_answer_that_costs_the_child_fails_the_module_and_the_rest_never_come() -> None:
    from evomachine.sandbox import ProcessHost

    host = ProcessHost(deadline=0.5)
    module = await host.load(HANG_ON, "hang.py")
    ahead = await module.submit_many([{"text": "a"}, {"text": "hang"}, {"text": "b"}], {})
    assert ahead is not None
    assert (await ahead.get(0))["output"] == "a"
    killed = await ahead.get(1)
    assert isinstance(killed, BoundaryError) and killed.cause == "deadline"
    assert module.failed is killed  # as execute() would have left it
    assert await ahead.get(2) is None  # never computed: the caller runs it (or not) itself
    assert await module.submit_many([{"text": "c"}], {}) is None
    fresh = await host.load(HANG_ON, "hang.py")
    ahead = await fresh.submit_many([{"text": "d"}, {"text": "e"}], {})
    assert ahead is not None
    await host.close()  # stops the child: answers still due will not come
    assert await ahead.get(0) is None and await ahead.get(1) is None
    assert (await fresh.execute({"text": "f"}, {}))["output"] == "f"  # a new child
    await host.close()


HOG = ("KEEP = []\nBASE = list(range(1000000))\n"
       "def grow():\n    for _ in range(25):\n        KEEP.append(tuple(BASE))\n"
       "    return len(KEEP)\n")
NEEDY = '''
def execute(input, context):
    if input["text"] == "big":
        a = list(range(1000000))
        b = list(range(1000000, 2000000))
        return {"output": str(len(a) + len(b)), "confidence": 1.0, "metadata": {}}
    return {"output": input["text"], "confidence": 1.0, "metadata": {}}
'''


@pytest.mark.cpython_only
async def test_an_answer_that_runs_the_child_out_of_memory_is_left_to_a_call() -> None:
    from evomachine.sandbox import ProcessHost, ProcessLimits

    host = ProcessHost(limits=ProcessLimits(memory_bytes=320 * 2**20))
    hog, needy = await host.load(HOG, "hog.py"), await host.load(NEEDY, "needy.py")
    assert await hog.call("grow") == 25  # ~250 MB now held by hog's globals
    ahead = await needy.submit_many([{"text": "a"}, {"text": "big"}, {"text": "c"}], {})
    assert ahead is not None
    assert (await ahead.get(0))["output"] == "a"
    assert await ahead.get(1) is None and await ahead.get(2) is None  # the child retired
    assert host.last_exit is not None and host.last_exit[0] == "retired"
    assert needy.failed is None  # maybe hog's memory: a call in a fresh child decides
    assert (await needy.execute({"text": "big"}, {}))["output"] == "2000000"
    assert host.restarts == 2
    await host.close()


def evolving(host: Any, data: list[dict[str, Any]]) -> EvolutionaryExecutor:
    llm = SimulatedLLM.from_records(data, "label", seed=3)
    return EvolutionaryExecutor(parse_machine(TRIAGE), llm=llm, seed=3, memo=False,
                                audit_rate=0.0, auto_evolve=False, sandbox=host)


def fields(results: list[Any]) -> list[tuple[Any, ...]]:
    return [(r.output, r.confidence, r.used_llm, r.stage, r.success, r.error) for r in results]


@pytest.mark.cpython_only
async def test_a_batch_through_the_process_boundary_equals_one_call_at_a_time() -> None:
    from evomachine.sandbox import ProcessHost

    data = rows(300)
    inputs = [{"text": r["text"]} for r in data] * 2  # repeats: each runs the code again
    results = {}
    for k in (1, 8):
        host = ProcessHost()
        ex = evolving(host, data)
        await ex.install_code("route", ROUTE, "code_only", "test")
        results[k] = await ex.execute_batch("route", inputs, concurrency=k)
        history = [(r.input, r.output, r.answered_by) for r in ex.histories["route"].recent]
        results[k].append(history)  # type: ignore[arg-type]
        cache = ex.prefetch.code
        if k == 1:
            assert cache is None
        else:  # every answer crossed ahead, in requests of half a window (16 inputs)
            assert cache.sent == cache.used == len(inputs) and len(cache) == 0
        await host.close()
    assert fields(results[8][:-1]) == fields(results[1][:-1])
    assert results[8][-1] == results[1][-1]


class Counting:
    """A module (no sandbox) that counts its calls."""

    filename = "counting.py"
    source = ROUTE

    def __init__(self) -> None:
        self.calls = 0

    def execute(self, input: Any, context: Any) -> dict[str, Any]:
        self.calls += 1
        text = input["text"]
        label = "billing" if "refund" in text or "invoice" in text else "tech"
        return {"output": label, "confidence": 0.9 if "ticket 1" not in text else 0.1,
                "metadata": {}}


async def test_in_hybrid_the_code_run_for_a_prediction_is_the_one_the_execution_uses() -> None:
    data = rows(240)
    inputs = [{"text": r["text"]} for r in data]
    counts, outcomes = {}, {}
    for k in (1, 8):
        module = Counting()
        llm = SimulatedLLM.from_records(data, "label", seed=3)
        ex = EvolutionaryExecutor(parse_machine(TRIAGE), llm=llm, seed=3, memo=False,
                                  audit_rate=0.0, auto_evolve=False,
                                  module_loader=lambda code, path, m=module: m)
        await ex.install_code("route", ROUTE, "code_first", "test")
        assert ex.stages()["route"] == "code_first"
        module.calls = 0
        outcomes[k] = fields(await ex.execute_batch("route", inputs, concurrency=k))
        counts[k] = module.calls
    assert outcomes[8] == outcomes[1]
    assert any(o[2] for o in outcomes[1]) and not all(o[2] for o in outcomes[1])
    assert counts[8] == counts[1] == len(inputs)  # not twice: predicted, then taken


async def test_in_process_modules_are_not_sent_ahead_and_answer_alike() -> None:
    data = rows(120)
    inputs = [{"text": r["text"]} for r in data]
    ex = evolving(InProcessHost(), data)
    await ex.install_code("route", ROUTE, "code_only", "test")
    one = evolving(InProcessHost(), data)
    await one.install_code("route", ROUTE, "code_only", "test")
    got = await ex.execute_batch("route", inputs, concurrency=4)
    expected = [await one.execute_task("route", x) for x in inputs]
    assert fields(got) == fields(expected)
    assert ex.prefetch.code is None  # nothing to gain: no boundary to cross


@pytest.mark.cpython_only
async def test_an_evolving_run_through_the_process_boundary_decides_alike_at_any_concurrency():
    from test_concurrency import TRIAGE as THREE_WAY
    from test_concurrency import outcome, simulated, workload

    from evomachine.sandbox import ProcessHost

    rows_ = workload(4000, 0)
    found = {}
    for k in (1, 8):
        host = ProcessHost()
        ex = EvolutionaryExecutor(parse_machine(THREE_WAY), llm=simulated(THREE_WAY, rows_, 0),
                                  inputs=rows_, seed=0, sandbox=host)
        found[k] = outcome(ex, await ex.run(8000, concurrency=k))
        if k > 1:  # hybrid and code_first reuse the predictions' runs; code_only sends ahead
            cache = ex.prefetch.code
            assert cache is not None and cache.used > 1000 and cache.sent > 100
        await host.close()
    assert found[1]["stages"]["route"] == "code_only"
    assert found[8] == found[1]


TWO = """machine "Two"
Input ticket { ground_truth: { lang: "lang", route: "label" }; }
Task lang { prompt: "Language of: {{ input.text }}"; output<"en" | "fr">; }
Task route { prompt: "Route: {{ input.text }}"; output<"billing" | "tech">; }
State billing; State tech;
ticket -> lang -> route;
route -billing-> billing;
route -tech-> tech;
billing -> ticket; tech -> ticket;
"""
LANG = '''
def execute(input, context):
    return {"output": "fr" if "merci" in input["text"] else "en", "confidence": 0.9,
            "metadata": {}}
'''


@pytest.mark.cpython_only
async def test_two_tasks_on_the_same_input_each_get_their_own_answers_ahead() -> None:
    from evomachine.sandbox import ProcessHost

    data = [{**r, "lang": "en"} for r in rows(90)]
    found = {}
    for k in (1, 8):
        llm = SimulatedLLM.from_records(data, {"lang": "lang", "route": "label"}, seed=1)
        host = ProcessHost()
        ex = EvolutionaryExecutor(parse_machine(TWO), llm=llm, inputs=data, seed=1,
                                  memo=False, audit_rate=0.0, auto_evolve=False, sandbox=host)
        await ex.install_code("lang", LANG, "code_only", "test")
        await ex.install_code("route", ROUTE, "code_only", "test")
        steps = await ex.run(360, concurrency=k)
        found[k] = ([(s.node, s.output) for s in steps],
                    {name: [(r.input, r.output, r.answered_by) for r in h.recent]
                     for name, h in ex.histories.items()})
        if k > 1:
            assert ex.prefetch.code.used == 2 * 90  # both tasks' answers, none mixed up
        await host.close()
    assert found[8] == found[1]
    assert {r[2] for h in found[1][1].values() for r in h} == {"code"}
