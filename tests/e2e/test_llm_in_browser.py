"""The HTTP providers from the page: Pyodide's fetch transport against a local server.

A server on another 127.0.0.1 port speaks the OpenAI chat-completions and the
Anthropic Messages protocols (with CORS, as real local servers such as Ollama
can be configured to); the page calls it through ``pyodide.http.pyfetch``.
"""

from __future__ import annotations

import json

import pytest

from unit.llm_fake_server import FakeLLMServer

pytestmark = pytest.mark.e2e

KEY = "sk-test-NEVER-EXPORTED-1234"


@pytest.fixture
def llm_server():
    server = FakeLLMServer(answer="tech").start()
    yield server
    server.stop()


def call(app, expression: str, *args):
    return app.evaluate(f"(args) => window.evomachine.{expression}", list(args))


def test_openai_compatible_provider_answers_tasks_from_the_browser(app, llm_server):
    call(app, "loadExample(args[0])", "ticket-triage")
    configured = call(app, "setLLM(args[0])", {
        "provider": "openai", "base_url": f"{llm_server.base_url}/v1", "model": "local-model",
        "api_key": KEY, "remember": False})
    assert configured["ready"], configured
    result = call(app, "step(args[0])", 6)
    outputs = [r["output"] for r in result["results"] if r["node"] == "route"]
    assert outputs and set(outputs) == {"tech"}
    path, headers, body = llm_server.requests[-1]
    assert path == "/v1/chat/completions"
    assert headers["authorization"] == f"Bearer {KEY}"
    assert body["model"] == "local-model"
    state = call(app, "state()")
    assert state["metrics"]["route"]["llm_calls"] == len(outputs)
    assert KEY not in json.dumps(state)
    assert KEY not in call(app, "exportState()")


def test_anthropic_provider_and_a_failing_server_give_failed_executions_not_a_crash(
        app, llm_server):
    call(app, "loadExample(args[0])", "ticket-triage")
    # One request at a time: with requests sent ahead, the record after these two would be
    # answered before the server starts failing.
    call(app, "setLLM(args[0])", {"provider": "anthropic", "base_url": llm_server.base_url,
                                  "model": "claude-test", "api_key": KEY, "concurrency": 1})
    result = call(app, "step(args[0])", 2)
    assert [r["output"] for r in result["results"] if r["node"] == "route"] == ["tech"]
    path, headers, _ = llm_server.requests[-1]
    assert path == "/v1/messages" and headers["x-api-key"] == KEY

    llm_server.script.extend(["500"] * 10)
    result = call(app, "step(args[0])", 3)  # back through the queue and the input to route
    route = [r for r in result["results"] if r["node"] == "route"]
    assert route and route[0]["error"], result
    assert "500" in route[0]["error"] and KEY not in route[0]["error"]
    assert call(app, "state()")["metrics"]["route"]["success_rate"] < 1.0


def test_an_answer_over_four_mb_is_a_failed_execution_not_a_task_output(app):
    """A hostile endpoint's 60 MB answers were stored as outputs until the state document
    passed the browser's longest string and was saved empty (rt10)."""
    server = FakeLLMServer(answer="x" * (5 * 1024 * 1024)).start()
    try:
        call(app, "loadExample(args[0])", "ticket-triage")
        call(app, "setLLM(args[0])", {"provider": "openai", "base_url": f"{server.base_url}/v1",
                                      "model": "m", "api_key": KEY, "concurrency": 1})
        result = call(app, "step(args[0])", 2)
        [route] = [r for r in result["results"] if r["node"] == "route"]
        assert route["output"] is None and "answered more than 4 MB" in route["error"]
        assert len(server.requests) == 1  # refused once, not tried again
    finally:
        server.stop()
