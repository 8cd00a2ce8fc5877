"""A transport for tests and benches: answers from a function, on a virtual clock.

:class:`MockTransport` takes a handler ``(url, headers, body) -> TransportResult``
(or an awaitable of one; raising :class:`TransportError` works too), waits
``latency_s`` on the ``sleep`` it was given, and counts what it saw: every
request, how many were in flight at once. :class:`VirtualClock` is that
sleep: time moves only when every coroutine is waiting on it, so tests with
"400 ms" requests take no wall time and count time exactly.
:func:`openai_reply` and :func:`anthropic_reply` build well-formed answers.
"""

from __future__ import annotations

import asyncio
import heapq
import inspect
import itertools
import json
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from typing import Any

from evomachine.llm.transport_base import TransportResult

Handler = Callable[[str, Mapping[str, str], Any], TransportResult | Awaitable[TransportResult]]


class VirtualClock:
    """Time that passes only when asked: ``clock()`` reads it, ``await clock.sleep(s)`` waits.

    Tests move it by hand (:meth:`advance`) or let :meth:`drive` run a coroutine,
    jumping to the next wake-up whenever the event loop has nothing else to do.
    """

    def __init__(self, start: float = 0.0):
        self.now = float(start)
        self._sleepers: list[tuple[float, int, asyncio.Future[None]]] = []
        self._order = itertools.count()

    def __call__(self) -> float:
        return self.now

    @property
    def sleeping(self) -> int:
        """How many coroutines wait on this clock now."""
        return sum(not future.done() for _, _, future in self._sleepers)

    async def sleep(self, seconds: float) -> None:
        if seconds <= 0:
            await asyncio.sleep(0)
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._sleepers, (self.now + seconds, next(self._order), future))
        await future

    def advance(self, seconds: float) -> None:
        """Move time on by ``seconds`` and wake everyone due by then."""
        self._wake_until(self.now + max(0.0, seconds))

    def _wake_until(self, when: float) -> None:
        self.now = max(self.now, when)
        while self._sleepers and self._sleepers[0][0] <= self.now:
            _, _, future = heapq.heappop(self._sleepers)
            if not future.done():
                future.set_result(None)

    def _next_wake(self) -> float | None:
        while self._sleepers and self._sleepers[0][2].done():
            heapq.heappop(self._sleepers)  # a cancelled sleeper
        return self._sleepers[0][0] if self._sleepers else None

    async def drive(self, coro: Coroutine[Any, Any, Any], *, idle_spins: int = 50) -> Any:
        """Run ``coro`` to its end, moving time to the next wake-up whenever all else waits.

        "All else waits" means ``idle_spins`` turns of the event loop made no
        progress on ``coro``; work outside the loop (a thread, a child process)
        is waited for with real short sleeps before time moves.
        """
        task = asyncio.ensure_future(coro)
        while not task.done():
            for _ in range(idle_spins):
                await asyncio.sleep(0)
                if task.done():
                    break
            if task.done():
                break
            wake = self._next_wake()
            if wake is None:
                await asyncio.sleep(0.001)  # waiting on something outside this clock
            else:
                self._wake_until(wake)
        return task.result()


class MockTransport:
    """A :class:`~evomachine.llm.transport_base.Transport` that answers with ``handler``.

    ``latency_s`` is waited (on ``sleep``, e.g. a :class:`VirtualClock`'s) before the
    handler answers. ``requests`` lists ``(url, headers, body, timeout_s)`` in arrival order;
    ``in_flight`` and ``max_in_flight`` count concurrent requests.
    """

    def __init__(self, handler: Handler, *, latency_s: float = 0.0,
                 sleep: Callable[[float], Awaitable[Any]] | None = None):
        self.handler = handler
        self.latency_s = latency_s
        self._sleep = sleep if sleep is not None else asyncio.sleep
        self.requests: list[tuple[str, dict[str, str], Any, float]] = []
        self.in_flight = 0
        self.max_in_flight = 0

    async def post_json(self, url: str, headers: Mapping[str, str], body: Any,
                        timeout_s: float) -> TransportResult:
        self.requests.append((url, dict(headers), body, timeout_s))
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            if self.latency_s > 0:
                await self._sleep(self.latency_s)
            result = self.handler(url, headers, body)
            if inspect.isawaitable(result):
                result = await result
            return result
        finally:
            self.in_flight -= 1

    def __repr__(self) -> str:
        return f"MockTransport(latency_s={self.latency_s})"


def scripted(*answers: TransportResult | Exception, latency_s: float = 0.0,
             sleep: Callable[[float], Awaitable[Any]] | None = None) -> MockTransport:
    """A transport giving ``answers`` in order, one a request (an exception is raised)."""
    script = list(answers)

    def handler(url: str, headers: Mapping[str, str], body: Any) -> TransportResult:
        if not script:
            raise AssertionError(f"scripted transport: no answer left for {url}")
        answer = script.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    return MockTransport(handler, latency_s=latency_s, sleep=sleep)


def openai_reply(text: str, *, model: str = "mock", prompt_tokens: int = 10,
                 completion_tokens: int = 2) -> TransportResult:
    """A 200 chat-completions answer saying ``text``."""
    body = {"id": "chatcmpl-mock", "object": "chat.completion", "model": model,
            "choices": [{"index": 0, "finish_reason": "stop",
                         "message": {"role": "assistant", "content": text}}],
            "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens}}
    return 200, {"content-type": "application/json"}, json.dumps(body)


def anthropic_reply(text: str, *, model: str = "mock", input_tokens: int = 10,
                    output_tokens: int = 2) -> TransportResult:
    """A 200 messages answer saying ``text``."""
    body = {"id": "msg_mock", "type": "message", "role": "assistant", "model": model,
            "content": [{"type": "text", "text": text}], "stop_reason": "end_turn",
            "usage": {"input_tokens": input_tokens, "output_tokens": output_tokens}}
    return 200, {"content-type": "application/json"}, json.dumps(body)


def status_reply(status: int, message: str = "error", *,
                 retry_after: float | None = None) -> TransportResult:
    """An error answer (``retry_after`` adds a ``Retry-After`` header, in seconds)."""
    headers = {"content-type": "application/json"}
    if retry_after is not None:
        headers["retry-after"] = f"{retry_after:g}"
    return status, headers, json.dumps({"error": {"message": message}})


def user_prompt(body: Any) -> str:
    """The last user message of an OpenAI or Anthropic request body ("" if none)."""
    messages = body.get("messages") if isinstance(body, dict) else None
    for message in reversed(messages or []):
        if isinstance(message, dict) and message.get("role") == "user":
            content = message.get("content")
            if isinstance(content, str):
                return content
            if isinstance(content, list):
                return "".join(part.get("text", "") for part in content if isinstance(part, dict))
    return ""
