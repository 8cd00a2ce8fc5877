"""Pause reaching a running chunk: ``Lab.interrupt`` stops it after the step in progress.

The engine runs in a Worker; the page's Pause arrives there as ``interrupt`` while a
chunk awaits (an LLM request), and the chunk ends with reason ``paused``.
"""

from __future__ import annotations

import asyncio
import json

import pytest
from test_app import call, loaded_lab, value

pytestmark = pytest.mark.needs_event_loop


class SlowLLM:
    """The simulated LLM behind a real await, as an HTTP provider would be."""

    def __init__(self, inner) -> None:
        self.inner = inner
        self.calls = 0

    def __getattr__(self, name: str):
        return getattr(self.inner, name)

    async def complete(self, request):
        self.calls += 1
        await asyncio.sleep(0.002)
        return await self.inner.complete(request)


async def test_interrupt_stops_the_running_chunk_after_its_current_step():
    lab = await loaded_lab()
    slow = SlowLLM(lab.executor.llm)
    lab.executor.llm = slow
    chunk = asyncio.ensure_future(call(lab, "run_chunk", 10_000, 60_000.0, None, None))
    while slow.calls < 3:
        await asyncio.sleep(0.001)
    assert await value(lab, "interrupt") == {"interrupting": True}
    result = (await chunk)["value"]
    assert result["reason"] == "paused"
    assert 0 < result["steps"] < 10_000
    assert result["step_count"] == result["steps"]


async def test_an_interrupt_with_no_chunk_running_does_not_stop_the_next_one():
    lab = await loaded_lab()
    assert await value(lab, "interrupt") == {"interrupting": False}
    result = await value(lab, "run_chunk", 20, 60_000.0, None, None)
    assert (result["reason"], result["steps"]) == ("done", 20)
    assert json.loads(await lab.call("step", "[3]"))["value"]["steps"] == 3
