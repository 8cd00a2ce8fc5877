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
    assert await value(lab, "interrupt") == {"interrupting": True, "aborted": 0}
    result = (await chunk)["value"]
    assert result["reason"] == "paused"
    assert 0 < result["steps"] < 10_000
    assert result["step_count"] == result["steps"]


async def test_an_interrupt_with_no_chunk_running_does_not_stop_the_next_one():
    lab = await loaded_lab()
    assert await value(lab, "interrupt") == {"interrupting": False, "aborted": 0}
    result = await value(lab, "run_chunk", 20, 60_000.0, None, None)
    assert (result["reason"], result["steps"]) == ("done", 20)
    assert json.loads(await lab.call("step", "[3]"))["value"]["steps"] == 3


class NeverAnswers:
    """A provider that never answers; its request is abortable as the fetch transport's is."""

    def __init__(self, inner) -> None:
        self.inner = inner
        self.waiting = 0

    def __getattr__(self, name: str):
        return getattr(self.inner, name)

    async def complete(self, request):
        from evomachine.interrupts import Interrupted, in_flight

        answer: asyncio.Future = asyncio.get_running_loop().create_future()

        class Controller:
            def abort(self) -> None:
                answer.set_exception(Interrupted("paused while waiting"))

        self.waiting += 1
        with in_flight(Controller()):
            return await answer


async def test_pause_aborts_a_request_that_never_answers_and_the_step_runs_again():
    lab = await loaded_lab()
    simulated = lab.executor.llm
    lab.executor.llm = NeverAnswers(simulated)
    chunk = asyncio.ensure_future(call(lab, "run_chunk", 10_000, 60_000.0, None, None))
    while not lab.executor.llm.waiting:
        await asyncio.sleep(0.001)
    ex = lab.executor
    before = (ex.step_count, ex.input_cursor, ex.current_node,
              ex.get_task_metrics()["route"]["execution_count"])
    assert await value(lab, "interrupt") == {"interrupting": True, "aborted": 1}
    result = (await chunk)["value"]
    assert (result["reason"], result["interrupted_node"]) == ("paused", "route")
    # The interrupted step did not happen: no step, no execution, the same input waits.
    assert (ex.step_count, ex.input_cursor, ex.current_node,
            ex.get_task_metrics()["route"]["execution_count"]) == before
    ex.llm = simulated
    again = await value(lab, "step", 1)
    assert again["results"][0]["node"] == "route" and again["results"][0]["error"] is None
    assert ex.input_cursor == before[1]
    assert ex.get_task_metrics()["route"]["execution_count"] == before[3] + 1


async def test_pause_during_a_synthesis_stops_it_and_the_check_runs_again(monkeypatch):
    """Pause pressed while a synthesis runs stops it at its next cooperative pause: the chunk
    ends after that step ("paused"), the execution it followed is kept once, and the next
    run synthesizes at its first check."""
    from evomachine.cooperate import pause
    from evomachine.evolution.synthesis import select

    lab = await loaded_lab()
    pressed: list[dict] = []

    async def pause_pressed_meanwhile() -> None:
        if not pressed:
            pressed.append(await value(lab, "interrupt"))
        await pause()

    monkeypatch.setattr(select, "pause", pause_pressed_meanwhile)
    result = await value(lab, "run_chunk", 3_000, 600_000.0, None, None)
    assert pressed == [{"interrupting": True, "aborted": 0}]
    assert result["reason"] == "paused" and result["stages"] == {"route": "llm_only"}
    ex = lab.executor
    state, history = ex.tasks["route"], ex.histories["route"]
    assert state.last_synthesis is None  # stopped before it finished
    assert [r.seq for r in history.recent] == list(range(1, history.seen + 1))  # none twice
    seen = history.seen
    result = await value(lab, "run_chunk", 3, 600_000.0, None, None)
    assert result["steps"] == 3 and state.last_synthesis["at"] == seen + 1


class ThreeSlots:
    """A provider behind a limiter of three slots: three requests hang in flight (abortable),
    the rest queue for a slot. A queued request given its slot takes a few turns of the loop
    before it goes out, as the real one does (limiter gate, request building), and is not
    sent if Pause is pressed by then, as the fetch transport does."""

    def __init__(self, inner) -> None:
        self.inner = inner
        self.sent = 0
        self.in_flight = 0
        self.freed = asyncio.Event()

    def __getattr__(self, name: str):
        return getattr(self.inner, name)

    async def complete(self, request):
        from evomachine.interrupts import Interrupted, in_flight, pause_requested

        while self.in_flight >= 3:
            self.freed.clear()
            await self.freed.wait()
        self.in_flight += 1
        try:
            for _ in range(5):
                await asyncio.sleep(0)
            if pause_requested():
                raise Interrupted("paused before sending")
            self.sent += 1
            answer: asyncio.Future = asyncio.get_running_loop().create_future()

            class Controller:
                def abort(self) -> None:
                    if not answer.done():
                        answer.set_exception(Interrupted("paused while waiting"))

            with in_flight(Controller()):
                return await answer
        finally:
            self.in_flight -= 1
            self.freed.set()


async def test_a_request_queued_ahead_is_not_sent_after_pause_ends_the_chunk(monkeypatch):
    """Pause aborts the three requests in flight; a request sent ahead for a later record and
    queued behind them gets its slot only as the chunk ends. It must not go out then (the
    page says Paused; found by a CI run of e2e test_pause_queued under load)."""
    from evomachine.app.llm_config import LLMConfig

    monkeypatch.setattr(LLMConfig, "run_concurrency", lambda self: 4)
    lab = await loaded_lab()
    provider = ThreeSlots(lab.executor.llm)
    lab.executor.llm = provider
    chunk = asyncio.ensure_future(call(lab, "run_chunk", 10_000, 60_000.0, None, None))
    while provider.sent < 3:
        await asyncio.sleep(0)
    for _ in range(20):
        await asyncio.sleep(0)
    assert provider.sent == 3  # the fourth waits for a slot
    assert await value(lab, "interrupt") == {"interrupting": True, "aborted": 3}
    result = (await chunk)["value"]
    assert result["reason"] == "paused"
    for _ in range(50):
        await asyncio.sleep(0)
    assert provider.sent == 3
    assert provider.in_flight == 0


class OneSlot:
    """A provider that answers one request at a time, a few loop turns each; the rest queue
    for the slot and go out when they get it."""

    def __init__(self, inner) -> None:
        self.inner = inner
        self.sent = 0
        self.busy = False
        self.freed = asyncio.Event()

    def __getattr__(self, name: str):
        return getattr(self.inner, name)

    async def complete(self, request):
        while self.busy:
            self.freed.clear()
            await self.freed.wait()
        self.busy = True
        try:
            self.sent += 1
            for _ in range(10):
                await asyncio.sleep(0)
            return await self.inner.complete(request)
        finally:
            self.busy = False
            self.freed.set()


async def test_pause_between_chunks_stops_the_requests_sent_ahead(monkeypatch):
    """The page's Pause often comes between chunks (the page saving, drawing): no chunk runs,
    yet requests sent ahead for later records were queued and went out one by one after
    Pause (found by review)."""
    from evomachine.app.llm_config import LLMConfig

    monkeypatch.setattr(LLMConfig, "run_concurrency", lambda self: 4)
    lab = await loaded_lab()
    provider = OneSlot(lab.executor.llm)
    lab.executor.llm = provider
    # A budget of 0 ms ends the chunk after its first step, whatever the clock says, as the
    # page's 30 ms budget ends most chunks: with most of a run still ahead of it.
    result = await value(lab, "run_chunk", 10_000, 0.0, None, None)
    assert (result["reason"], result["steps"]) == ("budget", 1)
    waiting = [e.task for e in lab.executor.prefetch._entries.values() if not e.task.done()]
    assert len(waiting) >= 2  # sent ahead, one with the provider and the rest queued for it
    assert await value(lab, "interrupt") == {"interrupting": False, "aborted": 0}
    sent = provider.sent
    for _ in range(500):
        await asyncio.sleep(0)
    assert provider.sent == sent
    again = await value(lab, "run_chunk", 30, 60_000.0, None, None)  # resumes: sent again
    assert again["reason"] == "done" and again["failed"] == 0


@pytest.mark.parametrize("at", [2, 5])
async def test_pause_while_a_step_is_about_to_take_its_request_ends_the_chunk_paused(
        monkeypatch, at):
    """Pause landed while a step awaited something (a code run in the sandbox) just before it
    took its own request sent ahead: cancelling that request made the chunk fail with
    CancelledError instead of ending "paused" (found by review of 6fb3b6d)."""
    from evomachine.app.llm_config import LLMConfig

    monkeypatch.setattr(LLMConfig, "run_concurrency", lambda self: 4)
    lab = await loaded_lab()
    ex = lab.executor
    ex.llm = OneSlot(ex.llm)
    original, asked = ex.ask_llm, []

    async def ask_llm(spec, input):
        asked.append(1)
        await asyncio.sleep(0)  # as a code run across the sandbox boundary awaits
        if len(asked) == at:
            await value(lab, "interrupt")
        return await original(spec, input)

    ex.ask_llm = ask_llm
    reply = await call(lab, "run_chunk", 200, 60_000.0, None, None)
    assert reply["ok"], reply
    assert reply["value"]["reason"] == "paused"
