"""Pause during a run with several LLM requests at once, through the buttons.

The OpenAI-compatible fake server (tests/unit/llm_fake_server.py) answers slowly. With
concurrency 4 the engine sends requests ahead of the steps; the first one gets a 429,
which halves the rate limiter's limit, so its retry waits in the limiter behind the three
slow requests in flight. Pause aborts those three; the queued retry, whose turn comes
right then, must not go out. Waits are counted polls of the server's request log, never
a duration: the requests the server holds cannot answer before the test releases them.
"""

from __future__ import annotations

import pytest
from test_lab import state

from unit.llm_fake_server import FakeLLMServer

pytestmark = pytest.mark.e2e

POLLS = 25  # looks at the server's request log after Pause, 40 ms apart


@pytest.fixture
def slow_server():
    server = FakeLLMServer(answer="tech", hang_s=120.0).start()
    yield server
    server.release.set()
    server.stop()


def received(server: FakeLLMServer) -> int:
    return len(server.requests)


def wait_for_requests(page, server: FakeLLMServer, count: int) -> None:
    checks = 0
    while received(server) < count:
        page.wait_for_timeout(20)
        checks += 1
        assert checks < 1500, f"the run sent {received(server)} requests, expected {count}"


def test_pause_sends_no_queued_request_and_resume_loses_nothing(app, slow_server):
    page = app
    page.evaluate("window.evomachine.loadExample('ticket-triage')")
    configured = page.evaluate("(c) => window.evomachine.setLLM(c)", {
        "provider": "openai", "base_url": f"{slow_server.base_url}/v1", "model": "local",
        "api_key": "sk-test-queued", "remember": False, "concurrency": 4})
    assert configured["ready"], configured
    slow_server.script.extend(["429"] + ["slow"] * 60)
    page.fill("#run-count", "5000")
    page.click("#run-btn")
    page.wait_for_function("document.getElementById('run-status').textContent.startsWith('Running')")
    # The 429 and three slow requests reached the server; the retry waits in the limiter
    # (its limit is 2 now, three are in flight) and stays there while they are held.
    wait_for_requests(page, slow_server, 4)
    for _ in range(10):
        page.wait_for_timeout(20)
        assert received(slow_server) == 4, slow_server.requests[4:]

    page.click("#pause-btn")
    page.wait_for_function(
        "document.getElementById('run-status').textContent.startsWith('Paused after')")
    # (the page says Paused as the run stops; the run ends once what it did is saved)
    page.wait_for_function("!window.evomachine.isRunning()")
    # Nothing more leaves for the provider once the page says Paused: not the queued retry,
    # not a request sent ahead for a later record.
    for _ in range(POLLS):
        assert received(slow_server) == 4, [body for _, _, body in slow_server.requests[4:]]
        page.wait_for_timeout(40)
    assert not slow_server.release.is_set()
    status = page.inner_text("#run-status")
    assert "The step at route was waiting for the LLM" in status, status
    paused = state(page)
    assert paused["current_node"] == "route"
    assert paused["metrics"]["route"]["execution_count"] == 0  # the interrupted step did not happen

    # Resume: the provider answers at once now; the run takes the same record again and every
    # step of it is there, none failed for the aborted requests.
    slow_server.script.clear()
    page.fill("#run-count", "12")
    page.click("#run-btn")
    page.wait_for_function(
        "document.getElementById('run-status').textContent.startsWith('Done after 12 steps')")
    resumed = state(page)
    assert resumed["step_count"] == paused["step_count"] + 12
    route = resumed["metrics"]["route"]
    # route -> a queue state -> ticket: the paused record is routed first, then three more
    assert route["execution_count"] == 4 and route["success_rate"] == 1.0
    assert resumed["input_cursor"] == paused["input_cursor"] + 4
    assert received(slow_server) > 4  # the resumed run asked the provider again
