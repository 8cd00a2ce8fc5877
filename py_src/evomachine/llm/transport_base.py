"""The transport contract every HTTP provider relies on: one method, one error, one result.

Kept apart from :mod:`evomachine.llm.transport` (which chooses the runtime's
transport) so the transports themselves import only this module: no import
circle between the chooser and what it chooses.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol, runtime_checkable

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
