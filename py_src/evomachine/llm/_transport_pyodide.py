"""Browser transport: ``pyodide.http.pyfetch`` with an abort-signal timeout.

The only LLM module that imports ``pyodide`` or ``js``, and only inside the
method, so CPython can import this file (it just cannot call it).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from evomachine._compat import js_global, pyfetch
from evomachine.llm.transport import TransportError, TransportResult


class FetchTransport:
    """POST JSON with ``fetch``; ``AbortSignal.timeout`` ends a request that hangs."""

    async def post_json(
        self, url: str, headers: Mapping[str, str], body: Any, timeout_s: float
    ) -> TransportResult:
        signal = js_global("AbortSignal").timeout(max(1, int(timeout_s * 1000)))
        try:
            response = await pyfetch()(
                url,
                method="POST",
                headers={"Content-Type": "application/json", **headers},
                body=json.dumps(body),
                signal=signal,
            )
            text = await response.text()
            status = int(response.status)
            response_headers = {k.lower(): str(v) for k, v in response.headers.items()}
        except Exception as error:  # JsException, pyodide.http.AbortError, OSError
            if signal.aborted:
                raise TransportError(f"no answer within {timeout_s:g} s", timeout=True) from None
            raise TransportError(f"fetch failed: {type(error).__name__}: {error}") from None
        return status, response_headers, text

    def __repr__(self) -> str:
        return "FetchTransport()"
