"""Both HTTP providers through the real CPython transport against a local server on 127.0.0.1."""

from __future__ import annotations

import socket

import pytest
from llm_fake_server import FakeLLMServer

from evomachine.llm import AnthropicClient, LLMError, LLMRequest, OpenAICompatibleClient

pytestmark = [pytest.mark.cpython_only, pytest.mark.needs_event_loop]

KEY = "sk-ant-local-TEST-KEY-fedcba9876543210"
REQUEST = LLMRequest(prompt="Route: refund please", task="route",
                     output_schema={"enum": ["billing", "tech"]})
TIMEOUT_S = 0.3


@pytest.fixture
def server():
    fake = FakeLLMServer().start()
    yield fake
    fake.stop()


class Sleeps(list):
    async def __call__(self, seconds):
        self.append(seconds)


def clients(server: FakeLLMServer, **options):
    """One client per protocol, sharing options; backoff sleeps are recorded, not waited."""
    sleeps = Sleeps()
    common = dict(timeout_s=TIMEOUT_S, sleep=sleeps, **options)
    return sleeps, [
        AnthropicClient(KEY, "claude-haiku-4-5", base_url=server.base_url, **common),
        OpenAICompatibleClient(f"{server.base_url}/v1", "llama3.2", api_key=KEY, **common),
    ]


async def test_both_protocols_answer_with_usage(server):
    _, (claude, local) = clients(server)
    first = await claude.complete(REQUEST)
    second = await local.complete(REQUEST)
    assert (first.text, first.input_tokens, first.output_tokens) == ("billing", 21, 3)
    assert first.cost == pytest.approx((21 * 1.0 + 3 * 5.0) / 1e6)
    assert (second.text, second.input_tokens, second.output_tokens) == ("billing", 17, 2)
    assert second.cost == 0.0
    (path1, headers1, body1), (path2, headers2, body2) = server.requests
    assert path1 == "/v1/messages" and headers1["x-api-key"] == KEY
    assert headers1["anthropic-version"] == "2023-06-01" and "billing, tech" in body1["system"]
    assert path2 == "/v1/chat/completions" and headers2["authorization"] == f"Bearer {KEY}"
    assert headers2["content-type"] == "application/json" and body2["model"] == "llama3.2"


async def test_429_then_success(server):
    sleeps, (claude, local) = clients(server)
    server.script.extend(["429", "429"])
    assert (await claude.complete(REQUEST)).text == "billing"
    assert (await local.complete(REQUEST)).text == "billing"
    assert sleeps == [0.0, 0.0] and len(server.requests) == 4


async def test_500_until_retries_run_out(server):
    sleeps, (claude, _) = clients(server, max_retries=2)
    server.script.extend(["500"] * 3)
    with pytest.raises(LLMError) as caught:
        await claude.complete(REQUEST)
    assert caught.value.status == 500 and caught.value.retryable
    assert "boom" in caught.value.reason and len(server.requests) == 3 and sleeps == [0.5, 1.0]


async def test_a_hang_past_the_timeout_fails_fast(server):
    _, (claude, local) = clients(server, max_retries=0)
    for client in (claude, local):
        server.script.append("hang")
        with pytest.raises(LLMError, match=r"no answer within 0\.3 s") as caught:
            await client.complete(REQUEST)  # the timeout fired: the server would hold it longer
        assert caught.value.retryable and caught.value.status is None


async def test_a_hang_is_retried_then_succeeds(server):
    sleeps, (_, local) = clients(server, max_retries=1)
    server.script.append("hang")
    assert (await local.complete(REQUEST)).text == "billing"
    assert sleeps == [0.5]


async def test_malformed_json(server):
    _, (claude, local) = clients(server)
    for client in (claude, local):
        server.script.append("malformed")
        with pytest.raises(LLMError, match="malformed JSON") as caught:
            await client.complete(REQUEST)
        assert caught.value.status == 200 and not caught.value.retryable


async def test_bad_key_is_reported_without_the_key(server):
    _, (claude, local) = clients(server)
    for client in (claude, local):
        server.script.append("401")
        with pytest.raises(LLMError) as caught:
            await client.complete(REQUEST)
        error = caught.value
        assert error.status == 401 and not error.retryable and "check the API key" in error.reason
        assert KEY not in str(error) and KEY not in repr(error) and KEY not in repr(client)


async def test_nothing_listening_is_a_retryable_error():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    sleeps = Sleeps()
    client = OpenAICompatibleClient(f"http://127.0.0.1:{port}/v1", "m", timeout_s=TIMEOUT_S,
                                    max_retries=1, sleep=sleeps)
    with pytest.raises(LLMError, match="cannot connect") as caught:
        await client.complete(REQUEST)
    assert caught.value.retryable and sleeps == [0.5]


async def test_an_answer_over_four_mb_is_refused_once_not_taken():
    """A hostile endpoint's 150 MB answers were task outputs: stored four times each, they took
    the state past the browser's longest string, and an empty document was saved (rt10)."""
    big = FakeLLMServer(answer="x" * (5 * 1024 * 1024)).start()
    try:
        sleeps, clients_ = clients(big)
        for client in clients_:
            with pytest.raises(LLMError, match="answered more than 4 MB, which is refused"):
                await client.complete(REQUEST)
        assert len(big.requests) == 2 and sleeps == []  # not tried again
    finally:
        big.stop()
