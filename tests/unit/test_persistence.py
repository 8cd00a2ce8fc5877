"""MachinePersistence: chained sortable versions, rollback, diff, export/import."""

from __future__ import annotations

import copy
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from evomachine import MachinePersistence
from evomachine.model import Attribute, Edge, MachineData, Node, TypeRef
from evomachine.persistence import (
    PersistableExecutor,
    VersionClock,
    VersionNotFoundError,
    parse_version_id,
)
from evomachine.storage import MemoryStorage, SQLiteStorage


def triage_machine() -> MachineData:
    route = Node(name="route", type="Task", attributes={
        "prompt": Attribute(name="prompt", value="Route {{ input.text }}"),
        "output": Attribute(name="output", type=TypeRef(parts=[
            ("literal", "billing"), ("literal", "tech"), ("literal", "sales")])),
        "evolution_stage": Attribute(name="evolution_stage", value="llm_only"),
    })
    nodes = [Node(name="ticket", type="Input"), route,
             Node(name="billing"), Node(name="tech"), Node(name="sales")]
    edges = [Edge(source="ticket", target="route"),
             *(Edge(source="route", target=t, label=t) for t in ("billing", "tech", "sales"))]
    return MachineData(title="Ticket triage", nodes=nodes, edges=edges)


class FakeExecutor:
    """Just enough of an executor for persistence: state in, state out, mutations."""

    def __init__(self, machine_id: str = "ticket-triage") -> None:
        self.machine_id = machine_id
        self.machine = triage_machine()
        self.stages = {"route": "llm_only"}
        self.metrics = {"route": {"execution_count": 0, "success_rate": 1.0}}
        self.code: dict[str, str] = {}
        self.history: list[dict] = []
        self.mutations: list[dict] = []
        self.installed: list[tuple] = []
        self.agreement: float | None = 0.95

    def export_state(self) -> dict:
        return copy.deepcopy({
            "machine": self.machine.model_dump(mode="json"), "stages": self.stages,
            "metrics": self.metrics, "code": self.code, "histories": {"route": self.history},
            "mutations": self.mutations,
        })

    def import_state(self, state: dict) -> None:
        self.machine = MachineData.model_validate(state["machine"])
        self.stages = dict(state["stages"])
        self.metrics = copy.deepcopy(state["metrics"])
        self.code = dict(state["code"])
        self.history = list(state["histories"]["route"])
        self.mutations = list(state["mutations"])

    def record_mutation(self, type: str, data: dict) -> None:
        self.mutations.append({"type": type, "timestamp": 0.0, "data": data})

    def get_task_metrics(self) -> dict:
        return copy.deepcopy(self.metrics)

    def get_mutations(self) -> list[dict]:
        return list(self.mutations)

    async def install_code(self, task: str, code: str, stage: str, source: str) -> dict:
        self.installed.append((task, code, stage, source))
        installed = stage if self.agreement is None or self.agreement >= 0.9 else "hybrid"
        self.code[task] = code
        self.stages[task] = installed
        return {"agreement": self.agreement, "checked": len(self.history),
                "installed_stage": installed}

    def run_some(self, count: int) -> None:
        for index in range(count):
            self.history.append({"input": {"text": f"t{index}"}, "output": "tech"})
        self.metrics["route"]["execution_count"] += count

    def evolve(self, stage: str, code: str) -> None:
        self.record_mutation("task_evolution", {"task": "route", "from_stage": self.stages["route"],
                                                "to_stage": stage})
        self.stages["route"] = stage
        self.code["route"] = code


def test_fake_executor_matches_the_protocol():
    assert isinstance(FakeExecutor(), PersistableExecutor)


class Tick:
    """A settable clock."""

    def __init__(self, now: float = 1_700_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


async def test_save_list_load_with_parent_chain():
    executor, persistence = FakeExecutor(), MachinePersistence(MemoryStorage())
    v1 = await persistence.save_version(executor, "m", {"success_rate": 0.9})
    executor.run_some(5)
    executor.evolve("hybrid", "def execute(i, c): return {'output': 'tech'}")
    v2 = await persistence.save_version(executor, "m", {"success_rate": 0.95})
    v3 = await persistence.save_version(executor, "m")
    versions = await persistence.list_versions("m")
    assert [v.id for v in versions] == [v1, v2, v3] == sorted([v3, v1, v2])
    assert [v.parent for v in versions] == [None, v1, v2]
    assert versions[0].metrics == {"success_rate": 0.9}
    assert versions[1].stages == {"route": "hybrid"}
    assert await persistence.head("m") == v3
    machine = await persistence.load_version("m", v1)
    assert machine == triage_machine()
    snapshot = await persistence.load_snapshot("m", v2)
    assert snapshot["code"]["route"].startswith("def execute")
    assert len(snapshot["histories"]["route"]) == 5
    assert (await persistence.load_version("m")).title == "Ticket triage"  # head


async def test_ids_sort_in_time_order_even_when_the_clock_stalls_or_steps_back():
    clock = Tick()
    persistence = MachinePersistence(MemoryStorage(), clock=clock)
    executor = FakeExecutor()
    ids = [await persistence.save_version(executor, "m")]
    ids.append(await persistence.save_version(executor, "m"))  # same millisecond
    clock.now -= 60  # clock steps back a minute
    ids.append(await persistence.save_version(executor, "m"))
    clock.now += 3600
    ids.append(await persistence.save_version(executor, "m"))
    assert ids == sorted(ids) and len(set(ids)) == 4
    assert [parse_version_id(i)[1] for i in ids[:3]] == [0, 1, 2]


async def test_a_new_persistence_continues_after_a_parent_from_a_faster_clock():
    storage = MemoryStorage()
    fast = MachinePersistence(storage, clock=Tick(2_000_000_000.0))
    slow = MachinePersistence(storage, clock=Tick(1_000_000_000.0))
    first = await fast.save_version(FakeExecutor(), "m")
    second = await slow.save_version(FakeExecutor(), "m")
    assert second > first
    assert (await slow.get_version("m", second)).parent == first


@given(st.lists(st.floats(min_value=0, max_value=4e9, allow_nan=False), min_size=1, max_size=30))
def test_version_clock_is_strictly_increasing(times):
    it = iter(times)
    clock = VersionClock(lambda: next(it))
    ids = [clock.next_id() for _ in times]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)
    assert all(parse_version_id(i) is not None for i in ids)


async def test_machine_ids_that_prefix_each_other_keep_separate_histories():
    persistence = MachinePersistence(MemoryStorage())
    for machine_id in ("a", "a_b", "a/b", "ab"):
        await persistence.save_version(FakeExecutor(machine_id), machine_id)
    await persistence.save_version(FakeExecutor("a"), "a")
    assert len(await persistence.list_versions("a")) == 2
    for machine_id in ("a_b", "a/b", "ab"):
        versions = await persistence.list_versions(machine_id)
        assert [v.machine_id for v in versions] == [machine_id]


async def test_rollback_restores_the_executor_and_records_a_mutation():
    executor, persistence = FakeExecutor(), MachinePersistence(MemoryStorage())
    executor.run_some(3)
    v1 = await persistence.save_version(executor, "m")
    executor.run_some(10)
    executor.evolve("code_first", "code v2")
    executor.machine.find_node("route").attributes["evolution_stage"] = Attribute(
        name="evolution_stage", value="code_first")
    v2 = await persistence.save_version(executor, "m")
    saved_v1 = await persistence.load_snapshot("m", v1)

    info = await persistence.rollback(executor, "m", v1)

    assert info.id == v1
    assert executor.stages == {"route": "llm_only"}
    assert executor.code == {}
    assert len(executor.history) == 3
    assert executor.metrics == saved_v1["metrics"]
    assert executor.machine == triage_machine()
    last = executor.get_mutations()[-1]
    assert last["type"] == "rollback"
    assert last["data"]["to_version"] == v1 and last["data"]["from_version"] == v2
    # The rollback's mutation is kept, older ones are as saved in v1.
    assert [m["type"] for m in executor.get_mutations()] == ["rollback"]
    assert await persistence.head("m") == v1
    v3 = await persistence.save_version(executor, "m")
    assert (await persistence.get_version("m", v3)).parent == v1
    # The stored snapshot was not changed by the executor's later mutations.
    assert await persistence.load_snapshot("m", v1) == saved_v1


async def test_missing_versions_are_clear_errors():
    persistence = MachinePersistence(MemoryStorage())
    with pytest.raises(VersionNotFoundError, match="no saved versions"):
        await persistence.load_version("nope")
    v1 = await persistence.save_version(FakeExecutor(), "m")
    with pytest.raises(VersionNotFoundError, match=f"no version 'zzz'.*known: {v1}"):
        await persistence.rollback(FakeExecutor(), "m", "zzz")
    with pytest.raises(KeyError):
        await persistence.diff("m", v1, "zzz")


async def test_diff_reports_machine_stage_code_and_metric_changes():
    executor, persistence = FakeExecutor(), MachinePersistence(MemoryStorage())
    v1 = await persistence.save_version(executor, "m", {"success_rate": 0.5})
    machine = executor.machine
    machine.nodes.append(Node(name="escalate", type="State"))
    machine.nodes = [n for n in machine.nodes if n.name != "sales"]
    machine.edges = [e for e in machine.edges if e.target != "sales"]
    machine.edges.append(Edge(source="route", target="escalate", label="other"))
    route = machine.find_node("route")
    route.attributes["prompt"] = Attribute(name="prompt", value="Route: {{ input.text }}")
    route.attributes["model"] = Attribute(name="model", value="small")
    del route.attributes["evolution_stage"]
    machine.title = "Triage 2"
    executor.evolve("hybrid", "code")
    v2 = await persistence.save_version(executor, "m", {"success_rate": 0.8})

    diff = await persistence.diff("m", v1, v2)

    assert diff.title.before == "Ticket triage" and diff.title.after == "Triage 2"
    assert diff.nodes_added == ["escalate"] and diff.nodes_removed == ["sales"]
    change = diff.nodes_changed["route"]
    assert change.attributes_added["model"]["value"] == "small"
    assert change.attributes_removed == ["evolution_stage"]
    assert change.attributes_changed["prompt"].after["value"] == "Route: {{ input.text }}"
    assert diff.edges_added == ["route -other-> escalate"]
    assert diff.edges_removed == ["route -sales-> sales"]
    assert diff.stages["route"].before == "llm_only" and diff.stages["route"].after == "hybrid"
    assert diff.code_changed == ["route"]
    assert diff.metrics["success_rate"].after == 0.8
    assert not diff.is_empty
    assert (await persistence.diff("m", v2, v2)).is_empty
    json.dumps(diff.model_dump(mode="json"))  # the page can show it as is


async def test_export_and_import_a_whole_machine():
    source_storage, target_storage = MemoryStorage(), MemoryStorage()
    executor, source = FakeExecutor(), MachinePersistence(source_storage)
    v1 = await source.save_version(executor, "m", {"n": 1})
    executor.evolve("hybrid", "code")
    v2 = await source.save_version(executor, "m", {"n": 2})
    executor.run_some(2)
    text = await source.export_machine("m", executor)

    target = MachinePersistence(target_storage)
    restored = FakeExecutor()
    assert await target.import_machine(text, executor=restored) == "m"
    assert [v.id for v in await target.list_versions("m")] == [v1, v2]
    assert await target.head("m") == v2
    assert restored.export_state() == executor.export_state()
    assert await target.load_snapshot("m", v1) == await source.load_snapshot("m", v1)

    assert await target.import_machine(text, machine_id="copy") == "copy"
    assert [v.machine_id for v in await target.list_versions("copy")] == ["copy", "copy"]


@pytest.mark.parametrize("text, message", [
    ("not json", "not a JSON"),
    ('{"format": "evomachine.patterns"}', "expected a 'evomachine.machine' export"),
    ('{"format": "evomachine.machine", "format_version": 99}', "newer than this build"),
    ('{"format": "evomachine.machine", "machine_id": "m", "versions": [{"info": {}}]}',
     "malformed"),
])
async def test_import_rejects_bad_documents(text, message):
    with pytest.raises(ValueError, match=message):
        await MachinePersistence(MemoryStorage()).import_machine(text)


@pytest.mark.cpython_only
async def test_versions_survive_a_restart_with_sqlite(tmp_path):
    path = tmp_path / "evo.sqlite"
    executor = FakeExecutor()
    storage = SQLiteStorage(path)
    v1 = await MachinePersistence(storage).save_version(executor, "m", {"x": 0})
    await storage.close()
    reopened = MachinePersistence(SQLiteStorage(path))
    assert [v.id for v in await reopened.list_versions("m")] == [v1]
    assert await reopened.load_snapshot("m", v1) == executor.export_state()


async def test_delete_machine_removes_every_version():
    persistence = MachinePersistence(MemoryStorage())
    for _ in range(3):
        await persistence.save_version(FakeExecutor(), "m")
    await persistence.save_version(FakeExecutor("m2"), "m2")
    assert await persistence.delete_machine("m") == 3
    assert await persistence.list_versions("m") == [] and await persistence.head("m") is None
    assert len(await persistence.list_versions("m2")) == 1
