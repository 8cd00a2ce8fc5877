"""Write-behind persistence: batches, bounded history in storage, exact restore."""

from __future__ import annotations

import json
from typing import Any

import pytest
from test_evolution_stages import MAPPING, TRIAGE, FakeModule, MappingLLM, records

from evomachine.dsl import parse_machine
from evomachine.evolution import EvolutionaryExecutor
from evomachine.storage import MemoryStorage

MODULES = {"fake": FakeModule(lambda i: (MAPPING[i["text"]], 0.9))}


def loader(code: str, path: str) -> Any:
    return MODULES[code]


class CountingStorage(MemoryStorage):
    """Memory storage that counts batch writes."""

    def __init__(self) -> None:
        super().__init__()
        self.batches = 0

    async def write_batch(self, ops):
        self.batches += 1
        await super().write_batch(ops)


def make(storage, **options: Any) -> EvolutionaryExecutor:
    options.setdefault("inputs", records(400))
    return EvolutionaryExecutor(parse_machine(TRIAGE % "llm_only"), {"team": "ops"}, storage,
                                llm=MappingLLM(MAPPING), module_loader=loader, seed=7, **options)


async def test_state_is_written_behind_in_batches():
    storage = CountingStorage()
    ex = make(storage, persist_every=50, history_limit=40)
    await ex.run(max_steps=149)
    assert storage.batches == 2  # steps 50 and 100, nothing per step
    assert await storage.get("state", "ticket-triage") is not None
    await ex.flush()
    assert storage.batches == 3
    keys = await storage.keys("history", "ticket-triage/")
    history = ex.histories["route"]
    live = {r.seq for r in (*history.recent, *history.sample)}
    assert len(keys) == len(live) and len(history.recent) == 40


async def test_history_beyond_the_bound_is_deleted_from_storage():
    storage = MemoryStorage()
    ex = make(storage, persist_every=10_000, history_limit=5)
    ex.histories["route"].sample_size = 3
    await ex.run(max_steps=60)
    await ex.flush()
    await ex.run(max_steps=60)
    await ex.flush()
    history = ex.histories["route"]
    live = {r.seq for r in (*history.recent, *history.sample)}
    assert len(await storage.keys("history", "ticket-triage/")) == len(live) <= 8


async def test_restore_rebuilds_exactly_the_saved_executor():
    storage = MemoryStorage()
    ex = make(storage, persist_every=25, shadow_rate=0.5)
    await ex.run(max_steps=120)
    await ex.install_code("route", "fake", "hybrid", "test")
    await ex.run(max_steps=101)
    await ex.flush()
    saved = ex.export_state()
    json.dumps(saved)  # JSON-safe
    back = await EvolutionaryExecutor.restore(storage, "ticket-triage", llm=MappingLLM(MAPPING),
                                              module_loader=loader, inputs=records(400))
    assert back.export_state() == saved
    assert back.get_task_metrics() == ex.get_task_metrics()
    assert back.current_node == ex.current_node and back.input_cursor == ex.input_cursor
    # both continue identically: same inputs, same shadow-check draws
    back.persist_every = 10_000  # only ``ex`` writes: a second writer would get a conflict
    await ex.run(max_steps=90)
    await back.run(max_steps=90)
    after, restored_after = ex.export_state(), back.export_state()
    for state in (after, restored_after):
        state.pop("mutations"), state.pop("persist_every")
    assert _without_timestamps(after) == _without_timestamps(restored_after)
    assert await storage.load_code("generated/ticket-triage/route_v1.py") == "fake"


async def test_restore_of_unknown_machine_is_a_clear_error():
    with pytest.raises(LookupError, match="no saved executor 'nope'"):
        await EvolutionaryExecutor.restore(MemoryStorage(), "nope")


async def test_import_state_round_trips_without_storage():
    ex = make(None, persist_every=5)
    await ex.run(max_steps=30)
    other = make(None)
    other.import_state(ex.export_state())
    assert other.export_state() == ex.export_state()
    with pytest.raises(ValueError, match="format"):
        other.import_state({"format": 99})


async def test_flush_without_storage_is_a_no_op():
    ex = make(None)
    await ex.run(max_steps=3)
    await ex.flush()


def _without_timestamps(state: dict[str, Any]) -> dict[str, Any]:
    for history in state["histories"].values():
        for record in (*history["recent"], *history["sample"]):
            record.pop("timestamp")
            record.pop("latency_ms")
    for task in state["tasks"].values():
        task["metrics"].pop("latencies")
        task["metrics"].pop("total_latency_ms")
        task["metrics"].pop("synthesis_ms")  # measured time: reported, never decided on
        if task["last_synthesis"]:
            task["last_synthesis"].pop("ms", None)
            for score in task["last_synthesis"].get("scores", {}).values():
                score.pop("fit_ms", None)
    return state


async def test_a_missing_history_record_is_its_own_error_not_a_missing_machine():
    from evomachine.evolution.snapshot import MissingHistoryError

    storage = MemoryStorage()
    ex = make(storage, persist_every=10_000)
    await ex.run(max_steps=30)
    await ex.flush()
    key = (await storage.keys("history", "ticket-triage/"))[0]
    await storage.remove("history", key)
    with pytest.raises(MissingHistoryError, match="missing history record") as caught:
        await EvolutionaryExecutor.restore(storage, "ticket-triage", llm=MappingLLM(MAPPING))
    assert caught.value.key == key


async def test_a_recent_range_longer_than_the_stored_history_is_refused_before_it_is_listed():
    """Red team (rt11): a stored ``recent: {from: 1, to: 10^12}`` was listed number by number
    (a bare MemoryError in the CLI)."""
    from evomachine.evolution.snapshot import MissingHistoryError

    storage = MemoryStorage()
    ex = make(storage, persist_every=10_000)
    await ex.run(max_steps=30)
    await ex.flush()
    doc = await storage.get("state", "ticket-triage")
    [index] = doc["histories"].values()
    index["recent"] = {"from": 1, "to": 10**12}
    await storage.put("state", "ticket-triage", doc)
    with pytest.raises(MissingHistoryError, match="missing history record") as caught:
        await EvolutionaryExecutor.restore(storage, "ticket-triage", llm=MappingLLM(MAPPING))
    assert caught.value.key not in await storage.keys("history", "ticket-triage/")


async def test_a_saved_run_on_a_node_the_machine_lacks_is_refused():
    ex = make(None)
    await ex.run(max_steps=3)
    state = ex.export_state()
    state["run"]["current_node"] = "nowhere"
    with pytest.raises(ValueError, match="'nowhere'"):
        make(None).import_state(state)
