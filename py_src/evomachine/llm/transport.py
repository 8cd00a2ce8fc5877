"""The one door HTTP providers go through: ``post_json`` via urllib (CPython) or fetch (browser).

The choice is made here, once (:func:`default_transport`), and providers take
a transport through their constructor, so tests inject a fake one.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol, runtime_checkable

from evomachine import _compat

TransportResult = tuple[int, dict[str, str], str]
"""``(status, headers with lower-case names, body text)``."""


class TransportError(Exception):
    """The request got no HTTP answer: connection refused, DNS, timeout, aborted fetch."""

    def __init__(self, reason: str, *, timeout: bool = False):
        super().__init__(reason)
        self.reason = reason
        self.timeout = timeout


@runtime_checkable
class Transport(Protocol):
    async def post_json(
        self, url: str, headers: Mapping[str, str], body: Any, timeout_s: float
    ) -> TransportResult:
        """POST ``body`` as JSON; return any HTTP answer (4xx/5xx too) or raise TransportError."""
        ...


def in_browser() -> bool:
    """True inside Pyodide (browser or Node)."""
    return _compat.IN_PYODIDE


def default_transport() -> Transport:
    """fetch inside Pyodide, urllib in a thread on CPython."""
    if in_browser():
        from evomachine.llm._transport_pyodide import FetchTransport

        return FetchTransport()
    from evomachine.llm._transport_cpython import UrllibTransport

    return UrllibTransport()
