"""MachinePersistence and PatternLibrary against the real EvolutionaryExecutor."""

from __future__ import annotations

from typing import Any

from test_evolution_stages import MAPPING, TRIAGE, FakeModule, MappingLLM, records

from evomachine import MachinePersistence, Pattern, PatternLibrary
from evomachine.dsl import parse_machine
from evomachine.evolution import EvolutionaryExecutor
from evomachine.persistence import PersistableExecutor
from evomachine.storage import MemoryStorage

MODULES = {"fake": FakeModule(lambda i: (MAPPING[i["text"]], 0.95))}


def make(storage) -> EvolutionaryExecutor:
    return EvolutionaryExecutor(parse_machine(TRIAGE % "llm_only"), {}, storage,
                                llm=MappingLLM(dict(MAPPING)), inputs=records(300), seed=3,
                                module_loader=lambda code, path: MODULES[code], memo=False)


def without_rollback(state: dict[str, Any]) -> dict[str, Any]:
    return {**state, "mutations": [m for m in state["mutations"] if m["type"] != "rollback"]}


async def test_version_pattern_import_diff_and_rollback_on_the_real_executor():
    storage = MemoryStorage()
    ex = make(storage)
    assert isinstance(ex, PersistableExecutor)
    persistence, library = MachinePersistence(storage), PatternLibrary(storage)
    await ex.run(max_steps=120)  # 40 LLM answers: enough for the budget's bound
    v1 = await persistence.save_version(ex, ex.machine_id, {"steps": 120})
    before = ex.export_state()

    await library.save_pattern(Pattern(name="router", code="fake", stage="code_first",
                                       output_schema={"enum": ["billing", "tech", "sales"]}))
    result = await library.import_pattern(ex, "router", "route")
    assert result["checked"] > 0 and result["agreement"] == 1.0
    assert ex.stages()["route"] == result["installed_stage"] != "llm_only"
    await ex.run(max_steps=30)
    v2 = await persistence.save_version(ex, ex.machine_id, {"steps": 90})

    info = (await persistence.list_versions(ex.machine_id))[-1]
    assert info.id == v2 and info.parent == v1 and info.stages == ex.stages()
    diff = await persistence.diff(ex.machine_id, v1, v2)
    assert diff.stages["route"].before == "llm_only"
    assert diff.stages["route"].after == result["installed_stage"]
    assert diff.code_changed == ["route"]

    await persistence.rollback(ex, ex.machine_id, v1)
    assert ex.stages() == {"route": "llm_only"}
    assert ex.get_mutations()[-1]["type"] == "rollback"
    assert without_rollback(ex.export_state()) == before

