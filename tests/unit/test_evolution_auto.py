"""Automatic evolution end to end: SimulatedLLM, real synthesis, the real sandbox."""

from __future__ import annotations

import random
from typing import Any

import pytest
from test_evolution_stages import TRIAGE

from evomachine.dsl import parse_machine
from evomachine.evolution import EvolutionaryExecutor
from evomachine.llm.simulated import SimulatedLLM
from evomachine.storage import MemoryStorage

WORDS = {
    "billing": ["invoice", "refund", "charge", "payment"],
    "tech": ["crash", "error", "bug", "login"],
    "sales": ["seats", "pricing", "demo", "upgrade"],
}
FILLER = ["please", "help", "me", "today", "with", "my", "account", "thanks"]


def workload(n: int, *, seed: int = 1, random_labels: bool = False) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    rows = []
    for _ in range(n):
        label = rng.choice(list(WORDS))
        text = " ".join([*rng.sample(FILLER, 3), rng.choice(WORDS[label]), *rng.sample(FILLER, 2)])
        rows.append({"text": text, "id": rng.randrange(10**9),
                     "label": rng.choice(list(WORDS)) if random_labels else label})
    return rows


def evolving(rows: list[dict[str, Any]], llm: Any = None, **options: Any) -> EvolutionaryExecutor:
    llm = llm or SimulatedLLM.from_records(rows, "label", accuracy=0.95, price=(3.0, 15.0), seed=3)
    return EvolutionaryExecutor(parse_machine(TRIAGE % "llm_only"), llm=llm, inputs=rows, **options)


async def test_promotes_to_hybrid_once_the_budget_is_backed_by_held_out_answers():
    ex = evolving(workload(600))
    await ex.run(max_steps=3 * 49)
    assert ex.tasks["route"].stage == "llm_only"  # 49 executions: not yet
    await ex.run(max_steps=3 * 400)
    state = ex.tasks["route"]
    assert state.stage != "llm_only"
    mutation = ex.get_mutations()[0]["data"]
    assert mutation["from_stage"] == "llm_only" and mutation["to_stage"] == "hybrid"
    assert "within 0.1" in mutation["reason"] and "upper bound" in mutation["reason"]
    assert "def execute" in state.code and state.module is not None
    assert state.cut["upper_bound"] <= 0.1 and state.cut["answered"] >= 20
    result = await ex.execute_task("route", {"text": "the app shows an error", "id": 1})
    assert result.stage == state.stage and 0.0 <= (result.confidence or 0.0) <= 1.0


async def test_easy_workload_goes_all_the_way_and_saves_cost():
    ex = evolving(workload(2000))
    await ex.run(max_steps=6000)
    metrics = ex.get_task_metrics()["route"]
    moves = [m["data"] for m in ex.get_mutations()]
    # code_only needs 50 live checks over every input: at the 3% audit rate it may come late
    climbed = [m["to_stage"] for m in moves if m["from_stage"] != m["to_stage"]]
    assert climbed in (["hybrid", "code_first"], ["hybrid", "code_first", "code_only"])
    assert all(m["reason"].startswith("code refreshed") for m in moves
               if m["from_stage"] == m["to_stage"])
    assert metrics["llm_call_rate"] < 0.15 and metrics["cost_saved_share"] > 0.85
    assert metrics["accuracy"] >= 0.95
    assert metrics["audits"] > 0 and metrics["drift_events"] == 0
    # the reported saving is what an LLM-only run of the same records would have cost, less
    # what this run paid
    baseline = evolving(workload(2000), auto_evolve=False, memo=False)
    await baseline.run(max_steps=6000)
    llm_only = baseline.get_task_metrics()["route"]["performance_metrics"]["total_cost"]
    assert metrics["llm_only_cost_estimate"] == pytest.approx(llm_only, rel=0.01)


async def test_random_labels_never_leave_llm_only_and_cost_nothing_extra():
    ex = evolving(workload(1200, random_labels=True))
    await ex.run(max_steps=3600)
    metrics = ex.get_task_metrics()["route"]
    assert ex.tasks["route"].stage == "llm_only" and ex.get_mutations() == []
    assert "cut" in ex.tasks["route"].last_synthesis
    assert metrics["llm_call_rate"] == 1.0 and metrics["codegen_calls"] == 0
    assert "hybrid needs" in metrics["next_step"]


async def test_a_change_in_the_llm_sends_the_task_back_and_it_learns_the_new_answers():
    rows = workload(4000, seed=5)
    truth = {"billing": "billing", "tech": "tech", "sales": "sales"}

    def answer(request) -> str:
        words = set(request.input["text"].split())
        label = next(k for k, v in WORDS.items() if words & set(v))
        return truth[label]

    ex = evolving(rows, SimulatedLLM(answer, seed=1), refresh_growth=0)
    await ex.run(max_steps=3 * 800)
    assert ex.tasks["route"].stage in ("code_first", "code_only")
    changed_at = ex.histories["route"].seen
    truth.update({"billing": "tech"})  # about a third of the traffic
    await ex.run(max_steps=3 * 1200)
    moves = [m["data"] for m in ex.get_mutations()]
    change = next(m for m in moves if m["reason"].startswith("change detected"))
    assert change["to_stage"] == "llm_only"
    back = [m for m in moves[moves.index(change) + 1:] if m["to_stage"] == "hybrid"]
    assert back, moves
    # no billing ticket is answered "billing" in the last 500 executions
    tail = ex.histories["route"].recent[-500:]
    assert tail[0].seq > changed_at
    assert not any(r.output == "billing" for r in tail)
    relearnt = await ex.execute_task("route", {"text": "refund please", "id": 1})
    assert relearnt.output == "tech"


async def test_codegen_is_asked_only_when_useful_within_its_share_and_pauses_on_refusals():
    rng = random.Random(9)
    rows = workload(3000, seed=2)
    for row in rows:  # partly learnable: 40% of the answers are noise
        if rng.random() < 0.4:
            row["label"] = rng.choice(list(WORDS))
    llm = SimulatedLLM.from_records(rows, "label", accuracy=1.0, price=(3.0, 15.0), seed=3,
                                    codegen=lambda request: "I'd rather not write code.")
    # A code-writing call is budgeted at its answer's cap (4,096 output tokens, $0.064 here):
    # 38% of what the 3,000 task executions cost, so a share of 0.1 never allows one.
    capped = evolving(rows, SimulatedLLM.from_records(
        rows, "label", accuracy=1.0, price=(3.0, 15.0), seed=3,
        codegen=lambda request: "I'd rather not write code."), codegen_max_share=0.1)
    await capped.run(max_steps=9000)
    assert capped.get_task_metrics()["route"]["codegen_calls"] == 0
    ex = evolving(rows, llm, codegen_max_share=1.0)
    await ex.run(max_steps=9000)
    metrics = ex.get_task_metrics()["route"]
    task_cost = metrics["performance_metrics"]["total_cost"] - metrics["codegen_cost"]
    assert metrics["codegen_calls"] == 2  # two refusals, then a pause until history x4
    assert metrics["codegen_cost"] <= task_cost
    assert metrics["llm_calls"] == metrics["codegen_calls"] + llm.calls - metrics["codegen_calls"]
    # nothing learnable: never asked at all
    noise = evolving(workload(1500, random_labels=True), codegen_max_share=0.05)
    await noise.run(max_steps=4500)
    assert noise.get_task_metrics()["route"]["codegen_calls"] == 0


async def test_restore_with_generated_code():
    storage = MemoryStorage()
    rows = workload(600)
    ex = evolving(rows, storage=storage)
    await ex.run(max_steps=900)
    await ex.flush()
    assert ex.tasks["route"].stage != "llm_only"
    back = await EvolutionaryExecutor.restore(storage, "ticket-triage", llm=ex.llm, inputs=rows)
    assert back.export_state() == ex.export_state()
    assert back.tasks["route"].module is None  # loaded through the sandbox on first use
    probe = {"text": "refund please", "id": 5}
    assert (await back.execute_task("route", probe)).output == \
        (await ex.execute_task("route", probe)).output
    assert back.tasks["route"].module is not None


async def test_restore_survives_stored_code_the_sandbox_refuses():
    storage = MemoryStorage()
    rows = workload(600)
    ex = evolving(rows, storage=storage)
    await ex.run(max_steps=3 * 500)
    await ex.flush()
    doc = await storage.get("state", "ticket-triage")
    doc["tasks"]["route"]["code"] = "import os\ndef execute(input, context):\n    return 1\n"
    await storage.put("state", "ticket-triage", doc)
    back = await EvolutionaryExecutor.restore(storage, "ticket-triage", llm=ex.llm, inputs=rows)
    unseen = {k: v for k, v in rows[-1].items() if k != "label"}
    result = await back.execute_task("route", unseen)
    assert result.success and result.used_llm
    assert "stored code refused" in back.tasks["route"].last_synthesis["error"]


class Sure:
    """A stand-in module: sure (0.95) of inputs holding one of ``words``, unsure (0.5) else."""

    def __init__(self, words: set[str]):
        self.words = words

    def execute(self, input: dict[str, Any], context: dict[str, Any]) -> dict[str, Any]:
        sure = bool(self.words & set(input["text"].split()))
        return {"output": "billing", "confidence": 0.95 if sure else 0.5}


def cut(threshold: float) -> dict[str, Any]:
    return {"threshold": threshold, "coverage": 0.9, "answered": 100, "disagreed": 0,
            "total": 110, "upper_bound": 0.03}


async def test_a_refresh_is_kept_only_if_it_answers_more_of_the_same_recent_traffic():
    """Held-out coverages of two versions are not comparable (the newer one's held-out inputs
    are those the older code left to the LLM); their coverage of the same traffic is."""
    from evomachine.evolution.task_state import Candidate

    ex = evolving(workload(400), auto_evolve=False)
    await ex.run(max_steps=3 * 400)
    state, evolver = ex.tasks["route"], ex.evolver
    inputs = evolver.recent_inputs(state)
    assert len(inputs) == state.policy.coverage_window
    billing = set(WORDS["billing"])
    share = sum(bool(billing & set(i["text"].split())) for i in inputs) / len(inputs)
    assert await evolver.live_coverage(Sure(billing), cut(0.9), inputs) == share
    assert await evolver.live_coverage(Sure(billing), cut(0.99), inputs) == 0.0

    state.stage, state.module, state.cut = "hybrid", Sure(billing), cut(0.9)
    narrower = Candidate("# narrower", "naive_bayes", 0.9, Sure({"invoice"}), cut(0.9), cut(0))

    async def offer(candidate: Candidate) -> Any:
        async def synthesize(_: Any, **__: Any) -> tuple[Candidate, float]:
            return candidate, 0.0
        evolver.synthesize = synthesize
        await evolver._refresh(state, ex.histories["route"].seen)
        return state.module

    assert await offer(narrower) is not narrower.module  # fewer inputs: the old code stays
    wider = Candidate("# wider", "linear", 0.9, Sure(billing | set(WORDS["tech"])), cut(0.9),
                      cut(0))
    assert await offer(wider) is wider.module
    assert "answers" in ex.get_mutations()[-1]["data"]["reason"]


async def test_a_failing_llm_keeps_the_task_in_llm_only_and_says_why():
    rows = workload(300)
    llm = SimulatedLLM.from_records(rows, "label", accuracy=0.95, error_rate=0.2, seed=3)
    ex = evolving(rows, llm)
    await ex.run(max_steps=3 * 200)
    assert ex.tasks["route"].stage == "llm_only"
    assert "validly" in ex.task_metrics("route")["next_step"]


def test_a_failed_try_comes_back_sooner_when_the_students_learnt_something():
    """After a synthesis that gave nothing usable: the next try waits resynthesis_growth (1.2)
    of history when the students beat the majority answer by codegen_min_lift, its square
    (1.44) when they did not or the synthesis failed: a task nothing can learn tries less."""
    ex = EvolutionaryExecutor(parse_machine(TRIAGE % "llm_only"))
    state, history = ex.tasks["route"], ex.histories["route"]
    history.seen = 1000
    for last, due in [({"heldout_agreement": 0.75, "majority": 0.5}, 1200),
                      ({"heldout_agreement": 0.55, "majority": 0.5}, 1440),
                      ({"at": 1000, "error": "SynthesisError: no candidate"}, 1440)]:
        state.last_synthesis = last
        ex.evolver.back_off(state)
        assert state.next_synthesis_at == due, last
    history.seen = 60  # early on, at least resynthesis_after (20) executions
    state.last_synthesis = {"heldout_agreement": 0.9, "majority": 0.4}
    ex.evolver.back_off(state)
    assert state.next_synthesis_at == 80
