"""Rate limits shared by every in-flight request of one provider: requests/min, tokens/min, AIMD.

One :class:`RateLimiter` sits in front of a provider's transport. Each attempt
takes a permit (:meth:`RateLimiter.acquire`): permits are handed out first come,
first served, only while fewer than ``limit`` requests are in flight, the
request and token buckets hold enough, and no 429 pause is running. A 429
pauses everyone for its ``Retry-After`` and halves ``limit`` (once per wave:
requests that started before the last decrease do not halve it again); every
``limit`` successes in a row add one back, up to ``max_concurrency``
(additive increase, multiplicative decrease). The clock and the sleep are
injected, so tests run on a virtual clock.

Defaults per provider (:data:`DEFAULT_LIMITS`): no client-side request or
token cap. Provider quotas depend on the account's tier (from a few dozen to
thousands of requests a minute), so any fixed number would be wrong for most
users; the provider's own 429 + Retry-After drives the limiter instead. Set
``requests_per_min`` / ``tokens_per_min`` to your tier's figures to stay
under them without a single 429.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[Any]]

DEFAULT_LIMITS: dict[str, dict[str, float | None]] = {
    "anthropic": {"requests_per_min": None, "tokens_per_min": None},
    "openai-compatible": {"requests_per_min": None, "tokens_per_min": None},
}
"""Client-side caps per provider when none are given (see the module docstring)."""

_EPSILON = 1e-9  # rounding: a wait this short is no wait (it could not move a clock)

DEFAULT_PAUSE_S = 1.0
"""How long everyone waits after a 429 that names no Retry-After."""


class Bucket:
    """A token bucket: ``capacity`` units, refilled at ``capacity`` per minute."""

    def __init__(self, per_min: float, now: float):
        if per_min <= 0:
            raise ValueError(f"a rate must be > 0 per minute, got {per_min}")
        self.capacity = float(per_min)
        self.rate = self.capacity / 60.0
        self.level = self.capacity
        self.at = now

    def _refill(self, now: float) -> None:
        if now > self.at:
            self.level = min(self.capacity, self.level + (now - self.at) * self.rate)
            self.at = now

    def wait(self, amount: float, now: float) -> float:
        """Seconds until ``amount`` (at most the capacity) is available."""
        self._refill(now)
        need = min(amount, self.capacity) - self.level
        return need / self.rate if need > _EPSILON else 0.0

    def take(self, amount: float, now: float) -> None:
        self._refill(now)
        self.level -= amount

    def give_back(self, amount: float) -> None:
        """Return ``amount`` (negative: charge more) after the real usage is known."""
        self.level = min(self.capacity, self.level + amount)


class Permit:
    """One attempt's right to be in flight; give it back with :meth:`RateLimiter.release`."""

    __slots__ = ("generation", "released", "tokens")

    def __init__(self, tokens: int, generation: int):
        self.tokens = tokens
        self.generation = generation
        self.released = False


class RateLimiter:
    """Requests/min and tokens/min buckets, a 429 pause and an AIMD concurrency limit."""

    def __init__(self, *, requests_per_min: float | None = None,
                 tokens_per_min: float | None = None, max_concurrency: int = 8,
                 min_concurrency: int = 1, clock: Clock | None = None,
                 sleep: Sleep | None = None):
        if max_concurrency < 1 or not 1 <= min_concurrency <= max_concurrency:
            raise ValueError("need 1 <= min_concurrency <= max_concurrency")
        self.clock = clock if clock is not None else time.monotonic
        self._sleep = sleep if sleep is not None else asyncio.sleep
        now = self.clock()
        self.requests = Bucket(requests_per_min, now) if requests_per_min else None
        self.tokens = Bucket(tokens_per_min, now) if tokens_per_min else None
        self.max_concurrency = max_concurrency
        self.min_concurrency = min_concurrency
        self.limit = max_concurrency
        self.in_flight = 0
        self.paused_until = now
        self.generation = 0
        self._successes = 0
        self._gate: asyncio.Lock | None = None
        self._freed: asyncio.Event | None = None
        self.stats = {"permits": 0, "rate_limited": 0, "decreases": 0, "increases": 0}

    def describe(self) -> dict[str, Any]:
        return {
            "requests_per_min": self.requests.capacity if self.requests else None,
            "tokens_per_min": self.tokens.capacity if self.tokens else None,
            "max_concurrency": self.max_concurrency, "limit": self.limit, **self.stats,
        }

    async def acquire(self, tokens: int = 0) -> Permit:
        """Wait for a permit for a request of about ``tokens`` tokens (first come, first served)."""
        if self._gate is None:
            self._gate, self._freed = asyncio.Lock(), asyncio.Event()
        assert self._freed is not None
        async with self._gate:
            while True:
                now = self.clock()
                wait = self.paused_until - now
                if self.requests is not None:
                    wait = max(wait, self.requests.wait(1, now))
                if self.tokens is not None:
                    wait = max(wait, self.tokens.wait(tokens, now))
                if wait > _EPSILON:
                    await self._sleep(wait)
                    continue
                if self.in_flight >= self.limit:
                    self._freed.clear()
                    await self._freed.wait()
                    continue
                if self.requests is not None:
                    self.requests.take(1, now)
                if self.tokens is not None:
                    self.tokens.take(tokens, now)
                self.in_flight += 1
                self.stats["permits"] += 1
                return Permit(tokens, self.generation)

    def release(self, permit: Permit, *, used_tokens: int | None = None) -> None:
        """The attempt is over; ``used_tokens`` corrects the token reservation."""
        if permit.released:
            return
        permit.released = True
        self.in_flight -= 1
        if used_tokens is not None and self.tokens is not None:
            self.tokens.give_back(permit.tokens - used_tokens)
        if self._freed is not None:
            self._freed.set()

    def succeeded(self, permit: Permit, used_tokens: int | None = None) -> None:
        """A 2xx answer: release, and one step of additive increase."""
        self.release(permit, used_tokens=used_tokens)
        self._successes += 1
        if self._successes >= self.limit and self.limit < self.max_concurrency:
            self.limit += 1
            self._successes = 0
            self.stats["increases"] += 1

    def rate_limited(self, permit: Permit, retry_after_s: float | None) -> float:
        """A 429: everyone pauses for ``retry_after_s``, the limit halves once per wave.

        Returns the pause in seconds from now.
        """
        self.release(permit)
        self.stats["rate_limited"] += 1
        now = self.clock()
        pause = DEFAULT_PAUSE_S if retry_after_s is None else max(0.0, retry_after_s)
        self.paused_until = max(self.paused_until, now + pause)
        if permit.generation == self.generation:
            self.generation += 1
            self._successes = 0
            new = max(self.min_concurrency, self.limit // 2)
            if new < self.limit:
                self.limit = new
                self.stats["decreases"] += 1
        return self.paused_until - now
