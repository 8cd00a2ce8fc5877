"""The page's concurrency setting: chunks run with requests sent ahead, same outcome."""

from __future__ import annotations

import json

import pytest
from test_app import DATA, DSL, lab_over, run, value
from test_concurrency import timeless

pytestmark = pytest.mark.needs_event_loop


async def lab_with(settings: dict) -> object:
    lab = lab_over()
    await value(lab, "set_llm", json.dumps({"provider": "simulated", "accuracy": 0.9,
                                             "latency_ms": 0, **settings}))
    await value(lab, "load", DSL, DATA, "data.jsonl", "ticket-triage")
    return lab


async def test_concurrency_setting_sends_requests_ahead_and_changes_no_outcome():
    plain = await lab_with({})
    await run(plain, 900)
    assert plain.executor.concurrency == 1  # a simulated LLM that does not wait: nothing to overlap
    ahead = await lab_with({"wait": True, "concurrency": 4})
    await run(ahead, 900)
    assert ahead.executor.concurrency == 4
    assert ahead.executor.prefetch.stats["used"] > 50
    assert ahead.executor.llm.sleep is True
    one, four = await value(plain, "state"), await value(ahead, "state")
    assert four["stages"] == one["stages"]
    assert timeless(four["metrics"]) == timeless(one["metrics"])
    public = (await value(ahead, "state"))["llm"]
    assert public["concurrency"] == 4 and public["wait"] is True
