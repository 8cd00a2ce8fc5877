"""Every backend that runs here passes the same conformance checks."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from storage_conformance import CHECKS, FakeWebStorage, same

from aio import run
from evomachine.storage import LocalStorageBackend, MemoryStorage, SQLiteStorage


def _memory_factory(tmp_path):
    return MemoryStorage


def _sqlite_factory(tmp_path):
    counter = iter(range(1000))
    return lambda: SQLiteStorage(tmp_path / f"db{next(counter)}.sqlite")


def _localstorage_factory(tmp_path):
    shared = FakeWebStorage()
    return lambda: LocalStorageBackend(prefix="test:", web_storage=shared)


BACKENDS = [
    pytest.param(_memory_factory, id="memory"),
    pytest.param(_sqlite_factory, id="sqlite", marks=pytest.mark.cpython_only),
    pytest.param(_localstorage_factory, id="localstorage-fake"),
]


@pytest.mark.parametrize("check", CHECKS, ids=[c.__name__.removeprefix("check_") for c in CHECKS])
@pytest.mark.parametrize("backend", BACKENDS)
async def test_conformance(backend, check, tmp_path):
    await check(backend(tmp_path))


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.text(max_size=6), children, max_size=4),
    max_leaves=12,
)


@settings(max_examples=60, deadline=None)
@given(key=st.text(max_size=12), value=json_values)
def test_any_json_value_reads_back_exactly_in_memory_and_fake_localstorage(key, value):
    for storage in (MemoryStorage(), LocalStorageBackend(web_storage=FakeWebStorage())):
        run(storage.put("default", key, value))
        assert same(run(storage.get("default", key)), value)
        assert run(storage.keys("default")) == [key]


@pytest.mark.cpython_only
@settings(max_examples=40, deadline=None)
@given(keys=st.lists(st.text(max_size=6), max_size=8, unique=True), prefix=st.text(max_size=3))
def test_sqlite_prefix_listing_matches_startswith(keys, prefix):
    storage = SQLiteStorage(":memory:")
    run(storage.write_batch([("ns", k, i) for i, k in enumerate(keys)]))
    assert run(storage.keys("ns", prefix)) == sorted(k for k in keys if k.startswith(prefix))
    found = run(storage.items("ns", prefix))
    assert [k for k, _ in found] == sorted(k for k in keys if k.startswith(prefix))
    assert json.dumps([v for _, v in found]) == json.dumps(
        [keys.index(k) for k in sorted(k for k in keys if k.startswith(prefix))])
