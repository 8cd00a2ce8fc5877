"""HTTP providers against the mock transport: request shapes, retries, errors, secrets, prices."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from evomachine import _compat
from evomachine.llm import (
    AnthropicClient,
    LLMClient,
    LLMError,
    LLMRequest,
    OpenAICompatibleClient,
    PriceTable,
    TransportError,
)
from evomachine.llm._http import RedactedHeaders, retry_after
from evomachine.llm.mock_transport import scripted
from evomachine.llm.prompting import answer_instruction
from evomachine.llm.transport import default_transport

KEY = "sk-test-SECRET-0123456789abcdef"
ENUM_REQUEST = LLMRequest(prompt="Route: my bill is wrong", task="route",
                          output_schema={"enum": ["billing", "tech", "sales"]})


def anthropic_ok(text="billing", model="claude-sonnet-4-20250514", usage=True):
    data = {"model": model, "content": [{"type": "text", "text": text}]}
    if usage:
        data["usage"] = {"input_tokens": 1000, "output_tokens": 10}
    return 200, {}, json.dumps(data)


def openai_ok(text="tech", model="gpt-4o-mini-2024-07-18", usage=True):
    data = {"model": model, "choices": [{"message": {"role": "assistant", "content": text}}]}
    if usage:
        data["usage"] = {"prompt_tokens": 2000, "completion_tokens": 5}
    return 200, {}, json.dumps(data)


def error(status, message="nope", headers=None):
    return status, headers or {}, json.dumps({"error": {"message": message}})


class Sleeps(list):
    async def __call__(self, seconds):
        self.append(seconds)


def anthropic(*answers, **options):
    transport, sleeps = scripted(*answers), Sleeps()
    client = AnthropicClient(KEY, "claude-sonnet-4-20250514", transport=transport, sleep=sleeps,
                             **options)
    return client, transport, sleeps


def openai(*answers, api_key=KEY, **options):
    transport, sleeps = scripted(*answers), Sleeps()
    client = OpenAICompatibleClient("https://api.openai.com/v1/", "gpt-4o-mini", api_key=api_key,
                                    transport=transport, sleep=sleeps, **options)
    return client, transport, sleeps


# --- request shapes ------------------------------------------------------------------


async def test_anthropic_request_shape_and_usage():
    client, transport, _ = anthropic(anthropic_ok())
    response = await client.complete(ENUM_REQUEST)
    url, headers, body, timeout_s = transport.requests[0]
    assert url == "https://api.anthropic.com/v1/messages"
    assert headers["x-api-key"] == KEY and headers["anthropic-version"] == "2023-06-01"
    assert body["model"] == "claude-sonnet-4-20250514" and body["max_tokens"] == 1024
    assert body["messages"] == [{"role": "user", "content": ENUM_REQUEST.prompt}]
    assert "exactly one of these values" in body["system"]
    assert "billing, tech, sales" in body["system"]
    assert "temperature" not in body and timeout_s == 60.0
    assert (response.text, response.input_tokens, response.output_tokens) == ("billing", 1000, 10)
    assert response.model == "claude-sonnet-4-20250514"
    assert response.cost == pytest.approx((1000 * 3.0 + 10 * 15.0) / 1e6)
    assert response.latency_ms >= 0


async def test_openai_request_shape_and_usage():
    client, transport, _ = openai(openai_ok(), temperature=0.0)
    response = await client.complete(ENUM_REQUEST)
    url, headers, body, _ = transport.requests[0]
    assert url == "https://api.openai.com/v1/chat/completions"
    assert headers == {"Authorization": f"Bearer {KEY}"}
    assert body["messages"][0]["role"] == "system"
    assert "billing, tech, sales" in body["messages"][0]["content"]
    assert body["messages"][1] == {"role": "user", "content": ENUM_REQUEST.prompt}
    assert body["temperature"] == 0.0 and body["stream"] is False
    assert (response.text, response.input_tokens, response.output_tokens) == ("tech", 2000, 5)
    assert response.cost == pytest.approx((2000 * 0.15 + 5 * 0.6) / 1e6)  # prefix gpt-4o-mini


async def test_local_server_without_key_sends_no_authorization_and_costs_nothing():
    client, transport, _ = openai(openai_ok(model="llama3.2"), api_key=None)
    response = await client.complete(ENUM_REQUEST)
    assert transport.requests[0][1] == {}
    assert response.cost == 0.0 and response.model == "llama3.2"


async def test_request_model_and_max_tokens_override_the_client():
    client, transport, _ = anthropic(anthropic_ok(model="claude-haiku-4-5"))
    request = ENUM_REQUEST.model_copy(update={"model": "claude-haiku-4-5", "max_tokens": 8})
    await client.complete(request)
    body = transport.requests[0][2]
    assert (body["model"], body["max_tokens"]) == ("claude-haiku-4-5", 8)


async def test_codegen_and_schemaless_requests_get_no_answer_instruction():
    client, transport, _ = anthropic(anthropic_ok(), anthropic_ok())
    await client.complete(LLMRequest(prompt="write code", task="route", purpose="codegen",
                                     output_schema={"enum": ["a"]}))
    await client.complete(LLMRequest(prompt="say hi", task="greet"))
    assert all("system" not in body for _, _, body, _ in transport.requests)


async def test_missing_usage_is_estimated_from_text():
    client, _, _ = openai(openai_ok(text="x" * 40, usage=False))
    response = await client.complete(LLMRequest(prompt="p" * 80, task="t"))
    assert (response.input_tokens, response.output_tokens) == (20, 10)


def test_clients_are_llm_clients():
    assert isinstance(anthropic()[0], LLMClient) and isinstance(openai()[0], LLMClient)


def test_for_server_knows_local_servers():
    client = OpenAICompatibleClient.for_server("ollama", "llama3.2", transport=scripted())
    assert client.base_url == "http://localhost:11434/v1" and not client.has_api_key
    with pytest.raises(ValueError, match="unknown server 'olama'"):
        OpenAICompatibleClient.for_server("olama", "x")


@pytest.mark.parametrize("bad", [dict(base_url="api.example.com"), dict(timeout_s=0),
                                 dict(max_retries=-1)])
def test_invalid_settings_are_rejected(bad):
    options = {"base_url": "https://x", **bad}
    with pytest.raises(ValueError):
        OpenAICompatibleClient(options.pop("base_url"), "m", transport=scripted(), **options)


def test_anthropic_needs_a_key():
    with pytest.raises(ValueError, match="needs an API key"):
        AnthropicClient("", "claude-sonnet-4", transport=scripted())


# --- retries and errors --------------------------------------------------------------


async def test_429_honours_retry_after_then_succeeds():
    client, transport, sleeps = anthropic(error(429, headers={"retry-after": "2"}), anthropic_ok())
    assert (await client.complete(ENUM_REQUEST)).text == "billing"
    assert sleeps == [2.0] and len(transport.requests) == 2


async def test_5xx_backs_off_exponentially_then_gives_up():
    client, transport, sleeps = openai(error(500), error(502), error(503), max_retries=2)
    with pytest.raises(LLMError) as caught:
        await client.complete(ENUM_REQUEST)
    assert sleeps == [0.5, 1.0] and len(transport.requests) == 3
    assert caught.value.status == 503 and caught.value.retryable
    assert "gave up after 3 attempts" in caught.value.reason
    assert "server error (HTTP 503)" in caught.value.reason


async def test_backoff_is_capped():
    client, _, sleeps = openai(error(500), error(500), error(500), openai_ok(), max_retries=3,
                               backoff_s=1.0, max_backoff_s=1.5)
    await client.complete(ENUM_REQUEST)
    assert sleeps == [1.0, 1.5, 1.5]


async def test_client_errors_are_not_retried():
    client, transport, sleeps = openai(error(400, "max_tokens too large"))
    with pytest.raises(LLMError, match=r"HTTP 400\): max_tokens too large") as caught:
        await client.complete(ENUM_REQUEST)
    assert not caught.value.retryable and sleeps == [] and len(transport.requests) == 1


async def test_404_names_the_model_and_base_url():
    client, _, _ = openai(error(404, "model not found"))
    with pytest.raises(LLMError, match="check the base URL and the model name 'gpt-4o-mini'"):
        await client.complete(ENUM_REQUEST)


async def test_network_errors_are_retried_and_reported():
    client, transport, _ = anthropic(
        TransportError("cannot connect: refused"),
        TransportError("no answer within 60 s", timeout=True),
        max_retries=1,
    )
    with pytest.raises(LLMError, match=r"no answer within 60 s \(gave up after 2") as caught:
        await client.complete(ENUM_REQUEST)
    assert caught.value.retryable and caught.value.status is None and len(transport.requests) == 2


@pytest.mark.parametrize("text", ["{not json", "", "<html>502 Bad Gateway</html>"])
async def test_malformed_json_is_a_clear_error(text):
    client, transport, _ = anthropic((200, {}, text))
    with pytest.raises(LLMError, match="malformed JSON") as caught:
        await client.complete(ENUM_REQUEST)
    assert caught.value.status == 200 and len(transport.requests) == 1


@pytest.mark.parametrize("payload", [{"content": "oops"}, {"choices": []}, [1, 2]])
async def test_unexpected_shapes_are_clear_errors(payload):
    client, _, _ = openai((200, {}, json.dumps(payload)))
    with pytest.raises(LLMError, match="unexpected shape"):
        await client.complete(ENUM_REQUEST)


# --- secrets -------------------------------------------------------------------------


async def test_the_key_never_shows():
    echo = f"invalid key {KEY}"
    client, _, _ = anthropic(error(401, echo), (500, {}, f"proxy says {KEY}"), error(500, KEY),
                             max_retries=1)
    texts = [repr(client), str(client), json.dumps(client.describe()), repr(vars(client))]
    for _ in range(2):
        with pytest.raises(LLMError) as caught:
            await client.complete(ENUM_REQUEST)
        texts += [str(caught.value), caught.value.reason, repr(caught.value.args)]
    assert "check the API key" in texts[4]
    assert all(KEY not in text for text in texts)
    assert client.describe()["api_key_set"] is True


def test_redacted_headers_hide_credentials_in_repr():
    headers = RedactedHeaders({"x-api-key": KEY, "Authorization": f"Bearer {KEY}", "a": "b"})
    assert KEY not in repr(headers) and "'a': 'b'" in repr(headers)
    assert headers["x-api-key"] == KEY


# --- helpers -------------------------------------------------------------------------


def test_retry_after_forms():
    assert retry_after({"retry-after": "3"}) == 3.0
    assert retry_after({"retry-after-ms": "250", "retry-after": "9"}) == 0.25
    assert retry_after({}) is None and retry_after({"retry-after": "soon"}) is None
    later = format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
    assert 25 <= retry_after({"retry-after": later}) <= 31


def test_answer_instructions():
    assert "billing, tech" in answer_instruction({"enum": ["billing", "tech"]})
    assert "single number" in answer_instruction({"type": "number"})
    assert "JSON object" in answer_instruction({"type": "object"})
    assert answer_instruction(None) is None
    both = answer_instruction({"anyOf": [{"enum": ["none"]}, {"type": "number"}]})
    assert "none" in both and "number" in both


def test_price_table_prefix_unknown_and_user_prices():
    table = PriceTable.with_defaults()
    assert table.price_for("gpt-4o-mini-2024-07-18") == table.price_for("gpt-4o-mini")
    assert table.price_for("gpt-4o-2024-08-06").input_per_mtok == 2.5
    assert table.cost("llama3.2:3b", 10**6, 10**6) == 0.0
    table.set("llama3.2", 0.1, 0.2)
    assert table.cost("llama3.2:3b", 10**6, 10**6) == pytest.approx(0.3)
    assert PriceTable.model_validate(table.model_dump()) == table


def test_transport_is_chosen_once_by_platform(monkeypatch):
    in_browser = sys.platform == "emscripten"
    expected = "FetchTransport" if in_browser else "UrllibTransport"
    assert type(default_transport()).__name__ == expected
    if not in_browser:
        monkeypatch.setattr(_compat, "IN_PYODIDE", True)  # the runtime, as the door decides it
        assert type(default_transport()).__name__ == "FetchTransport"


def test_lazy_exports_and_unknown_name():
    import evomachine.llm as llm

    assert llm.AnthropicClient is AnthropicClient
    with pytest.raises(AttributeError, match="nothing"):
        llm.nothing  # noqa: B018


def test_keys_are_stripped_and_header_unsafe_keys_rejected_without_echo():
    client = OpenAICompatibleClient("https://x/v1", "m", api_key=f"  {KEY}\n",
                                    transport=scripted())
    assert client._key() == KEY
    assert not OpenAICompatibleClient("https://x/v1", "m", api_key="  ",
                                      transport=scripted()).has_api_key
    with pytest.raises(ValueError, match="paste it again") as caught:
        AnthropicClient("sk-ant-ünïcode-SECRET", "m", transport=scripted())
    assert "SECRET" not in str(caught.value)


class BrokenTransport:
    async def post_json(self, url, headers, body, timeout_s):
        raise RuntimeError(f"bug while sending {headers['x-api-key']}")


async def test_a_broken_transport_becomes_an_llm_error_without_the_key():
    client = AnthropicClient(KEY, "claude-sonnet-4", transport=BrokenTransport())
    with pytest.raises(LLMError, match="transport failed: RuntimeError") as caught:
        await client.complete(ENUM_REQUEST)
    assert KEY not in str(caught.value) and not caught.value.retryable
