"""Cooperative pauses: loop-free by default, real sleeps when a host opts in; counted checks
inside long synchronous work; waits that Pause ends at once; decisions unchanged by checks."""

from __future__ import annotations

import asyncio

import pytest
from test_synthesis_data import ROUTE, keyword_records

from aio import drive
from evomachine import cooperate
from evomachine.evolution.synthesis import synthesize
from evomachine.interrupts import Interrupted, request_pause


@pytest.fixture(autouse=True)
def default_pause():
    yield
    cooperate.set_pause_seconds(0)
    request_pause(False)


def test_the_default_pause_needs_no_event_loop():
    assert drive(cooperate.pause()) is None


@pytest.mark.needs_event_loop
def test_a_host_with_a_loop_gets_real_sleeps():
    cooperate.set_pause_seconds(0.02)
    loop = asyncio.new_event_loop()
    try:
        started = loop.time()
        loop.run_until_complete(cooperate.pause())
        assert loop.time() - started >= 0.015
    finally:
        loop.close()
    cooperate.set_pause_seconds(-1)
    assert drive(cooperate.pause()) is None


def test_a_checkpoint_without_pause_never_stops_the_work():
    for _ in range(3 * cooperate.CHECK_EVERY):
        cooperate.checkpoint()


def test_a_checkpoint_stops_the_work_within_check_every_units_of_pause():
    request_pause(True)
    done = 0
    with pytest.raises(Interrupted, match="paused"):
        while done <= cooperate.CHECK_EVERY:
            cooperate.checkpoint(7)
            done += 7
    assert done <= cooperate.CHECK_EVERY
    request_pause(False)
    for _ in range(2 * cooperate.CHECK_EVERY):
        cooperate.checkpoint()


def test_a_pause_pressed_before_an_interruptible_wait_stops_it_unstarted():
    started = []

    async def work() -> int:
        started.append(True)
        return 1

    request_pause(True)
    with pytest.raises(Interrupted):
        drive(cooperate.interruptible(work()))
    assert started == []
    request_pause(False)
    assert drive(cooperate.interruptible(work())) == 1  # no host: a plain await


@pytest.mark.needs_event_loop
async def test_pause_ends_an_interruptible_wait_and_the_work_finishes_on_its_own():
    cooperate.set_pause_seconds(0.001)  # a host that takes Pause while the engine waits
    release = asyncio.get_running_loop().create_future()
    finished = []

    async def sandbox_call() -> str:
        await release
        finished.append(True)
        raise RuntimeError("nobody is waiting for this any more")

    waiting = asyncio.ensure_future(cooperate.interruptible(sandbox_call()))
    for _ in range(3):
        await asyncio.sleep(0)
    assert not waiting.done()
    request_pause(True)
    with pytest.raises(Interrupted):
        await waiting
    release.set_result(None)
    for _ in range(3):
        await asyncio.sleep(0)
    assert finished == [True]  # its failure was retrieved: no "never retrieved" warning


@pytest.mark.needs_event_loop
async def test_an_interruptible_wait_without_pause_returns_the_value():
    cooperate.set_pause_seconds(0.001)

    async def answer() -> int:
        await asyncio.sleep(0)
        return 42

    assert await cooperate.interruptible(answer()) == 42


async def test_checks_in_a_synthesis_change_no_decision(monkeypatch):
    """A look at Pause every unit of work, or none, gives the same code from the same seed;
    Pause during the synthesis stops it, and it gives that code again afterwards."""
    records = keyword_records(240, accuracy=0.95)
    plain = await synthesize(ROUTE, records, seed=3)
    monkeypatch.setattr(cooperate, "CHECK_EVERY", 1)
    looked = await synthesize(ROUTE, records, seed=3)
    assert (looked.code, looked.synthesizer, looked.scores.keys()) == \
        (plain.code, plain.synthesizer, plain.scores.keys())
    request_pause(True)
    with pytest.raises(Interrupted):
        await synthesize(ROUTE, records, seed=3, synthesizers=["naive_bayes", "linear"])
    request_pause(False)
    again = await synthesize(ROUTE, records, seed=3)
    assert again.code == plain.code
