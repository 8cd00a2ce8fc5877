"""IndexedDB storage through Pyodide's ``js`` FFI (browser only).

Each known namespace (``KNOWN_NAMESPACES``) is its own object store; any other
namespace lives in the ``_other`` store under the array key ``[namespace, key]``.
Stores are created by migrations keyed by schema version and run in
``onupgradeneeded``. A batch is one ``readwrite`` transaction whose requests are
all issued before the first ``await`` (IndexedDB commits a transaction as soon
as it has nothing pending). When another tab upgrades the schema
(``versionchange``) this connection closes and the next call reopens it.
Every FFI detail lives in ``_jsbridge``.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from typing import Any, ClassVar

from .._compat import js_global
from . import _jsbridge as bridge
from . import keys
from .base import KNOWN_NAMESPACES, Storage, TextOp, Usage
from .errors import StorageError, StorageUnavailableError

logger = logging.getLogger("evomachine.storage")

OTHER_STORE = "_other"


def _create_stores(db: Any, names: Sequence[str]) -> None:
    for name in names:
        if not db.objectStoreNames.contains(name):
            db.createObjectStore(name)


# schema version -> migration(db, upgrade_transaction); run in order from the old version + 1.
MIGRATIONS: dict[int, Callable[[Any, Any], None]] = {
    1: lambda db, tx: _create_stores(db, (*KNOWN_NAMESPACES, OTHER_STORE)),
}
SCHEMA_VERSION = max(MIGRATIONS)


def _successor(prefix: str) -> str | None:
    """The least string above all strings starting with ``prefix`` in JS (UTF-16) order.

    ``None`` when a simple one does not exist (astral or U+FFFF characters at the
    end): the caller then reads without an upper bound and filters.
    """
    if not prefix:
        return None
    last = ord(prefix[-1])
    if last >= 0xD7FF or any(ord(ch) > 0xFFFF for ch in prefix):
        return None
    return prefix[:-1] + chr(last + 1)


class IndexedDBStorage(Storage):
    """Storage in the browser's IndexedDB database ``db_name`` at schema ``version``."""

    backend: ClassVar[str] = "indexeddb"

    def __init__(self, db_name: str = keys.DATABASE, version: int = SCHEMA_VERSION,
                 serializer=None, factory: Any = None) -> None:
        super().__init__(serializer)
        if version not in MIGRATIONS:
            raise ValueError(f"IndexedDB schema version {version} is unknown; this build has "
                             f"migrations for versions {sorted(MIGRATIONS)}")
        self.db_name = db_name
        self.version = version
        self._factory = factory  # an IDBFactory; defaults to js.indexedDB
        self._db: Any = None
        self._db_listeners: bridge.Listeners | None = None
        self._stale = False
        self._opening: asyncio.Future | None = None
        self.blocked = False

    # -- connection ----------------------------------------------------------

    def _idb_factory(self) -> Any:
        if self._factory is None:
            factory = js_global("indexedDB")
            if factory is None:
                raise StorageUnavailableError("IndexedDB is not available here (or null: "
                                              "private browsing?); use create_storage() to "
                                              "fall back", backend=self.backend)
            self._factory = factory
        return self._factory

    async def _database(self) -> Any:
        if self._stale:
            self._drop()
        if self._db is not None:
            return self._db
        if self._opening is not None:  # another coroutine is opening: share its result
            return await asyncio.shield(self._opening)
        self._opening = asyncio.get_event_loop().create_future()
        try:
            db = await self._open()
        except BaseException as error:
            self._opening.set_exception(error)
            self._opening.exception()  # mark retrieved: waiting callers re-raise it
            self._opening = None
            raise
        self._opening.set_result(db)
        self._opening = None
        return db

    async def _open(self) -> Any:
        try:
            request = self._idb_factory().open(self.db_name, self.version)
        except StorageError:
            raise
        except Exception as error:
            raise bridge.translate(error, f"opening {self.db_name}") from error
        failure: list[BaseException] = []

        def upgrade(event: Any) -> None:
            old, new = int(event.oldVersion), int(event.newVersion)
            db, tx = request.result, request.transaction
            try:
                for step in range(old + 1, new + 1):
                    MIGRATIONS[step](db, tx)
                    logger.info("indexeddb %s: migrated to schema %d", self.db_name, step)
            except Exception as error:
                failure.append(error)
                tx.abort()

        def blocked(event: Any) -> None:
            # Another tab holds an older schema open; it closes on its versionchange
            # event (as this code does), and then the open proceeds by itself.
            self.blocked = True
            logger.warning("indexeddb %s: upgrade blocked by another open tab", self.db_name)

        try:
            await bridge.settle(request, f"opening {self.db_name} v{self.version}",
                                done="success", fail=("error",),
                                also={"upgradeneeded": upgrade, "blocked": blocked})
        except StorageError as error:
            if failure:
                raise StorageError(f"migrating {self.db_name}: {failure[0]}",
                                   backend=self.backend) from failure[0]
            raise error
        self.blocked = False
        db = request.result
        listeners = bridge.Listeners(db)
        listeners.on("versionchange", self._on_versionchange)
        listeners.on("close", self._on_close)
        self._db, self._db_listeners, self._stale = db, listeners, False
        return db

    def _on_versionchange(self, event: Any) -> None:
        logger.info("indexeddb %s: another tab wants schema %s; closing", self.db_name,
                    getattr(event, "newVersion", "?"))
        if self._db is not None:
            self._db.close()
        self._stale = True  # proxies are released on the next call, outside this handler

    def _on_close(self, event: Any) -> None:
        logger.warning("indexeddb %s: connection closed by the browser", self.db_name)
        self._stale = True

    def _drop(self) -> None:
        if self._db_listeners is not None:
            self._db_listeners.release()
        self._db, self._db_listeners, self._stale = None, None, False

    async def close(self) -> None:
        if self._db is not None:
            self._db.close()
        self._drop()

    # -- transactions ----------------------------------------------------------

    @staticmethod
    def _store_of(namespace: str) -> str:
        return namespace if namespace in KNOWN_NAMESPACES else OTHER_STORE

    async def _transact(self, stores: Sequence[str], mode: str, what: str,
                        issue: Callable[[Any], list[Any]]) -> list[Any]:
        """Run ``issue(tx)`` (which must only issue requests) in one transaction; the results.

        Retries once when the connection was closed under us (another tab upgraded).
        """
        for attempt in (1, 2):
            db = await self._database()
            try:
                tx = db.transaction(bridge.to_js(sorted(set(stores))), mode)
            except Exception as error:
                if attempt == 1 and bridge.error_name(error) == "InvalidStateError":
                    self._stale = True
                    continue
                raise bridge.translate(error, what) from error
            try:
                requests = issue(tx)
            except Exception as error:
                tx.abort()
                raise bridge.translate(error, what) from error
            await bridge.settle(tx, what, done="complete", fail=("abort", "error"))
            return [bridge.to_py(request.result) for request in requests]
        raise StorageError(f"{what}: the database kept closing", backend=self.backend)

    def _range(self, namespace: str, prefix: str) -> Any:
        key_range = js_global("IDBKeyRange")
        upper = _successor(prefix)
        if namespace in KNOWN_NAMESPACES:
            if upper is None:
                return key_range.lowerBound(prefix) if prefix else None
            return key_range.bound(prefix, upper, False, True)
        # Arrays sort after strings, so [ns, []] is above every [ns, <string>].
        high = bridge.to_js([namespace, upper] if upper is not None else [namespace, []])
        return key_range.bound(bridge.to_js([namespace, prefix]), high, False, True)

    def _key(self, namespace: str, key: str) -> Any:
        return key if namespace in KNOWN_NAMESPACES else bridge.to_js([namespace, key])

    @staticmethod
    def _plain_key(namespace: str, raw: Any) -> str:
        return raw if namespace in KNOWN_NAMESPACES else raw[1]

    # -- the five text-level methods -----------------------------------------

    async def read(self, namespace: str, key: str) -> str | None:
        store = self._store_of(namespace)
        (text,) = await self._transact(
            [store], "readonly", f"reading {namespace}/{key}",
            lambda tx: [tx.objectStore(store).get(self._key(namespace, key))])
        return text if isinstance(text, str) else None

    async def scan(self, namespace: str, prefix: str) -> list[str]:
        store = self._store_of(namespace)
        key_range = self._range(namespace, prefix)
        (raw,) = await self._transact(
            [store], "readonly", f"listing {namespace}/{prefix}*",
            lambda tx: [tx.objectStore(store).getAllKeys(key_range)])
        return [self._plain_key(namespace, k) for k in raw or []]

    async def read_prefix(self, namespace: str, prefix: str) -> dict[str, str]:
        store = self._store_of(namespace)
        key_range = self._range(namespace, prefix)

        def issue(tx: Any) -> list[Any]:
            object_store = tx.objectStore(store)
            return [object_store.getAllKeys(key_range), object_store.getAll(key_range)]

        raw_keys, texts = await self._transact([store], "readonly",
                                               f"reading {namespace}/{prefix}*", issue)
        return {self._plain_key(namespace, k): t for k, t in zip(raw_keys or [], texts or [],
                                                                   strict=True)}

    def _issue_writes(self, tx: Any, ops: Sequence[TextOp]) -> None:
        for namespace, key, text in ops:
            object_store = tx.objectStore(self._store_of(namespace))
            if text is None:
                object_store.delete(self._key(namespace, key))
            else:
                object_store.put(text, self._key(namespace, key))

    async def write(self, ops: Sequence[TextOp]) -> None:
        stores = {self._store_of(ns) for ns, _, _ in ops}

        def issue(tx: Any) -> list[Any]:
            self._issue_writes(tx, ops)
            return []

        await self._transact(sorted(stores), "readwrite", f"writing a batch of {len(ops)}", issue)

    async def write_batch_if(self, guard: tuple[str, str], expected: Any, ops: Any) -> bool:
        """Compare-and-set in one ``readwrite`` transaction: atomic across tabs.

        The guard is read first; its ``success`` handler, still inside the
        transaction, issues the writes or aborts it.
        """
        text_ops = self.text_ops(ops)
        namespace, key = guard
        store = self._store_of(namespace)
        stores = {store} | {self._store_of(ns) for ns, _, _ in text_ops}
        outcome: dict[str, Any] = {}
        handlers: list[bridge.Listeners] = []

        def issue(tx: Any) -> list[Any]:
            request = tx.objectStore(store).get(self._key(namespace, key))

            def compared(event: Any) -> None:
                try:
                    text = bridge.to_py(request.result)
                    outcome["held"] = self.guard_holds(text if isinstance(text, str) else None,
                                                       expected)
                    if outcome["held"]:
                        self._issue_writes(tx, text_ops)
                    else:
                        tx.abort()
                except Exception as error:  # surfaced after the transaction ends
                    outcome["error"] = error
                    tx.abort()

            listeners = bridge.Listeners(request)
            listeners.on("success", compared)
            handlers.append(listeners)
            return []

        what = f"writing a guarded batch of {len(text_ops)}"
        try:
            await self._transact(sorted(stores), "readwrite", what, issue)
        except StorageError:
            if "error" in outcome:
                raise bridge.translate(outcome["error"], what) from outcome["error"]
            if outcome.get("held") is False:
                return False
            raise
        finally:
            for listeners in handlers:
                listeners.release()
        return True

    async def wipe(self, namespace: str | None) -> None:
        if namespace is None:
            stores = [*KNOWN_NAMESPACES, OTHER_STORE]

            def issue(tx: Any) -> list[Any]:
                for name in stores:
                    tx.objectStore(name).clear()
                return []
        else:
            store = self._store_of(namespace)
            stores = [store]
            if namespace in KNOWN_NAMESPACES:
                def issue(tx: Any) -> list[Any]:
                    tx.objectStore(store).clear()
                    return []
            else:
                key_range = self._range(namespace, "")

                def issue(tx: Any) -> list[Any]:
                    tx.objectStore(store).delete(key_range)
                    return []
        await self._transact(stores, "readwrite", f"clearing {namespace or 'everything'}", issue)

    async def measure(self) -> Usage:
        stores = [*KNOWN_NAMESPACES, OTHER_STORE]

        def issue(tx: Any) -> list[Any]:
            return [tx.objectStore(name).getAll() for name in stores]

        size = entries = 0
        for texts in await self._transact(stores, "readonly", "measuring", issue):
            for text in texts or []:
                entries += 1
                size += 2 * len(text)  # JS strings are UTF-16
        return Usage(self.backend, size, entries, await self._quota())

    async def _quota(self) -> int | None:
        try:
            estimate = await js_global("navigator").storage.estimate()
            return int(estimate.quota)
        except Exception:  # no StorageManager (older browsers, insecure origins)
            return None

    def describe(self) -> dict[str, Any]:
        return {**super().describe(), "db_name": self.db_name, "version": self.version,
                "open": self._db is not None, "blocked": self.blocked}
