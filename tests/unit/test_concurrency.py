"""Concurrent runs decide like sequential ones: same stages, code, metrics, outputs, history."""

from __future__ import annotations

import asyncio
import hashlib
import random
from typing import Any

import pytest

from evomachine.dsl import parse_machine
from evomachine.evolution import EvolutionaryExecutor
from evomachine.llm import LLMRequest, OpenAICompatibleClient
from evomachine.llm.mock_transport import MockTransport, VirtualClock, openai_reply, user_prompt
from evomachine.llm.rate_limit import RateLimiter
from evomachine.llm.simulated import SimulatedLLM
from evomachine.sandbox import InProcessHost

pytestmark = pytest.mark.needs_event_loop

TRIAGE = """machine "Ticket triage"
Input ticket { ground_truth: "label"; }
Task route {
    prompt: "Route: {{ input.text }}";
    output<"billing" | "tech" | "sales">;
}
State billing; State tech; State sales;
ticket -> route;
route -billing-> billing;
route -tech-> tech;
route -sales-> sales;
billing -> ticket; tech -> ticket; sales -> ticket;
"""

TWO_TASKS = """machine "Two tasks"
Input ticket { ground_truth: { lang: "lang", route: "label" }; }
Task lang { prompt: "Language of: {{ input.text }}"; output<"en" | "fr">; }
Task route { prompt: "Route: {{ input.text }}"; output<"billing" | "tech" | "sales">; }
State billing; State tech; State sales;
ticket -> lang -> route;
route -billing-> billing;
route -tech-> tech;
route -sales-> sales;
billing -> ticket; tech -> ticket; sales -> ticket;
"""

WORDS = {
    "billing": ["invoice", "refund", "charge", "payment"],
    "tech": ["crash", "error", "bug", "login"],
    "sales": ["seats", "pricing", "demo", "upgrade"],
}
FILLER = ["please", "help", "me", "today", "with", "my", "account", "thanks"]


def workload(n: int, seed: int) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    rows = []
    for _ in range(n):
        label = rng.choice(list(WORDS))
        words = [*rng.sample(FILLER, 3), rng.choice(WORDS[label]), *rng.sample(FILLER, 2)]
        rows.append({"text": " ".join(words), "label": label,
                     "lang": "fr" if "merci" in words or rng.random() < 0.3 else "en"})
    return rows


def executor(text: str, rows: list[dict[str, Any]], llm: Any, seed: int) -> EvolutionaryExecutor:
    return EvolutionaryExecutor(parse_machine(text), llm=llm, inputs=rows, seed=seed,
                                sandbox=InProcessHost())


def simulated(text: str, rows: list[dict[str, Any]], seed: int) -> SimulatedLLM:
    truth: Any = {"lang": "lang", "route": "label"} if "lang" in text else "label"
    return SimulatedLLM.from_records(rows, truth, accuracy=0.95, price=(3.0, 15.0), seed=seed)


def timeless(value: Any) -> Any:
    """``value`` without wall-time figures (latencies, timestamps), which no run repeats."""
    if isinstance(value, dict):
        return {k: timeless(v) for k, v in value.items()
                if not ("latency" in k or "time" in k or k.endswith("_ms") or k == "seconds")}
    if isinstance(value, list):
        return [timeless(v) for v in value]
    return value


# Figures that count requests sent ahead and not taken (a concurrent run's waste, billed).
WASTE_FIGURES = {"llm_calls", "llm_call_rate", "cost_saved", "cost_saved_share", "wasted_calls",
                 "wasted_cost", "total_cost", "cost_per_execution"}


def decided(metrics: dict[str, Any]) -> dict[str, Any]:
    """A task's metrics without the figures wasted requests add to (each checked apart)."""
    return {key: decided(value) if isinstance(value, dict) else value
            for key, value in metrics.items() if key not in WASTE_FIGURES}


def outcome(ex: EvolutionaryExecutor, steps: list[Any]) -> dict[str, Any]:
    return {
        "stages": ex.stages(),
        "code": {name: state.code for name, state in ex.tasks.items()},
        "metrics": decided(timeless(ex.get_task_metrics())),
        "mutations": timeless(ex.get_mutations()),
        "steps": [(s.node, s.output, s.next, s.error) for s in steps],
        "history": {name: [(r.input, r.output, r.answered_by, r.stage, r.success, r.cost)
                           for r in history.recent] for name, history in ex.histories.items()},
        "draws": {name: state.draws for name, state in ex.tasks.items()},
    }


async def run(text: str, rows: list[dict[str, Any]], seed: int, concurrency: int,
              steps: int) -> tuple[dict[str, Any], EvolutionaryExecutor]:
    llm = simulated(text, rows, seed)
    ex = executor(text, rows, llm, seed)
    taken = await ex.run(steps, concurrency=concurrency)
    await ex.prefetch.settle()
    assert_billed_as_reported(ex, llm)
    return outcome(ex, taken), ex


def assert_billed_as_reported(ex: EvolutionaryExecutor, llm: SimulatedLLM,
                              first: int | None = None) -> None:
    """What the provider billed is what the tasks report: answers taken, code-writing
    requests and answers sent ahead that no execution took. (``first``: the first record
    not done, if not the run's.)"""
    first = ex.input_cursor if first is None else first
    assert ex.prefetch.report(first)["waiting"] == 0  # nothing was sent past the run
    metrics = ex.get_task_metrics()
    reported = sum(m["performance_metrics"]["total_cost"] for m in metrics.values())
    assert reported == pytest.approx(llm.billed, rel=1e-9, abs=1e-12)
    assert sum(m["llm_calls"] for m in metrics.values()) == llm.calls


@pytest.mark.parametrize("seed", [0, 5])
async def test_an_evolving_machine_reaches_the_same_outcome_at_every_concurrency(seed):
    rows = workload(900, seed)
    sequential, _ = await run(TRIAGE, rows, seed, 1, 1800)
    assert sequential["stages"]["route"] != "llm_only"  # it evolved to code
    assert sequential["code"]["route"]
    wasted = 0
    for k in (2, 8, 32):
        concurrent, ex = await run(TRIAGE, rows, seed, k, 1800)
        assert concurrent == sequential, f"K={k}"
        report = ex.prefetch.report(ex.input_cursor)
        assert report["sent"] >= report["used"] > 0
        metrics = ex.task_metrics("route")
        assert metrics["wasted_calls"] == report["wasted"] == report["sent"] - report["used"]
        assert metrics["wasted_cost"] == pytest.approx(report["wasted_cost"])
        wasted += report["wasted"]
        # a wrong prediction is mostly a request for a record whose task changed stage or cut
        # before it ran: about one window per stage change, and a few more
        assert report["stale"] <= k * (len(sequential["mutations"]) + 1) + 0.1 * report["sent"]
    assert wasted > 0  # stage changes made some predictions wrong: their cost is counted


@pytest.mark.parametrize("seed", [1, 2])
async def test_a_two_task_machine_reaches_the_same_outcome_and_prefetches_both_tasks(seed):
    rows = workload(700, seed)
    sequential, _ = await run(TWO_TASKS, rows, seed, 1, 2100)
    for k in (4, 16):
        concurrent, ex = await run(TWO_TASKS, rows, seed, k, 2100)
        assert concurrent == sequential, f"K={k}"
        used = {name for name in ("lang", "route")
                if any(r.answered_by == "llm" for r in ex.histories[name].recent)}
        assert used == {"lang", "route"}
        assert ex.prefetch.report(ex.input_cursor)["used"] > 0


async def test_runs_in_chunks_and_then_sequential_steps_continue_the_same_way():
    rows = workload(500, 3)
    sequential, _ = await run(TRIAGE, rows, 3, 1, 1000)
    ex = executor(TRIAGE, rows, simulated(TRIAGE, rows, 3), 3)
    steps = []
    for size, k in ((100, 8), (37, 1), (400, 16), (463, 4)):
        steps += await ex.run(size, concurrency=k)
    assert outcome(ex, steps) == sequential


async def test_execute_batch_equals_one_by_one_calls():
    rows = workload(400, 4)
    inputs = [{k: v for k, v in r.items() if k != "label"} for r in rows]
    truth = [r["label"] for r in rows]
    one = executor(TRIAGE, rows, simulated(TRIAGE, rows, 4), 4)
    expected = [await one.execute_task("route", x, expected=t) for x, t in zip(inputs, truth,
                                                                                strict=True)]
    llm = simulated(TRIAGE, rows, 4)
    batch = executor(TRIAGE, rows, llm, 4)
    got = await batch.execute_batch("route", inputs, concurrency=8, expected=truth)
    assert [timeless(_fields(r)) for r in got] == [timeless(_fields(r)) for r in expected]
    assert sum(r.used_llm for r in got) > 100 and all(r.success for r in got)
    assert decided(timeless(batch.get_task_metrics())) == \
        decided(timeless(one.get_task_metrics()))
    assert_billed_as_reported(batch, llm, len(inputs))


def _fields(result: Any) -> dict[str, Any]:
    return {name: getattr(result, name) for name in result.__slots__}


# --- an HTTP provider behind the mock transport, on a virtual clock -------------------------

def http_llm(rows: list[dict[str, Any]], clock: VirtualClock, *, refuse_every: int = 0,
             concurrency: int = 8) -> tuple[OpenAICompatibleClient, MockTransport, list[str]]:
    """A deterministic model (a stable 5% of inputs answered wrong), 400 ms a request."""
    truth = {r["text"]: r["label"] for r in rows}
    refused: list[str] = []
    count = [0]

    def handler(url, headers, body):
        count[0] += 1
        if refuse_every and count[0] % refuse_every == 0:
            refused.append(user_prompt(body))
            return 429, {"retry-after": "0.5"}, '{"error": {"message": "slow down"}}'
        text = user_prompt(body).removeprefix("Route: ")
        label = truth[text]
        if hashlib.sha256(text.encode()).digest()[0] < 13:
            label = "sales" if label != "sales" else "tech"
        return openai_reply(label)

    transport = MockTransport(handler, latency_s=0.4, sleep=clock.sleep)
    limiter = RateLimiter(max_concurrency=concurrency, clock=clock, sleep=clock.sleep)
    llm = OpenAICompatibleClient("http://127.0.0.1:9/v1", "mock", transport=transport,
                                 limiter=limiter, sleep=clock.sleep, max_retries=4)
    return llm, transport, refused


def http_run(rows, k, *, refuse_every=0):
    clock = VirtualClock()
    llm, transport, refused = http_llm(rows, clock, refuse_every=refuse_every, concurrency=k)
    asks = []
    complete = llm.complete

    async def counted(request):
        asks.append(request.prompt)
        return await complete(request)

    llm.complete = counted
    ex = executor(TRIAGE, rows, llm, 0)

    async def main():
        return await ex.run(1200, concurrency=k)

    steps = asyncio.run(clock.drive(main()))
    return outcome(ex, steps), clock(), transport, refused, ex, asks


def test_http_provider_on_a_virtual_clock_same_outcome_in_a_fraction_of_the_time():
    rows = workload(400, 6)
    sequential, t1, sent1, _, _, _ = http_run(rows, 1)
    concurrent, t8, sent8, _, ex, _ = http_run(rows, 8)
    assert concurrent == sequential
    assert sent8.max_in_flight == 8 and sent1.max_in_flight == 1
    assert t8 <= t1 / 4  # counted on the virtual clock: 400 ms a request
    needed = sum(r.answered_by == "llm" or r.llm_output is not None
                 for r in ex.histories["route"].recent)
    assert needed <= len(sent8.requests) <= 1.1 * needed + 8


def test_under_429s_a_concurrent_run_loses_nothing_and_still_matches():
    rows = workload(400, 7)
    sequential, *_ = http_run(rows, 1)
    concurrent, _, transport, refused, ex, asks = http_run(rows, 8, refuse_every=10)
    assert concurrent == sequential
    assert len(refused) >= len(transport.requests) // 10 - 1  # every tenth request refused
    # every ask got exactly one 2xx answer: none lost, none answered twice
    assert len(transport.requests) - len(refused) == len(asks)
    assert sorted(user_prompt(body) for _, _, body, _ in transport.requests) == \
        sorted(asks + refused)
    history = ex.histories["route"].recent
    assert len(history) == 400 and all(r.success for r in history)


async def test_identical_requests_share_one_call_and_an_answer_is_handed_out_once():
    llm = SimulatedLLM(lambda request: "billing")
    cache = EvolutionaryExecutor(parse_machine(TRIAGE), llm=llm).prefetch
    request = LLMRequest(prompt="Route: x", task="route", input={"text": "x"})
    assert cache.start(llm, request, 0) and not cache.start(llm, request, 1)
    await asyncio.sleep(0)
    assert llm.calls == 1
    assert (await cache.complete(llm, request)).text == "billing"
    assert (await cache.complete(llm, request)).text == "billing"
    assert llm.calls == 2  # the second ask was not served the used answer
    assert cache.report(0) == {"sent": 1, "used": 1, "waiting": 0, "stale": 0, "evicted": 0,
                               "wasted": 0, "wasted_cost": 0.0}


async def test_a_pause_that_aborts_prefetched_requests_loses_no_step_and_changes_nothing():
    from evomachine.interrupts import Interrupted

    rows = workload(300, 8)
    sequential, _ = await run(TRIAGE, rows, 8, 1, 600)
    llm = simulated(TRIAGE, rows, 8)
    complete = llm.complete
    abort = {"on": False}

    async def abortable(request):
        await asyncio.sleep(0)
        if abort["on"]:
            raise Interrupted("paused")
        return await complete(request)

    llm.complete = abortable
    ex = executor(TRIAGE, rows, llm, 8)
    ex.concurrency = 8
    steps = await ex.run(150)
    abort["on"] = True  # a Pause: everything in flight now is aborted
    with pytest.raises(Interrupted):
        while True:
            steps.append(await ex.step())
    abort["on"] = False
    await asyncio.sleep(0)
    steps += await ex.run(600 - len(steps))
    assert ex.prefetch.stats["dropped"] > 0  # aborted answers were not served later
    assert outcome(ex, steps) == sequential


@pytest.mark.parametrize(("steps", "at_most"), [(1, 0), (2, 1), (3, 1), (12, 6)])
async def test_a_short_run_sends_nothing_for_records_it_cannot_reach(steps, at_most):
    """A record takes its Input step and one step per task at least: ``steps`` steps bring at
    most (steps - 2) // 2 + 1 records of this machine to their task. Before, a run of one step
    (the page's Step, on the Input node) with concurrency 8 sent 32 requests ahead, each
    billed, most for records never run."""
    rows = workload(200, 3)
    llm = simulated(TRIAGE, rows, 3)
    ex = executor(TRIAGE, rows, llm, 3)
    await ex.run(steps, concurrency=8)
    await ex.prefetch.settle()
    assert llm.calls <= at_most
    assert ex.steps_left is None
    more = await ex.run(30, concurrency=8)  # what was sent ahead is used, the rest follows
    assert len(more) == 30 and ex.prefetch.report(0)["used"] >= 1
