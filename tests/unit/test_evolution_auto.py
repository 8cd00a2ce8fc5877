"""Automatic evolution end to end: SimulatedLLM, real synthesis, the real sandbox."""

from __future__ import annotations

import random
from typing import Any

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


async def test_promotes_to_hybrid_after_100_executions_on_an_easy_workload():
    ex = evolving(workload(400))
    await ex.run(max_steps=3 * 99)
    assert ex.tasks["route"].stage == "llm_only"  # 99 executions: not yet
    await ex.run(max_steps=3 * 20)
    state = ex.tasks["route"]
    assert state.stage == "hybrid"
    mutation = ex.get_mutations()[0]
    assert mutation["data"]["from_stage"] == "llm_only" and mutation["data"]["to_stage"] == "hybrid"
    assert "100 executions" in mutation["data"]["reason"]
    assert state.heldout_agreement >= ex.policy.hybrid_min_heldout
    assert "def execute" in state.code and state.module is not None
    result = await ex.execute_task("route", {"text": "the app shows an error", "id": 1})
    assert result.stage == "hybrid" and 0.0 <= (result.confidence or 0.0) <= 1.0


async def test_easy_workload_goes_all_the_way_and_saves_cost():
    ex = evolving(workload(1500))
    await ex.run(max_steps=5000)
    metrics = ex.get_task_metrics()["route"]
    moves = [m["data"] for m in ex.get_mutations()]
    assert [m["to_stage"] for m in moves if m["from_stage"] != m["to_stage"]] == [
        "hybrid", "code_first", "code_only"]
    assert all(m["reason"].startswith("code refreshed") for m in moves
               if m["from_stage"] == m["to_stage"])
    assert metrics["llm_call_rate"] < 0.2 and metrics["cost_saved"] > 0.8 * metrics[
        "llm_only_cost_estimate"]
    assert metrics["accuracy"] >= 0.95
    assert metrics["code_version"] == f"v{len(moves)}" and metrics["synthesizer"]


async def test_random_labels_never_reach_code_only():
    ex = evolving(workload(1200, random_labels=True))
    await ex.run(max_steps=3600)
    assert ex.tasks["route"].stage == "llm_only"
    assert all(m["data"]["to_stage"] != "code_only" for m in ex.get_mutations())
    assert "heldout_agreement" in ex.tasks["route"].last_synthesis


async def test_drift_in_the_llm_demotes_the_task():
    rows = workload(3000, seed=5)
    truth = {"billing": "billing", "tech": "tech", "sales": "sales"}

    def answer(request) -> str:
        words = set(request.input["text"].split())
        label = next(k for k, v in WORDS.items() if words & set(v))
        return truth[label]

    ex = evolving(rows, SimulatedLLM(answer, seed=1), shadow_rate=0.3, code_only_min_checks=10**6,
                  refresh_growth=0)
    await ex.run(max_steps=3 * 300)
    assert ex.tasks["route"].stage == "code_first"
    truth.update({"billing": "tech", "tech": "sales", "sales": "billing"})
    await ex.run(max_steps=3 * 450)
    moves = [(m["data"]["from_stage"], m["data"]["to_stage"], m["data"]["reason"].split(":")[0])
             for m in ex.get_mutations() if m["data"]["from_stage"] != m["data"]["to_stage"]][2:]
    # down one stage at a time on drift, then relearnt from the answers given after the drift
    assert moves[:3] == [("code_first", "hybrid", "drift"), ("hybrid", "llm_only", "drift"),
                         ("llm_only", "hybrid", moves[2][2])]
    assert ex.tasks["route"].code_version >= 3
    relearnt = await ex.execute_task("route", {"text": "refund please", "id": 1})
    assert relearnt.output == "tech"


async def test_restore_with_generated_code():
    storage = MemoryStorage()
    rows = workload(600)
    ex = evolving(rows, storage=storage)
    await ex.run(max_steps=500)
    await ex.flush()
    assert ex.tasks["route"].stage != "llm_only"
    back = await EvolutionaryExecutor.restore(storage, "ticket-triage", llm=ex.llm, inputs=rows)
    assert back.export_state() == ex.export_state()
    assert back.tasks["route"].module is not None
    probe = {"text": "refund please", "id": 5}
    assert (await back.execute_task("route", probe)).output == \
        (await ex.execute_task("route", probe)).output
