"""Cooperative pauses: loop-free by default, real sleeps when a host opts in."""

from __future__ import annotations

import asyncio

import pytest

from aio import drive
from evomachine import cooperate


@pytest.fixture(autouse=True)
def default_pause():
    yield
    cooperate.set_pause_seconds(0)


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
