"""Async key-value storage with namespaces, batches and one contract for every backend.

Backends: ``MemoryStorage``, ``SQLiteStorage`` (CPython), ``LocalStorageBackend``
and ``IndexedDBStorage`` (browser). ``create_storage()`` picks one.
"""

from .base import (
    CODE_NAMESPACE,
    DEFAULT_NAMESPACE,
    DELETE,
    KNOWN_NAMESPACES,
    Storage,
    TextOp,
    Usage,
)
from .errors import (
    SerializationError,
    StorageBlockedError,
    StorageError,
    StorageQuotaError,
    StorageUnavailableError,
    StorageVersionError,
)
from .factory import create_storage
from .indexeddb import IndexedDBStorage
from .keypath import key_path, split_key
from .localstorage import LocalStorageBackend
from .memory import MemoryStorage
from .serde import JsonSerializer, Serializer
from .sqlite import SQLiteStorage

__all__ = [
    "CODE_NAMESPACE",
    "DEFAULT_NAMESPACE",
    "DELETE",
    "KNOWN_NAMESPACES",
    "IndexedDBStorage",
    "JsonSerializer",
    "LocalStorageBackend",
    "MemoryStorage",
    "SQLiteStorage",
    "SerializationError",
    "Serializer",
    "Storage",
    "StorageBlockedError",
    "StorageError",
    "StorageQuotaError",
    "StorageUnavailableError",
    "StorageVersionError",
    "TextOp",
    "Usage",
    "create_storage",
    "key_path",
    "split_key",
]
