"""create_storage: explicit kinds, the automatic choice and its reason."""

from __future__ import annotations

import logging

import pytest

from evomachine import _compat, create_storage
from evomachine.storage import (
    IndexedDBStorage,
    LocalStorageBackend,
    MemoryStorage,
    SQLiteStorage,
    factory,
)


def test_explicit_kinds():
    assert isinstance(create_storage("memory"), MemoryStorage)
    assert isinstance(create_storage("localStorage"), LocalStorageBackend)
    assert isinstance(create_storage("indexeddb"), IndexedDBStorage)
    assert create_storage("memory").chosen_because == "asked for 'memory'"


@pytest.mark.cpython_only
async def test_sqlite_kind_with_a_path(tmp_path):
    path = tmp_path / "sub" / "evo.sqlite"
    storage = create_storage(f"sqlite:{path}")
    assert isinstance(storage, SQLiteStorage)
    await storage.save("k", [1])
    await storage.close()
    again = create_storage(f"sqlite:{path}")
    assert await again.load("k") == [1]
    assert again.describe()["path"] == str(path)
    await again.close()
    assert create_storage("sqlite:").path == ":memory:"


def test_unknown_kind_names_the_choices():
    with pytest.raises(ValueError, match=r"unknown storage kind 'redis'.*memory.*sqlite:PATH"):
        create_storage("redis")
    with pytest.raises(TypeError):
        create_storage(3)


@pytest.mark.cpython_only  # inside Pyodide the ``js`` module exists
def test_automatic_choice_outside_a_browser_is_memory_with_a_reason(monkeypatch, caplog):
    monkeypatch.delenv(factory.ENV_VAR, raising=False)
    with caplog.at_level(logging.INFO, logger="evomachine.storage"):
        storage = create_storage()
    assert isinstance(storage, MemoryStorage)
    assert "not in a browser" in storage.chosen_because
    assert storage.describe()["chosen_because"] == storage.chosen_because
    assert "memory" in caplog.text


@pytest.mark.cpython_only
def test_environment_variable_sets_the_headless_default(monkeypatch):
    monkeypatch.setenv(factory.ENV_VAR, "memory")
    storage = create_storage()
    assert isinstance(storage, MemoryStorage)
    assert factory.ENV_VAR in storage.chosen_because


class _FakeJs:
    def __init__(self, **globals_):
        self.__dict__.update(globals_)


def pretend_browser(monkeypatch, scope: _FakeJs) -> None:
    """The one door (``evomachine._compat``) reports a browser whose globals are ``scope``."""
    monkeypatch.setattr(_compat, "IN_PYODIDE", True)
    monkeypatch.setattr(_compat, "js_scope", lambda: scope)


@pytest.mark.parametrize(("globals_", "expected", "reason"), [
    ({"indexedDB": object(), "localStorage": None}, IndexedDBStorage, "IndexedDB is available"),
    ({"localStorage": "WEB"}, LocalStorageBackend, "localStorage works"),
    ({}, MemoryStorage, "neither IndexedDB nor localStorage"),
])
def test_automatic_choice_in_a_browser(monkeypatch, globals_, expected, reason):
    from storage_conformance import FakeWebStorage

    if globals_.get("localStorage") == "WEB":
        globals_["localStorage"] = FakeWebStorage()
    pretend_browser(monkeypatch, _FakeJs(**globals_))
    storage = create_storage()
    assert type(storage) is expected
    assert reason in storage.chosen_because


def test_a_local_storage_that_throws_is_skipped(monkeypatch):
    class Throwing:
        def setItem(self, name, value):
            raise RuntimeError("SecurityError")

    pretend_browser(monkeypatch, _FakeJs(localStorage=Throwing()))
    assert isinstance(create_storage(), MemoryStorage)
