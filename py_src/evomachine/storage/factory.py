"""``create_storage``: pick a backend explicitly, or the best one this runtime has."""

from __future__ import annotations

import logging
import os
import sys

from ._jsbridge import is_js_null
from .base import Storage
from .indexeddb import IndexedDBStorage
from .localstorage import LocalStorageBackend
from .memory import MemoryStorage
from .sqlite import SQLiteStorage

logger = logging.getLogger("evomachine.storage")

KINDS = ("memory", "localstorage", "indexeddb", "sqlite:PATH")
ENV_VAR = "EVOMACHINE_STORAGE"
PAGE_STORAGE = "evomachinePageStorage"  # set in the engine Worker when it relays localStorage


def _browser_globals():
    """The ``js`` module inside Pyodide, else ``None`` (never imported in CPython)."""
    if sys.platform != "emscripten":
        return None
    try:
        import js  # browser only
    except ImportError:
        return None
    return js


def _present(js, name: str):
    try:
        value = getattr(js, name, None)
    except Exception:  # a getter can throw (SecurityError in sandboxed frames)
        return None
    return None if is_js_null(value) else value


def _local_storage_works(store) -> bool:
    probe = "evomachine:probe"
    try:
        store.setItem(probe, "1")
        store.removeItem(probe)
    except Exception:
        return False
    return True


def _web_storage(js) -> tuple[object | None, str]:
    """A working Web Storage and where it is: the page's own ``localStorage``, or in the
    engine Worker (which has none) ``evomachinePageStorage``, the page's entries kept in
    step with the page by ``web/engine-worker.mjs``. ``(None, "")`` when neither works.
    """
    local = _present(js, "localStorage")
    if local is not None and _local_storage_works(local):
        return local, "localStorage works"
    relayed = _present(js, PAGE_STORAGE)
    if relayed is not None and _local_storage_works(relayed):
        return relayed, "the page's localStorage works (reached through the page)"
    return None, ""


def _auto() -> tuple[Storage, str]:
    js = _browser_globals()
    if js is None:
        setting = os.environ.get(ENV_VAR)
        if setting:
            return _explicit(setting), f"{ENV_VAR}={setting!r}"
        return MemoryStorage(), (
            "not in a browser and no storage configured; use create_storage('sqlite:PATH') "
            f"or set {ENV_VAR} to keep data")
    if _present(js, "indexedDB") is not None:
        return IndexedDBStorage(), "IndexedDB is available in this browser"
    local, where = _web_storage(js)
    if local is not None:
        return LocalStorageBackend(web_storage=local), f"no IndexedDB here; {where}"
    return MemoryStorage(), "neither IndexedDB nor localStorage works here; data lasts until reload"


def _explicit(kind: str) -> Storage:
    name = kind.strip()
    lowered = name.lower()
    if lowered == "memory":
        return MemoryStorage()
    if lowered == "localstorage":
        js = _browser_globals()
        local = _web_storage(js)[0] if js is not None else None
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
