"""In-memory storage: the reference backend, and the fallback everywhere."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from .base import Storage, TextOp, Usage


class MemoryStorage(Storage):
    """Keeps text in a dict per namespace; gone when the process ends."""

    backend: ClassVar[str] = "memory"

    def __init__(self, serializer=None) -> None:
        super().__init__(serializer)
        self._data: dict[str, dict[str, str]] = {}

    async def read(self, namespace: str, key: str) -> str | None:
        return self._data.get(namespace, {}).get(key)

    async def scan(self, namespace: str, prefix: str) -> list[str]:
        return [k for k in self._data.get(namespace, {}) if k.startswith(prefix)]

    async def read_prefix(self, namespace: str, prefix: str) -> dict[str, str]:
        return {k: v for k, v in self._data.get(namespace, {}).items() if k.startswith(prefix)}

    async def write(self, ops: Sequence[TextOp]) -> None:
        # Nothing here can fail half way: the texts are already serialized.
        for namespace, key, text in ops:
            if text is None:
                bucket = self._data.get(namespace)
                if bucket is not None:
                    bucket.pop(key, None)
                    if not bucket:
                        del self._data[namespace]
            else:
                self._data.setdefault(namespace, {})[key] = text

    async def wipe(self, namespace: str | None) -> None:
        if namespace is None:
            self._data.clear()
        else:
            self._data.pop(namespace, None)

    async def measure(self) -> Usage:
        size = entries = 0
        for namespace, bucket in self._data.items():
            for key, text in bucket.items():
                entries += 1
                size += len(namespace) + len(key.encode("utf-8", "surrogatepass"))
                size += len(text.encode("utf-8", "surrogatepass"))
        return Usage(self.backend, size, entries)
