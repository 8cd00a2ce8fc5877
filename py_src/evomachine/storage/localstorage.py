"""Web Storage (``localStorage``) backend.

Every entry is one web-storage item named ``<prefix>|<namespace>|<key>`` with
``%`` and ``|`` escaped in the prefix and the namespace, so two backends with
different prefixes, or namespaces ``a`` and ``a|b``, can never see each
other's items. A write that hits the quota is undone before
``StorageQuotaError`` is raised: nothing is half written.

``web_storage`` is any object with ``getItem``/``setItem``/``removeItem``/
``key``/``length``; it defaults to ``js.localStorage``, imported on first use.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

from .._compat import js_global
from . import keys
from .base import Storage, TextOp, Usage
from .errors import StorageError, StorageQuotaError, StorageUnavailableError

_SEP = "|"
_QUOTA_NAMES = frozenset({"QuotaExceededError", "NS_ERROR_DOM_QUOTA_REACHED"})


def _escape(text: str) -> str:
    return text.replace("%", "%25").replace(_SEP, "%7C")


def is_quota_error(error: BaseException) -> bool:
    """True for a browser's QuotaExceededError (a Pyodide ``JsException``) or a look-alike."""
    name = getattr(error, "name", None)
    if isinstance(name, str) and name in _QUOTA_NAMES:
        return True
    if type(error).__name__ in _QUOTA_NAMES or getattr(error, "code", None) == 22:
        return True
    return "quota" in str(error).lower()


def _utf16_units(text: str) -> int:
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


class LocalStorageBackend(Storage):
    """Storage in ``localStorage`` (or any Web Storage look-alike), isolated by ``prefix``."""

    backend: ClassVar[str] = "localstorage"

    def __init__(self, prefix: str = keys.LOCAL_PREFIX, web_storage: Any = None,
                 serializer=None) -> None:
        super().__init__(serializer)
        if not isinstance(prefix, str):
            raise TypeError(f"LocalStorageBackend prefix must be a str, got {prefix!r}")
        self.prefix = prefix
        self._root = _escape(prefix) + _SEP
        self._web_storage = web_storage

    @property
    def web_storage(self) -> Any:
        if self._web_storage is None:
            found = js_global("localStorage")
            if found is None:
                raise StorageUnavailableError(
                    "localStorage is not available here; pass web_storage= or use "
                    "create_storage('memory')", backend=self.backend)
            self._web_storage = found
        return self._web_storage

    def _item(self, namespace: str, key: str) -> str:
        return f"{self._root}{_escape(namespace)}{_SEP}{key}"

    def _own_items(self) -> list[str]:
        """Names of every web-storage item under this prefix."""
        store = self.web_storage
        names = []
        for index in range(int(store.length)):
            name = store.key(index)
            if isinstance(name, str) and name.startswith(self._root):
                names.append(name)
        return names

    def _get_item(self, name: str) -> str | None:
        text = self.web_storage.getItem(name)
        return text if isinstance(text, str) else None  # null arrives as None or jsnull

    async def read(self, namespace: str, key: str) -> str | None:
        return self._get_item(self._item(namespace, key))

    async def scan(self, namespace: str, prefix: str) -> list[str]:
        start = self._item(namespace, prefix)
        cut = len(self._item(namespace, ""))
        return [name[cut:] for name in self._own_items() if name.startswith(start)]

    async def read_prefix(self, namespace: str, prefix: str) -> dict[str, str]:
        found = {}
        for key in await self.scan(namespace, prefix):
            text = self._get_item(self._item(namespace, key))
            if text is not None:
                found[key] = text
        return found

    async def write(self, ops: Sequence[TextOp]) -> None:
        self._apply([(self._item(ns, key), text) for ns, key, text in ops])

    def _apply(self, writes: list[tuple[str, str | None]]) -> None:
        """Apply item writes in order; on any failure put every touched item back."""
        store = self.web_storage
        previous: dict[str, str | None] = {}
        for name, _ in writes:
            if name not in previous:
                previous[name] = self._get_item(name)
        try:
            for name, text in writes:
                if text is None:
                    store.removeItem(name)
                else:
                    store.setItem(name, text)
        except Exception as error:
            self._restore(previous)
            if is_quota_error(error):
                raise StorageQuotaError(
                    f"localStorage is full writing {len(writes)} item(s); nothing was written. "
                    "Free space (delete old versions or patterns) or use IndexedDB",
                    backend=self.backend) from error
            raise StorageError(f"localStorage write failed, nothing was written: {error}",
                               backend=self.backend) from error

    def _restore(self, previous: dict[str, str | None]) -> None:
        store = self.web_storage
        try:
            # Remove first: the old state fitted, so it fits again once the new texts are gone.
            for name in previous:
                store.removeItem(name)
            for name, text in previous.items():
                if text is not None:
                    store.setItem(name, text)
        except Exception as error:  # pragma: no cover - needs a storage that shrinks its quota
            raise StorageError(f"localStorage write failed and could not be undone: {error}",
                               backend=self.backend) from error

    async def wipe(self, namespace: str | None) -> None:
        start = self._root if namespace is None else self._item(namespace, "")
        names = [name for name in self._own_items() if name.startswith(start)]
        store = self.web_storage
        for name in names:
            store.removeItem(name)

    async def measure(self) -> Usage:
        names = self._own_items()
        units = 0
        for name in names:
            units += _utf16_units(name) + _utf16_units(self._get_item(name) or "")
        return Usage(self.backend, 2 * units, len(names))

    def describe(self) -> dict[str, Any]:
        return {**super().describe(), "prefix": self.prefix}
