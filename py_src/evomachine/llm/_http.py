"""What every HTTP provider shares: retries with backoff, errors, cost, and keeping the key secret.

A provider subclass only builds its request (:meth:`HTTPProvider._build`) and
reads its response (:meth:`HTTPProvider._read`). The API key lives in a
``SecretStr``; it is scrubbed from every error message and never appears in
``repr``, ``describe()`` or anything exported. A credential written into the
base URL is treated the same (:mod:`evomachine.llm.url_secrets`). Nothing here logs.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Mapping
from email.utils import parsedate_to_datetime
from typing import Any, ClassVar

from pydantic import SecretStr

from evomachine import nesting
from evomachine.llm.base import LLMError, LLMRequest, LLMResponse
from evomachine.llm.prices import PriceTable
from evomachine.llm.rate_limit import Permit, RateLimiter
from evomachine.llm.simulated import estimate_tokens
from evomachine.llm.transport import Transport, TransportError, default_transport
from evomachine.llm.transport_base import REDIRECT_REFUSED
from evomachine.llm.url_secrets import redacted, scrub, secrets_in

Sleep = Callable[[float], Awaitable[Any]]
RETRYABLE_STATUS = frozenset({408, 429})
SECRET_HEADERS = frozenset({"authorization", "x-api-key", "api-key", "proxy-authorization"})


class RedactedHeaders(dict[str, str]):
    """Request headers whose ``repr`` hides credentials (tracebacks that show locals stay clean)."""

    def __repr__(self) -> str:
        shown = {k: ("***" if k.lower() in SECRET_HEADERS else v) for k, v in self.items()}
        return repr(shown)


class HTTPProvider:
    """Base of the HTTP clients: ``AnthropicClient`` and ``OpenAICompatibleClient``."""

    provider: ClassVar[str] = "http"

    def __init__(
        self,
        *,
        model: str,
        base_url: str,
        api_key: str | None = None,
        max_tokens: int = 1024,
        temperature: float | None = None,
        timeout_s: float = 60.0,
        max_retries: int = 2,
        backoff_s: float = 0.5,
        max_backoff_s: float = 30.0,
        prices: PriceTable | None = None,
        transport: Transport | None = None,
        sleep: Sleep | None = None,
        limiter: RateLimiter | None = None,
    ):
        if not base_url.startswith(("http://", "https://")):
            raise ValueError(f"base_url must start with http:// or https://, got {base_url!r}")
        if timeout_s <= 0 or max_retries < 0 or max_tokens <= 0:
            raise ValueError("timeout_s and max_tokens must be > 0 and max_retries >= 0")
        self.model = model
        self.base_url = base_url.rstrip("/")
        self._api_key = _checked_key(api_key)
        self._url_secrets = secrets_in(self.base_url)  # a key written into the URL is a key
        self.max_tokens = max_tokens
        self.temperature = temperature
        self.timeout_s = timeout_s
        self.max_retries = max_retries
        self.backoff_s = backoff_s
        self.max_backoff_s = max_backoff_s
        self.prices = prices if prices is not None else PriceTable.with_defaults()
        self.transport = transport if transport is not None else default_transport()
        self._sleep = sleep if sleep is not None else asyncio.sleep
        self.limiter = limiter

    # --- what subclasses provide ------------------------------------------------------

    def _build(self, request: LLMRequest) -> tuple[str, dict[str, str], dict[str, Any]]:
        """``(url, headers, body)`` for one request."""
        raise NotImplementedError

    def _read(self, data: Any) -> tuple[str, int | None, int | None, str | None]:
        """``(text, input_tokens, output_tokens, model)`` from a decoded 2xx body."""
        raise NotImplementedError

    # --- the shared call --------------------------------------------------------------

    @property
    def has_api_key(self) -> bool:
        return self._api_key is not None

    def _key(self) -> str | None:
        return self._api_key.get_secret_value() if self._api_key is not None else None

    def estimate_cost(self, input_tokens: int, output_tokens: int) -> float:
        """What a call of this many tokens costs at this client's prices for its model."""
        return self.prices.cost(self.model, input_tokens, output_tokens)

    def describe(self) -> dict[str, Any]:
        """The settings without the key, for display and export."""
        return {
            "provider": self.provider,
            "model": self.model,
            "base_url": redacted(self.base_url),
            "max_tokens": self.max_tokens,
            "temperature": self.temperature,
            "timeout_s": self.timeout_s,
            "max_retries": self.max_retries,
            "api_key_set": self.has_api_key,
            "limits": self.limiter.describe() if self.limiter is not None else None,
        }

    def __repr__(self) -> str:
        return f"{type(self).__name__}(model={self.model!r}, base_url={redacted(self.base_url)!r})"

    __str__ = __repr__

    async def complete(self, request: LLMRequest) -> LLMResponse:
        """Call the model, retrying 408/429/5xx and network errors; raise :class:`LLMError`.

        At most ``1 + max_retries`` attempts. With a ``limiter``, every attempt
        holds one of its permits while in flight, and a 429 pauses every request
        of this provider for its Retry-After (see :mod:`evomachine.llm.rate_limit`).
        """
        url, plain_headers, body = self._build(request)
        headers = RedactedHeaders(plain_headers)
        del plain_headers
        reserve = estimate_tokens(request.prompt) + (request.max_tokens or self.max_tokens)
        start = time.perf_counter()
        attempt = 0
        while True:
            delay: float | None = None
            paused = False
            permit: Permit | None = None
            if self.limiter is not None:
                permit = await self.limiter.acquire(reserve)
            try:
                try:
                    status, response_headers, text = await self.transport.post_json(
                        url, headers, body, self.timeout_s
                    )
                except TransportError as error:
                    failure = LLMError(self._scrub(f"{self._where(url)}: {error.reason}"),
                                       retryable=not error.final)
                except Exception as error:  # a transport bug must not crash the executor
                    reason = (f"{self._where(url)}: transport failed: "
                              f"{type(error).__name__}: {error}")
                    raise LLMError(self._scrub(reason)) from None
                else:
                    if 200 <= status < 300:
                        response = self._response(text, status, url, request, start)
                        if permit is not None and self.limiter is not None:
                            used = response.input_tokens + response.output_tokens
                            self.limiter.succeeded(permit, used)
                        return response
                    failure = self._status_error(status, text, url, response_headers)
                    delay = retry_after(response_headers)
                    if status == 429 and permit is not None and self.limiter is not None:
                        capped = None if delay is None else min(self.max_backoff_s, delay)
                        self.limiter.rate_limited(permit, capped)
                        paused = True
            finally:
                if permit is not None and self.limiter is not None:
                    self.limiter.release(permit)
            if not failure.retryable or attempt >= self.max_retries:
                if attempt:
                    reason = f"{failure.reason} (gave up after {attempt + 1} attempts)"
                    failure = LLMError(reason, status=failure.status, retryable=failure.retryable)
                raise failure
            if not paused:  # a 429's pause is the limiter's, for every request
                await self._sleep(self._backoff(attempt, delay))
            attempt += 1

    def _backoff(self, attempt: int, retry_after_s: float | None) -> float:
        if retry_after_s is not None:
            return min(self.max_backoff_s, max(0.0, retry_after_s))
        return min(self.max_backoff_s, self.backoff_s * 2**attempt)

    def _response(
        self, text: str, status: int, url: str, request: LLMRequest, start: float
    ) -> LLMResponse:
        try:
            data = nesting.loads(text)
        except ValueError:
            raise LLMError(
                self._scrub(f"{self._where(url)} answered malformed JSON: {_snippet(text)}"),
                status=status,
            ) from None
        try:
            answer, input_tokens, output_tokens, model = self._read(data)
        except (KeyError, IndexError, TypeError, ValueError, AttributeError) as error:
            raise LLMError(
                self._scrub(
                    f"{self._where(url)} answered an unexpected shape ({error!r}): {_snippet(text)}"
                ),
                status=status,
            ) from None
        # The endpoint's word on its usage and model is checked: a count that is not a
        # plausible whole number is estimated instead (a negative one made the cost negative).
        input_tokens, output_tokens = _count(input_tokens), _count(output_tokens)
        if input_tokens is None:
            input_tokens = estimate_tokens(request.prompt)
        if output_tokens is None:
            output_tokens = estimate_tokens(answer)
        used = _model_name(model) or request.model or self.model
        return LLMResponse(
            text=answer,
            input_tokens=input_tokens,
            output_tokens=output_tokens,
            cost=self.prices.cost(used, input_tokens, output_tokens),
            latency_ms=(time.perf_counter() - start) * 1000,
            model=used,
        )

    def _status_error(self, status: int, text: str, url: str,
                      headers: Mapping[str, str] | None = None) -> LLMError:
        message = _error_message(text)
        where = self._where(url)
        if 300 <= status < 400:
            location = (headers or {}).get("location", "")
            named = f" to {_snippet(location)}" if location.strip() else ""
            reason = f"{where} (HTTP {status}{named}) {REDIRECT_REFUSED}"
        elif status in (401, 403):
            hint = "check the API key and that it may use this model"
            reason = f"{where} refused the request (HTTP {status}): {message}; {hint}"
        elif status == 404:
            hint = f"check the base URL and the model name {self.model!r}"
            reason = f"{where} answered HTTP 404: {message}; {hint}"
        elif status == 429:
            reason = f"{where} is rate limiting (HTTP 429): {message}"
        elif status >= 500:
            reason = f"{where} had a server error (HTTP {status}): {message}"
        else:
            reason = f"{where} rejected the request (HTTP {status}): {message}"
        retryable = status in RETRYABLE_STATUS or status >= 500
        return LLMError(self._scrub(reason), status=status, retryable=retryable)

    def _where(self, url: str) -> str:
        return f"{self.provider} at {redacted(url)}"

    def _scrub(self, text: str) -> str:
        key = self._key()
        return scrub(text, [key, *self._url_secrets] if key else self._url_secrets)


MAX_REPORTED_TOKENS = 100_000_000
MAX_MODEL_NAME = 200


def _count(value: Any) -> int | None:
    """A token count an endpoint reported, if it is a whole number in a plausible range."""
    return value if type(value) is int and 0 <= value <= MAX_REPORTED_TOKENS else None


def _model_name(value: Any) -> str | None:
    """The model an endpoint says answered, if that is a short text."""
    return value if isinstance(value, str) and 0 < len(value) <= MAX_MODEL_NAME else None


def _checked_key(api_key: str | None) -> SecretStr | None:
    """The key as a SecretStr, stripped; printable ASCII only (it goes into an HTTP header)."""
    if api_key is None or not api_key.strip():
        return None
    key = api_key.strip()
    if not all(33 <= ord(c) < 127 for c in key):
        raise ValueError(
            "the API key contains spaces, control or non-ASCII characters; paste it again "
            "(the key is not shown here on purpose)"
        )
    return SecretStr(key)


def retry_after(headers: Mapping[str, str]) -> float | None:
    """Seconds to wait from ``retry-after-ms`` or ``retry-after`` (seconds or an HTTP date)."""
    if "retry-after-ms" in headers:
        try:
            return float(headers["retry-after-ms"]) / 1000
        except ValueError:
            pass
    value = headers.get("retry-after")
    if value is None:
        return None
    try:
        return float(value)
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def _error_message(text: str) -> str:
    """The API's own error message when the body is JSON (both protocols), else a snippet."""
    try:
        data = nesting.loads(text)
    except ValueError:
        return _snippet(text)
    if isinstance(data, dict):
        error = data.get("error")
        if isinstance(error, dict) and isinstance(error.get("message"), str):
            return _snippet(error["message"])
        if isinstance(error, str):
            return _snippet(error)
    return _snippet(text)


def _snippet(text: str, limit: int = 200) -> str:
    text = " ".join(text.split())
    if not text:
        return "(empty body)"
    return text if len(text) <= limit else text[: limit - 1] + "…"
