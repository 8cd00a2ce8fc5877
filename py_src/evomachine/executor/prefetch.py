"""Answers to LLM requests sent ahead of the ordered path, and what they cost when unused.

A :class:`PrefetchCache` starts each request once (identical ones share it), hands its
answer to the first identical ask, and counts an answer nobody took as wasted once the
ordered path has passed its record or it leaves the cache (``on_waste``): the provider
billed it. See :mod:`evomachine.executor.concurrent` for who sends requests ahead.
"""

from __future__ import annotations

import asyncio
from collections import Counter, deque
from collections.abc import Callable
from typing import Any

from evomachine.llm.base import LLMRequest, LLMResponse


def request_key(request: LLMRequest) -> str:
    return request.model_dump_json()


class _Entry:
    __slots__ = ("counted", "key", "name", "record", "task", "wasted")

    def __init__(self, task: asyncio.Future[LLMResponse], record: int, key: str, name: str):
        self.task = task
        self.record = record
        self.key = key
        self.name = name  # the request's task, whose cost a wasted answer adds to
        self.wasted = False  # not taken by the ordered path when its record was passed
        self.counted = False  # ... and its answer's cost reported as wasted


def _retrieve(task: asyncio.Future[Any]) -> None:
    if not task.cancelled():
        task.exception()  # an unused failure is not "never retrieved"


class PrefetchCache:
    """Requests started ahead, each answer handed to the first identical ask (once)."""

    def __init__(self, limit: int = 4096):
        self.limit = limit
        self.client: Any = None
        self._entries: dict[str, _Entry] = {}
        self._order: deque[_Entry] = deque()  # in the order sent: by record, mostly
        self.stats: Counter[str] = Counter()
        self.wasted_cost = 0.0
        self.on_waste: Callable[[str, int, float], None] | None = None
        """Told ``(task, calls, cost)`` when answers nobody took are counted as wasted, and
        with negative figures when one is taken after all."""
        self.code: Any = None
        """Code answers computed ahead (an executor whose tasks run code sets it), or None."""

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def sent_ahead(self) -> bool:
        """Whether answers sent ahead are still to be taken or counted as wasted."""
        return bool(self._order)

    def start(self, client: Any, request: LLMRequest, record: int) -> bool:
        """Send ``request`` now unless an identical one is already waiting; True if sent."""
        if client is not self.client:
            self.clear()
            self.client = client
        key = request_key(request)
        if key in self._entries:
            return False
        task = asyncio.ensure_future(client.complete(request))
        task.add_done_callback(_retrieve)
        entry = self._entries[key] = _Entry(task, record, key, request.task)
        self._order.append(entry)
        self.stats["sent"] += 1
        while len(self._entries) > self.limit:
            self._waste(self._entries.pop(next(iter(self._entries))))
            self.stats["evicted"] += 1
        return True

    async def complete(self, client: Any, request: LLMRequest) -> LLMResponse:
        """The prefetched answer to ``request`` if there is one, else ``client``'s answer now."""
        if self._entries and client is self.client:
            entry = self._entries.pop(request_key(request), None)
            if entry is not None and not entry.task.cancelled():  # (cancelled: asked anew)
                self.stats["used"] += 1
                if entry.wasted:  # taken after all: its cost is the ordered path's
                    entry.wasted = False
                    if entry.counted:
                        self._count(entry, -1)
                return await entry.task
        return await client.complete(request)

    def passed(self, first: int) -> None:
        """The ordered path finished every record before ``first``: answers sent for them and
        not taken are wasted (kept all the same, for an identical ask)."""
        order, entries = self._order, self._entries
        while order and (order[0].record < first or entries.get(order[0].key) is not order[0]):
            entry = order.popleft()  # (or taken, or gone: nothing to count)
            if entries.get(entry.key) is entry:
                self._waste(entry)

    def _waste(self, entry: _Entry) -> None:
        """Count ``entry``'s answer as wasted, now or when it arrives (once)."""
        if entry.wasted:
            return
        entry.wasted = True
        if entry.task.done():
            self._count(entry, 1)
        else:
            entry.task.add_done_callback(
                lambda _task, entry=entry: self._count(entry, 1) if entry.wasted else None)

    def _count(self, entry: _Entry, sign: int) -> None:
        """Report ``entry``'s answer as wasted (``sign`` 1) or taken after all (-1)."""
        task = entry.task
        if task.cancelled() or task.exception() is not None:
            return  # no answer came: nothing billed that this side knows of
        cost = float(task.result().cost or 0.0)
        entry.counted = sign > 0
        self.stats["wasted"] += sign
        self.wasted_cost += sign * cost
        if self.on_waste is not None:
            self.on_waste(entry.name, sign, sign * cost)

    def ahead(self, first: int) -> int:
        """Answers waiting for records at or after ``first``: the ones not passed yet (kept in
        ``_order``, about a window of them), not every answer kept (up to ``limit``, most of
        them stale in a long run, and this is asked once per record predicted)."""
        entries = self._entries
        return sum(entry.record >= first and entries.get(entry.key) is entry
                   for entry in self._order)

    def drop_broken(self) -> None:
        """Forget requests that ended cancelled or aborted (a Pause): they are sent again."""
        for key, entry in list(self._entries.items()):
            task = entry.task
            if task.done() and (task.cancelled() or not isinstance(task.exception(), Exception
                                                                   | type(None))):
                del self._entries[key]
                self.stats["dropped"] += 1

    def cancel_unfinished(self) -> int:
        """Cancel every request not finished yet (a Pause: one still queued behind the rate
        limiter must not go out later); they are sent again when asked. How many."""
        unfinished = [e.task for e in self._entries.values() if not e.task.done()]
        for task in unfinished:
            task.cancel()
        return len(unfinished)

    def clear(self) -> None:
        """Forget every answer sent ahead; those not taken are wasted (a request still in
        flight is counted when it answers)."""
        self.stats["evicted"] += len(self._entries)
        for entry in self._entries.values():
            self._waste(entry)
        self._entries.clear()
        self._order.clear()

    async def settle(self) -> None:
        """Wait for every request still in flight (their answers stay here)."""
        running = [e.task for e in self._entries.values() if not e.task.done()]
        if running:
            await asyncio.gather(*running, return_exceptions=True)

    def report(self, first: int) -> dict[str, Any]:
        """``sent``, ``used`` by the ordered path, ``waiting`` for records at or after
        ``first``, ``stale`` (predicted for records already done: wasted unless asked again),
        ``evicted``, and ``wasted`` answers with their ``wasted_cost``."""
        waiting = self.ahead(first)
        return {"sent": self.stats["sent"], "used": self.stats["used"], "waiting": waiting,
                "stale": len(self._entries) - waiting, "evicted": self.stats["evicted"],
                "wasted": self.stats["wasted"], "wasted_cost": self.wasted_cost}
