"""The one place that touches Pyodide's FFI for storage: proxies, events, JS errors.

Event handlers are wrapped in ``create_proxy`` by ``Listeners`` and destroyed
by its ``release``; ``settle`` turns an ``IDBRequest`` or ``IDBTransaction``
into an awaitable; ``translate`` turns a ``DOMException`` or ``JsException``
into a ``StorageError`` subclass. ``pyodide`` is imported inside functions only.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from typing import Any

from .._compat import ffi, is_js_null
from .errors import (
    StorageBlockedError,
    StorageError,
    StorageQuotaError,
    StorageUnavailableError,
    StorageVersionError,
)

BACKEND = "indexeddb"


def error_name(error: Any) -> str:
    """The DOMException name of a JS error or a Pyodide ``JsException`` (``""`` if none)."""
    name = getattr(error, "name", None)
    if isinstance(name, str) and name not in ("JsException", "Error"):
        return name
    text = str(error)
    head = text.split(":", 1)[0].strip()
    return head if head.endswith(("Error", "Exception")) and " " not in head else (name or "")


def translate(error: Any, what: str) -> StorageError:
    """A ``StorageError`` subclass for a JS error raised while doing ``what``."""
    if isinstance(error, StorageError):
        return error
    name = error_name(error)
    message = getattr(error, "message", None) or str(error)
    text = f"{what}: {name or 'error'}: {message}"
    if name == "QuotaExceededError":
        return StorageQuotaError(text + "; nothing was written. Free space or clear old versions",
                                 backend=BACKEND)
    if name == "VersionError":
        return StorageVersionError(text + "; a newer build of the page upgraded the database: "
                                   "reload this tab", backend=BACKEND)
    if name in ("SecurityError", "InvalidAccessError", "UnknownError", "NotAllowedError"):
        return StorageUnavailableError(text + " (private browsing or storage disabled?)",
                                       backend=BACKEND)
    if name == "BlockedError":
        return StorageBlockedError(text, backend=BACKEND)
    return StorageError(text, backend=BACKEND)


def to_js(value: Any) -> Any:
    """A Python list (of lists, strings, numbers) as a JS array."""
    return ffi().to_js(value)


def to_py(value: Any) -> Any:
    """A JS value as plain Python (arrays become lists); Python values pass through."""
    if is_js_null(value):
        return None
    convert = getattr(value, "to_py", None)
    return convert() if convert is not None else value



class Listeners:
    """``on<event>`` handlers set on one JS target, as proxies destroyed together."""

    def __init__(self, target: Any) -> None:
        self.target = target
        self._proxies: list[tuple[str, Any]] = []

    def on(self, event: str, handler: Callable[[Any], None]) -> None:
        proxy = ffi().create_proxy(handler)
        self._proxies.append((event, proxy))
        setattr(self.target, "on" + event, proxy)

    def release(self) -> None:
        """Unset the handlers and destroy their proxies (never call from inside one)."""
        proxies, self._proxies = self._proxies, []
        for event, proxy in proxies:
            try:
                setattr(self.target, "on" + event, None)
            finally:
                proxy.destroy()


async def settle(target: Any, what: str, *, done: str, fail: Sequence[str],
                 also: dict[str, Callable[[Any], None]] | None = None) -> Any:
    """Wait for ``target`` (a request or transaction) to fire ``done`` or one of ``fail``.

    Handlers are attached before the first suspension, so no event is missed.
    Returns the ``done`` event; raises the translated error on failure.
    ``also`` adds handlers for other events (``upgradeneeded``, ``blocked``).
    """
    future = asyncio.get_event_loop().create_future()
    listeners = Listeners(target)

    def succeed(event: Any) -> None:
        if not future.done():
            future.set_result(event)

    def failed(event: Any) -> None:
        if future.done():
            return
        source = getattr(event, "target", None)
        error = getattr(source, "error", None) if source is not None else None
        if is_js_null(error):
            error = getattr(target, "error", None)
        if is_js_null(error):
            kind = getattr(event, "type", "error")
            future.set_exception(StorageError(f"{what}: {kind} without an error",
                                              backend=BACKEND))
        else:
            future.set_exception(translate(error, what))

    listeners.on(done, succeed)
    for event in fail:
        listeners.on(event, failed)
    for event, handler in (also or {}).items():
        listeners.on(event, handler)
    try:
        return await future
    finally:
        listeners.release()
