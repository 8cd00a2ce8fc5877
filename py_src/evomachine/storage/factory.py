"""``create_storage``: pick a backend explicitly, or the best one this runtime has."""

from __future__ import annotations

import logging
import os

from .. import _compat
from .._compat import js_global
from . import keys
from .base import Storage
from .indexeddb import IndexedDBStorage
from .localstorage import LocalStorageBackend
from .memory import MemoryStorage
from .sqlite import SQLiteStorage

logger = logging.getLogger("evomachine.storage")

KINDS = ("memory", "localstorage", "indexeddb", "sqlite:PATH")
ENV_VAR = "EVOMACHINE_STORAGE"
PAGE_STORAGE = keys.PAGE_STORAGE_GLOBAL  # set in the engine Worker when it relays localStorage


def _local_storage_works(store) -> bool:
    probe = keys.PROBE_KEY
    try:
        store.setItem(probe, "1")
        store.removeItem(probe)
    except Exception:
        return False
    return True


def _web_storage() -> tuple[object | None, str]:
    """A working Web Storage and where it is: the page's own ``localStorage``, or in the
    engine Worker (which has none) ``evomachinePageStorage``, the page's entries kept in
    step with the page by ``web/engine-worker.mjs``. ``(None, "")`` when neither works.
    """
    local = js_global("localStorage")
    if local is not None and _local_storage_works(local):
        return local, "localStorage works"
    relayed = js_global(PAGE_STORAGE)
    if relayed is not None and _local_storage_works(relayed):
        return relayed, "the page's localStorage works (reached through the page)"
    return None, ""


def _auto() -> tuple[Storage, str]:
    if not _compat.IN_PYODIDE:
        setting = os.environ.get(ENV_VAR)
        if setting:
            return _explicit(setting), f"{ENV_VAR}={setting!r}"
        return MemoryStorage(), (
            "not in a browser and no storage configured; use create_storage('sqlite:PATH') "
            f"or set {ENV_VAR} to keep data")
    if js_global("indexedDB") is not None:
        return IndexedDBStorage(), "IndexedDB is available in this browser"
    local, where = _web_storage()
    if local is not None:
        return LocalStorageBackend(web_storage=local), f"no IndexedDB here; {where}"
    return MemoryStorage(), "neither IndexedDB nor localStorage works here; data lasts until reload"


def _explicit(kind: str) -> Storage:
    name = kind.strip()
    lowered = name.lower()
    if lowered == "memory":
        return MemoryStorage()
    if lowered == "localstorage":
        local = _web_storage()[0] if _compat.IN_PYODIDE else None
        return LocalStorageBackend(web_storage=local)  # None: js.localStorage on first use
    if lowered == "indexeddb":
        return IndexedDBStorage()
    if lowered.startswith("sqlite:") or lowered == "sqlite":
        path = name.partition(":")[2] or ":memory:"
        return SQLiteStorage(path)
    raise ValueError(f"unknown storage kind {kind!r}; use one of {', '.join(KINDS)}")


def create_storage(kind: str | None = None) -> Storage:
    """A storage backend: ``kind`` names it, or ``None`` picks IndexedDB, then localStorage,
    then memory. ``storage.chosen_because`` says why; the choice is also logged.
    """
    if kind is None:
        storage, reason = _auto()
    else:
        if not isinstance(kind, str):
            raise TypeError(f"create_storage kind must be a str or None, got {kind!r}")
        storage, reason = _explicit(kind), f"asked for {kind!r}"
    storage.chosen_because = reason
    logger.info("storage: %s (%s)", storage.backend, reason)
    return storage


__all__ = ["KINDS", "create_storage"]
