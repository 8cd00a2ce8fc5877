"""IndexedDBStorage against a fake IndexedDB and a fake Pyodide FFI.

The fake follows the parts of the IndexedDB spec the backend relies on: events
fire later on the event loop, a transaction accepts requests only until control
returns to the loop and then commits (or aborts as a whole on a failed
request), array keys sort after string keys, strings compare by UTF-16 code
units, an upgrade with other connections open sends them ``versionchange`` and
is ``blocked`` until they close. The real thing runs in Chromium (e2e layer).
"""

from __future__ import annotations

import asyncio
import sys
import types

import pytest
from storage_conformance import CHECKS

from evomachine import _compat
from evomachine.storage import (
    IndexedDBStorage,
    StorageQuotaError,
    StorageVersionError,
    indexeddb,
)

pytestmark = pytest.mark.needs_event_loop


class DOMException(Exception):
    def __init__(self, name: str, message: str = "") -> None:
        super().__init__(f"{name}: {message}")
        self.name, self.message = name, message


class JsArray(list):
    def to_py(self) -> list:
        return [v.to_py() if isinstance(v, JsArray) else v for v in self]


class Proxy:
    live: int = 0

    def __init__(self, fn) -> None:
        self.fn, self.destroyed = fn, False
        Proxy.live += 1

    def __call__(self, *args):
        assert not self.destroyed, "a destroyed proxy was called"
        return self.fn(*args)

    def destroy(self) -> None:
        assert not self.destroyed, "proxy destroyed twice"
        self.destroyed = True
        Proxy.live -= 1


def to_js(value):
    return JsArray(to_js(v) for v in value) if isinstance(value, list) else value


def sort_key(key) -> tuple:
    if isinstance(key, str):
        return (1, key.encode("utf-16-be", "surrogatepass"))
    if isinstance(key, list):
        return (2, tuple(sort_key(k) for k in key))
    raise DOMException("DataError", f"not a valid key: {key!r}")


def frozen(key):
    return tuple(frozen(k) for k in key) if isinstance(key, list) else key


def thawed(key):
    return JsArray(thawed(k) for k in key) if isinstance(key, tuple) else key


class KeyRange:
    def __init__(self, lower, upper, lower_open=False, upper_open=False) -> None:
        self.lower, self.upper = lower, upper
        self.lower_open, self.upper_open = lower_open, upper_open

    @staticmethod
    def bound(lower, upper, lower_open=False, upper_open=False):
        return KeyRange(lower, upper, lower_open, upper_open)

    @staticmethod
    def lowerBound(lower, lower_open=False):
        return KeyRange(lower, None, lower_open)

    def includes(self, key) -> bool:
        k = sort_key(key)
        if self.lower is not None:
            low = sort_key(self.lower)
            if k < low or (self.lower_open and k == low):
                return False
        if self.upper is not None:
            high = sort_key(self.upper)
            if k > high or (self.upper_open and k == high):
                return False
        return True


def fire(source, kind: str, **fields) -> None:
    """Dispatch event ``kind`` at ``source`` (``target=`` overrides, as for a bubbled error)."""
    event = types.SimpleNamespace(**{"type": kind, "target": source, **fields})
    handler = getattr(source, "on" + kind, None)
    if handler is not None:
        handler(event)


def later(fn, *args) -> None:
    asyncio.get_event_loop().call_soon(fn, *args)


class Request:
    def __init__(self, transaction=None) -> None:
        self.result = None
        self.error = None
        self.transaction = transaction
        self.onsuccess = self.onerror = None


class Store:
    def __init__(self, tx: Transaction, name: str) -> None:
        self.tx, self.name = tx, name

    def _request(self, operation) -> Request:
        if not self.tx.active:
            raise DOMException("TransactionInactiveError", "the transaction has finished")
        request = Request(self.tx)
        self.tx.queue.append((request, operation))
        return request

    def _data(self) -> dict:
        return self.tx.working[self.name]

    def _select(self, key_range):
        data = self._data()
        keys = sorted(data, key=lambda k: sort_key(thawed(k)))
        return [k for k in keys if key_range is None or key_range.includes(thawed(k))]

    def get(self, key):
        return self._request(lambda: self._data().get(frozen(key)))

    def getAll(self, key_range=None):
        return self._request(lambda: JsArray(self._data()[k] for k in self._select(key_range)))

    def getAllKeys(self, key_range=None):
        return self._request(lambda: JsArray(thawed(k) for k in self._select(key_range)))

    def put(self, value, key):
        self.tx.require_write()
        sort_key(key)

        def run():
            self._data()[frozen(key)] = value
            self.tx.factory.check_quota(self.tx.working)
        return self._request(run)

    def delete(self, key_or_range):
        self.tx.require_write()

        def run():
            if isinstance(key_or_range, KeyRange):
                for k in self._select(key_or_range):
                    del self._data()[k]
            else:
                self._data().pop(frozen(key_or_range), None)
        return self._request(run)

    def clear(self):
        self.tx.require_write()
        return self._request(lambda: self._data().clear())


class Transaction:
    def __init__(self, connection: Connection, names: list[str], mode: str) -> None:
        self.connection, self.factory = connection, connection.factory
        self.names, self.mode = names, mode
        self.active, self.queue = True, []
        self.error = None
        self.oncomplete = self.onerror = self.onabort = None
        self.working: dict[str, dict] = {}
        later(self._run)

    def require_write(self) -> None:
        if self.mode == "readonly":
            raise DOMException("ReadOnlyError", "readonly transaction")

    def objectStore(self, name: str) -> Store:
        if name not in self.names:
            raise DOMException("NotFoundError", f"store {name} not in this transaction")
        return Store(self, name)

    def abort(self) -> None:
        self.active = False
        self.queue = []
        self.error = self.error or DOMException("AbortError", "aborted")
        later(fire, self, "abort")

    def _run(self) -> None:
        self.active = False  # control went back to the loop: no more requests
        # Transactions run one at a time, in order: a copy commits or is dropped whole.
        self.working = {n: dict(self.connection.data.stores[n]) for n in self.names}
        for request, operation in self.queue:
            try:
                request.result = operation()
            except DOMException as error:
                request.error = self.error = error
                fire(request, "error")
                fire(self, "error", target=request)
                fire(self, "abort")
                return
            fire(request, "success")
        if self.mode != "readonly":
            self.connection.data.stores.update(self.working)
        fire(self, "complete")


class StoreNames:
    def __init__(self, stores: dict) -> None:
        self.stores = stores

    def contains(self, name: str) -> bool:
        return name in self.stores


class DatabaseData:
    def __init__(self) -> None:
        self.version = 0
        self.stores: dict[str, dict] = {}


class Connection:
    def __init__(self, factory: Factory, data: DatabaseData) -> None:
        self.factory, self.data, self.closed = factory, data, False
        self.onversionchange = self.onclose = None
        self.objectStoreNames = StoreNames(data.stores)

    def createObjectStore(self, name: str) -> None:
        self.data.stores[name] = {}

    def transaction(self, names, mode: str = "readonly") -> Transaction:
        if self.closed:
            raise DOMException("InvalidStateError", "the connection is closed")
        names = [names] if isinstance(names, str) else list(names)
        for name in names:
            if name not in self.data.stores:
                raise DOMException("NotFoundError", f"no object store {name}")
        return Transaction(self, names, mode)

    def close(self) -> None:
        self.closed = True
        self.factory.connection_closed()


class Factory:
    """``indexedDB``: databases by name, a quota in characters, open connections."""

    def __init__(self, quota: int = 50_000_000) -> None:
        self.quota = quota
        self.databases: dict[str, DatabaseData] = {}
        self.connections: list[Connection] = []
        self.waiting: list = []

    def check_quota(self, working: dict) -> None:
        used = sum(len(v) for data in self.databases.values() for s in data.stores.values()
                   for v in s.values())
        used += sum(len(v) for s in working.values() for v in s.values())
        if used > self.quota:
            raise DOMException("QuotaExceededError", "the quota has been exceeded")

    def open(self, name: str, version: int) -> Request:
        request = Request()
        request.onupgradeneeded = request.onblocked = None
        later(self._open, request, name, version, False)
        return request

    def connection_closed(self) -> None:
        waiting, self.waiting = self.waiting, []
        for args in waiting:
            later(self._open, *args)

    def _open(self, request: Request, name: str, version: int, blocked: bool) -> None:
        data = self.databases.setdefault(name, DatabaseData())
        if version < data.version:
            request.error = DOMException("VersionError", f"{name} is at {data.version}")
            fire(request, "error")
            return
        if version > data.version:
            others = [c for c in self.connections if c.data is data and not c.closed]
            if others and not blocked:
                for connection in others:
                    fire(connection, "versionchange", oldVersion=data.version, newVersion=version)
            if any(not c.closed for c in others):
                if not blocked:
                    fire(request, "blocked")
                self.waiting.append((request, name, version, True))
                return
            connection = Connection(self, data)
            old, data.version = data.version, version
            upgrade = Transaction.__new__(Transaction)
            upgrade.active, upgrade.error = True, None
            upgrade.abort = lambda: setattr(upgrade, "error", DOMException("AbortError"))
            request.result, request.transaction = connection, upgrade
            fire(request, "upgradeneeded", oldVersion=old, newVersion=version)
            if upgrade.error is not None:
                data.version = old
                request.error = upgrade.error
                fire(request, "error")
                return
        else:
            connection = Connection(self, data)
            request.result = connection
        self.connections.append(connection)
        fire(request, "success")


@pytest.fixture
def fake_browser(monkeypatch):
    factory = Factory()
    js = types.ModuleType("js")
    js.indexedDB = factory
    js.IDBKeyRange = KeyRange
    ffi = types.ModuleType("pyodide.ffi")
    ffi.create_proxy, ffi.to_js = Proxy, to_js
    pyodide = types.ModuleType("pyodide")
    pyodide.ffi = ffi
    for name, module in (("js", js), ("pyodide", pyodide), ("pyodide.ffi", ffi)):
        monkeypatch.setitem(sys.modules, name, module)
    monkeypatch.setattr(_compat, "IN_PYODIDE", True)  # the one door now says: browser
    Proxy.live = 0
    return factory


@pytest.mark.parametrize("check", CHECKS, ids=[c.__name__.removeprefix("check_") for c in CHECKS])
async def test_conformance_on_fake_indexeddb(fake_browser, check):
    await check(lambda: IndexedDBStorage("conformance"))
    assert Proxy.live == 0, "every proxy must be destroyed once the storage is closed"


async def test_namespaces_map_to_object_stores(fake_browser):
    storage = IndexedDBStorage()
    await storage.put("state", "k", 1)
    await storage.put("custom", "k", 2)
    stores = fake_browser.databases["evomachine"].stores
    assert stores["state"] == {"k": "1"}
    assert stores["_other"] == {("custom", "k"): "2"}
    assert storage.describe()["open"] is True
    await storage.close()


async def test_a_full_quota_aborts_the_whole_batch(fake_browser):
    storage = IndexedDBStorage()
    await storage.put("state", "a", "old")
    fake_browser.quota = 100
    with pytest.raises(StorageQuotaError, match="nothing was written"):
        await storage.write_batch([("state", "a", "new"), ("state", "b", "x" * 200)])
    assert await storage.get("state", "a") == "old"
    assert await storage.keys("state") == ["a"]
    await storage.close()
    assert Proxy.live == 0


async def test_an_upgrade_in_another_tab_closes_this_connection_which_then_says_why(
        fake_browser, monkeypatch):
    old_tab = IndexedDBStorage(version=1)
    await old_tab.put("state", "k", "v1 data")
    created = []
    monkeypatch.setitem(indexeddb.MIGRATIONS, 2, lambda db, tx: (
        db.createObjectStore("extra"), created.append(2)))
    new_tab = IndexedDBStorage(version=2)
    assert await new_tab.get("state", "k") == "v1 data"  # not blocked: the old tab closed
    assert created == [2] and "extra" in fake_browser.databases["evomachine"].stores
    with pytest.raises(StorageVersionError, match="reload this tab"):
        await old_tab.get("state", "k")
    await new_tab.close()
    await old_tab.close()
    assert Proxy.live == 0


async def test_a_tab_that_does_not_close_blocks_the_upgrade_until_it_does(
        fake_browser, monkeypatch):
    stubborn = IndexedDBStorage(version=1)
    await stubborn.put("state", "k", 1)
    monkeypatch.setattr(stubborn, "_on_versionchange", lambda event: None)
    stubborn._db_listeners.release()  # reinstall the ignoring handler
    stubborn._db.onversionchange = None
    monkeypatch.setitem(indexeddb.MIGRATIONS, 2, lambda db, tx: None)
    upgrading = IndexedDBStorage(version=2)
    task = asyncio.ensure_future(upgrading.get("state", "k"))
    for _ in range(5):
        await asyncio.sleep(0)
    assert upgrading.blocked and not task.done()
    stubborn._db.close()
    assert await task == 1
    assert not upgrading.blocked
    await upgrading.close()


async def test_a_failing_migration_is_reported_and_leaves_the_version(fake_browser, monkeypatch):
    def broken(db, tx):
        raise RuntimeError("bad migration")

    monkeypatch.setitem(indexeddb.MIGRATIONS, 1, broken)
    with pytest.raises(Exception, match="bad migration"):
        await IndexedDBStorage().get("state", "k")
    assert fake_browser.databases["evomachine"].version == 0
    assert Proxy.live == 0


async def test_concurrent_first_calls_share_one_connection(fake_browser):
    storage = IndexedDBStorage()
    await asyncio.gather(*(storage.put("state", str(i), i) for i in range(5)))
    assert len(fake_browser.connections) == 1
    assert await storage.keys("state") == ["0", "1", "2", "3", "4"]
    await storage.close()


def test_unknown_schema_versions_are_refused():
    with pytest.raises(ValueError, match="schema version 7 is unknown"):
        IndexedDBStorage(version=7)


def test_prefix_successor_in_utf16_order():
    assert indexeddb._successor("ab") == "ac"
    assert indexeddb._successor("") is None
    assert indexeddb._successor("a\uffff") is None
    assert indexeddb._successor("🔑") is None


def test_no_browser_means_a_clear_error():
    storage = IndexedDBStorage()
    with pytest.raises(Exception, match="IndexedDB is not available"):
        asyncio.run(storage.get("state", "k"))


async def test_no_proxy_leaks_across_many_operations(fake_browser):
    storage = IndexedDBStorage()
    for index in range(20):
        await storage.put("state", f"k{index}", index)
        await storage.items("state", "k1")
    live_while_open = Proxy.live
    assert live_while_open == 2  # onversionchange and onclose on the open connection
    await storage.close()
    assert Proxy.live == 0

