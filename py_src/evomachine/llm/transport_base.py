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


MAX_RESPONSE_BYTES = 4 * 1024 * 1024
"""The longest HTTP answer read from an LLM endpoint. An answer of 4,096 tokens is about
20 KB; a hostile endpoint's 150 MB answers were taken as task outputs, stored about four
times each in the machine's state, and took it past the browser's longest string, which
saved an empty document over the good one."""

TOO_LONG = (f"answered more than {MAX_RESPONSE_BYTES // (1024 * 1024)} MB, which is refused "
            "(an answer within the model's token limit is a few KB)")

REDIRECT_REFUSED = ("answered with a redirect, which is not followed (it would send the API key "
                    "to the address the redirect names): use that address as the base URL")
"""What a redirect from an LLM endpoint tells the user, in either runtime."""


class TransportError(Exception):
    """The request got no usable HTTP answer: connection refused, DNS, timeout, aborted
    fetch, a redirect the browser did not follow. ``final``: trying again cannot help."""

    def __init__(self, reason: str, *, timeout: bool = False, final: bool = False):
        super().__init__(reason)
        self.reason = reason
        self.timeout = timeout
        self.final = final


@runtime_checkable
class Transport(Protocol):
    async def post_json(
        self, url: str, headers: Mapping[str, str], body: Any, timeout_s: float
    ) -> TransportResult:
        """POST ``body`` as JSON; return any HTTP answer (4xx/5xx too) or raise TransportError."""
        ...
