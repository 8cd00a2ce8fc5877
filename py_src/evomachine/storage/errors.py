"""Storage errors: one family, so callers catch ``StorageError`` and know why."""

from __future__ import annotations


class StorageError(Exception):
    """A storage operation failed; ``backend`` names the backend that raised it."""

    def __init__(self, message: str, *, backend: str | None = None) -> None:
        super().__init__(f"[{backend}] {message}" if backend else message)
        self.backend = backend


class StorageQuotaError(StorageError):
    """The backend is full. Nothing of the failed write was kept."""


class StorageUnavailableError(StorageError):
    """The backend cannot be used here (no ``indexedDB``, private mode, closed database)."""


class StorageVersionError(StorageError):
    """The stored schema is newer than this code understands (another tab runs a newer build)."""


class StorageBlockedError(StorageError):
    """Another connection holds an older schema open and would not close."""


class SerializationError(StorageError, TypeError):
    """A value could not be turned into text, or stored text could not be read back."""
