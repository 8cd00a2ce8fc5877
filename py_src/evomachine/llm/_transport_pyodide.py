"""Browser transport: ``pyodide.http.pyfetch`` with an abort signal (timeout or Pause).

The only LLM module that imports ``pyodide`` or ``js``, and only inside the
method, so CPython can import this file (it just cannot call it).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from evomachine._compat import ffi, js_global, pyfetch
from evomachine.interrupts import Interrupted, in_flight, pause_requested
from evomachine.llm.transport_base import (
    MAX_RESPONSE_BYTES,
    REDIRECT_REFUSED,
    TOO_LONG,
    TransportError,
    TransportResult,
)


class FetchTransport:
    """POST JSON with ``fetch``; a timeout or the user's Pause aborts a request that hangs."""

    async def post_json(
        self, url: str, headers: Mapping[str, str], body: Any, timeout_s: float
    ) -> TransportResult:
        if pause_requested():  # queued behind the rate limiter while Pause aborted the rest
            raise Interrupted(f"paused before sending to {url}")
        timeout = js_global("AbortSignal").timeout(max(1, int(timeout_s * 1000)))
        pause = js_global("AbortController").new()  # aborted by the user's Pause
        signal = js_global("AbortSignal").any(ffi().to_js([timeout, pause.signal]))
        try:
            with in_flight(pause):
                response = await pyfetch()(
                    url,
                    method="POST",
                    headers={"Content-Type": "application/json", **headers},
                    body=json.dumps(body),
                    signal=signal,
                    redirect="manual",  # a redirect would carry the key to another host
                )
                if str(response.type) == "opaqueredirect":  # answered, not followed
                    raise TransportError(REDIRECT_REFUSED, final=True)
                declared = str(response.headers.get("content-length") or "")
                if declared.isdigit() and int(declared) > MAX_RESPONSE_BYTES:
                    pause.abort()  # not read at all
                    raise TransportError(TOO_LONG, final=True)
                text = await response.text()
                if len(text) > MAX_RESPONSE_BYTES:  # (no length said: read, then refused)
                    raise TransportError(TOO_LONG, final=True)
            status = int(response.status)
            response_headers = {k.lower(): str(v) for k, v in response.headers.items()}
        except TransportError:
            raise
        except Exception as error:  # JsException, pyodide.http.AbortError, OSError
            if pause.signal.aborted:
                raise Interrupted(f"paused while waiting for {url}") from None
            if signal.aborted:
                raise TransportError(f"no answer within {timeout_s:g} s", timeout=True) from None
            raise TransportError(f"fetch failed: {type(error).__name__}: {error}") from None
        return status, response_headers, text

    def __repr__(self) -> str:
        return "FetchTransport()"
