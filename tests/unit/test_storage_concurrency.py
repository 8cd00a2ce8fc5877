"""Two writers of one machine never overwrite each other silently.

``Storage.write_batch_if`` is a compare-and-set; the executor's flush uses it on
the machine's revision, so a writer that did not build on the stored state
writes nothing and gets ``StateConflictError``; restoring follows the other.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from storage_conformance import FakeWebStorage
from test_evolution_stages import MAPPING, TRIAGE, MappingLLM, records

from aio import gather, run
from evomachine.dsl import parse_machine
from evomachine.evolution import EvolutionaryExecutor
from evomachine.evolution.snapshot import StateConflictError, stored_revision
from evomachine.storage import LocalStorageBackend, MemoryStorage, SQLiteStorage

GUARD = ("meta", "rev")


def _memory(tmp_path):
    return MemoryStorage


def _localstorage(tmp_path):
    shared = FakeWebStorage()
    return lambda: LocalStorageBackend(prefix="cas:", web_storage=shared)


def _sqlite(tmp_path):
    # Every call opens its own connection to one file: two "processes" on one database.
    return lambda: SQLiteStorage(tmp_path / "shared.sqlite")


BACKENDS = [
    pytest.param(_memory, id="memory"),
    pytest.param(_localstorage, id="localstorage-fake"),
    pytest.param(_sqlite, id="sqlite", marks=pytest.mark.cpython_only),
]


class _Turn:
    """Give the other writer a turn (a bare yield: asyncio and ``aio.gather`` both accept it)."""

    def __await__(self):
        yield


def _shared(factory):
    """Two handles on one store: the same object for memory, two connections for SQLite."""
    first = factory()
    second = first if isinstance(first, MemoryStorage) else factory()
    return first, second


@pytest.mark.parametrize("backend", BACKENDS)
async def test_write_batch_if_writes_only_when_the_guard_holds(backend, tmp_path):
    storage = backend(tmp_path)()
    assert await storage.write_batch_if(GUARD, None, [(*GUARD, 1), ("state", "m", {"n": 1})])
    assert not await storage.write_batch_if(GUARD, None, [(*GUARD, 2), ("state", "m", {"n": 2})])
    assert not await storage.write_batch_if(GUARD, 7, [(*GUARD, 2), ("state", "other", 0)])
    assert await storage.get("state", "m") == {"n": 1} and not await storage.has("state", "other")
    assert await storage.write_batch_if(GUARD, 1, [(*GUARD, 2), ("state", "m", {"n": 2})])
    assert await storage.get(*GUARD) == 2 and await storage.get("state", "m") == {"n": 2}


@pytest.mark.parametrize("backend", BACKENDS)
async def test_write_batch_if_with_a_bad_value_writes_nothing(backend, tmp_path):
    storage = backend(tmp_path)()
    with pytest.raises(TypeError):
        await storage.write_batch_if(GUARD, None, [(*GUARD, 1), ("state", "m", object())])
    assert await storage.keys("meta") == [] and await storage.keys("state") == []


@pytest.mark.parametrize("backend", BACKENDS)
async def test_two_writers_incrementing_with_retry_lose_no_increment(backend, tmp_path):
    first, second = _shared(backend(tmp_path))

    async def writer(storage, name: str, times: int) -> int:
        conflicts = 0
        for index in range(times):
            while True:
                current = await storage.get(*GUARD)
                new = (current or 0) + 1
                await _Turn()  # the other writer may write between our read and our write
                if await storage.write_batch_if(GUARD, current,
                                                [(*GUARD, new), ("state", f"{name}{index}", new)]):
                    break
                conflicts += 1
        return conflicts

    conflicts = await gather(writer(first, "a", 40), writer(second, "b", 40))
    assert sum(conflicts) > 0  # they did interleave
    assert await first.get(*GUARD) == 80
    # every accepted write saw a distinct counter value: none was overwritten
    values = [v for _, v in await first.items("state")]
    assert sorted(values) == list(range(1, 81))


@pytest.mark.cpython_only
async def test_sqlite_compare_and_set_holds_against_a_raw_writer_in_between(tmp_path):
    import sqlite3

    path = tmp_path / "race.sqlite"
    storage = SQLiteStorage(path)
    await storage.put(*GUARD, 1)
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("UPDATE kv SET value = '2' WHERE namespace = 'meta' AND key = 'rev'")
    other.close()
    assert not await storage.write_batch_if(GUARD, 1, [(*GUARD, 3)])
    assert await storage.get(*GUARD) == 2


# --- executors ---------------------------------------------------------------------


def executor(storage: Any, **options: Any) -> EvolutionaryExecutor:
    return EvolutionaryExecutor(parse_machine(TRIAGE % "llm_only"), {}, storage,
                                llm=MappingLLM(MAPPING), inputs=records(600), seed=3,
                                persist_every=10_000, **options)


async def restored(storage: Any) -> EvolutionaryExecutor:
    return await EvolutionaryExecutor.restore(storage, "ticket-triage", llm=MappingLLM(MAPPING),
                                              inputs=records(600), persist_every=10_000)


def executions(state: dict[str, Any]) -> int:
    return state["tasks"]["route"]["metrics"]["execution_count"]


async def test_a_stale_executor_cannot_overwrite_the_other_writers_state():
    storage = MemoryStorage()
    origin = executor(storage)
    await origin.run(max_steps=30)
    await origin.flush()
    tab_a, tab_b = await restored(storage), await restored(storage)
    await tab_a.run(max_steps=60)
    await tab_a.flush()
    saved = await storage.get("state", "ticket-triage")
    await tab_b.run(max_steps=90)
    with pytest.raises(StateConflictError, match="saved by another writer") as caught:
        await tab_b.flush()
    assert caught.value.stored == saved["revision"]
    assert await storage.get("state", "ticket-triage") == saved  # nothing of tab B landed
    # tab B follows tab A, runs its steps again, and both runs are counted
    tab_b = await restored(storage)
    await tab_b.run(max_steps=90)
    await tab_b.flush()
    final = await storage.get("state", "ticket-triage")
    assert final["run"]["step_count"] == 30 + 60 + 90
    assert executions(final) == (30 + 60 + 90) // 3
    assert (await stored_revision(storage, "ticket-triage"))["revision"] == 3


async def test_a_fresh_executor_takes_over_what_is_stored_on_purpose():
    storage = MemoryStorage()
    old = executor(storage)
    await old.run(max_steps=30)
    await old.flush()
    fresh = executor(storage)  # "load the machine again": starts afresh, replaces the state
    await fresh.run(max_steps=6)
    await fresh.flush()
    assert (await storage.get("state", "ticket-triage"))["run"]["step_count"] == 6
    with pytest.raises(StateConflictError):
        await old.flush()  # and the old writer is told, not silently obeyed


async def test_restore_of_a_state_saved_before_revisions_keeps_working():
    storage = MemoryStorage()
    ex = executor(storage)
    await ex.run(max_steps=9)
    await ex.flush()
    document = await storage.get("state", "ticket-triage")
    document.pop("revision")
    await storage.write_batch([("state", "ticket-triage", document)])
    await storage.remove("meta", "revision/ticket-triage")
    back = await restored(storage)
    await back.run(max_steps=3)
    await back.flush()
    assert (await storage.get("state", "ticket-triage"))["run"]["step_count"] == 12


@settings(max_examples=15, deadline=None)
@given(turns=st.lists(st.tuples(st.sampled_from("ab"), st.integers(1, 4)), min_size=1,
                      max_size=8))
def test_any_interleaving_of_two_writers_counts_every_accepted_step(turns):
    """Each turn, one writer runs 3*k steps and flushes; on conflict it follows and redoes them."""

    async def scenario() -> None:
        storage = LocalStorageBackend(web_storage=FakeWebStorage())
        seed = executor(storage)
        await seed.flush()
        writers = {"a": await restored(storage), "b": await restored(storage)}
        total = 0
        for name, k in turns:
            await writers[name].run(max_steps=3 * k)
            try:
                await writers[name].flush()
            except StateConflictError:
                writers[name] = await restored(storage)
                await writers[name].run(max_steps=3 * k)
                await writers[name].flush()
            total += 3 * k
        final = await storage.get("state", "ticket-triage")
        assert final["run"]["step_count"] == total
        assert executions(final) == total // 3

    run(scenario())
