"""CPython transport: urllib in a worker thread, bounded by a timeout.

The threads come from a pool of their own (:data:`MAX_THREADS`), not asyncio's
default executor (a handful of threads on a small machine), so as many
requests can be in flight as the executor's concurrency asks for.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import http.client
import json
import urllib.error
import urllib.request
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from evomachine.llm.transport_base import (
    MAX_RESPONSE_BYTES,
    TOO_LONG,
    TransportError,
    TransportResult,
)

_LOOPBACK = {"127.0.0.1", "localhost", "::1"}
MAX_THREADS = 64
_pool: concurrent.futures.ThreadPoolExecutor | None = None


def _threads() -> concurrent.futures.ThreadPoolExecutor:
    global _pool
    if _pool is None:
        _pool = concurrent.futures.ThreadPoolExecutor(MAX_THREADS, thread_name_prefix="evollm")
    return _pool


class UrllibTransport:
    """POST JSON with the stdlib; proxies from the environment apply except to loopback hosts;
    redirects are not followed."""

    async def post_json(
        self, url: str, headers: Mapping[str, str], body: Any, timeout_s: float
    ) -> TransportResult:
        data = json.dumps(body).encode("utf-8")
        loop = asyncio.get_running_loop()
        call = loop.run_in_executor(_threads(), _post, url, dict(headers), data, timeout_s)
        try:
            return await asyncio.wait_for(call, timeout_s)
        except TimeoutError:
            raise TransportError(f"no answer within {timeout_s:g} s", timeout=True) from None

    def __repr__(self) -> str:
        return "UrllibTransport()"


def _post(url: str, headers: dict[str, str], data: bytes, timeout_s: float) -> TransportResult:
    request = urllib.request.Request(
        url, data=data, headers={"Content-Type": "application/json", **headers}, method="POST"
    )
    opener = _opener_for(url)
    try:
        with opener.open(request, timeout=timeout_s) as response:
            return response.status, _lower(response.headers), _text(_bounded(response))
    except urllib.error.HTTPError as error:
        with error:
            return error.code, _lower(error.headers), _text(_bounded(error))
    except TimeoutError:
        raise TransportError(f"no answer within {timeout_s:g} s", timeout=True) from None
    except urllib.error.URLError as error:
        if isinstance(error.reason, TimeoutError):
            raise TransportError(f"no answer within {timeout_s:g} s", timeout=True) from None
        raise TransportError(f"cannot connect: {error.reason}") from None
    except (OSError, http.client.HTTPException, ValueError) as error:
        raise TransportError(f"connection failed: {type(error).__name__}: {error}") from None


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A redirect is the endpoint's answer (an error status), never followed: urllib would
    send every header, the key included, to whatever host the ``Location`` names."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def _opener_for(url: str) -> urllib.request.OpenerDirector:
    if urlsplit(url).hostname in _LOOPBACK:
        return urllib.request.build_opener(urllib.request.ProxyHandler({}), _NoRedirects)
    return urllib.request.build_opener(_NoRedirects)


def _lower(headers: Any) -> dict[str, str]:
    return {name.lower(): value for name, value in headers.items()} if headers else {}


def _bounded(response: Any) -> bytes:
    """The body, read no further than :data:`MAX_RESPONSE_BYTES` (TransportError past it)."""
    data = response.read(MAX_RESPONSE_BYTES + 1)
    if len(data) > MAX_RESPONSE_BYTES:
        raise TransportError(TOO_LONG, final=True)
    return data


def _text(data: bytes) -> str:
    return data.decode("utf-8", errors="replace")
