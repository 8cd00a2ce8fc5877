"""What an LLM endpoint says about its usage and model is checked before it is believed.

Found: ``usage`` tokens as text raised a raw TypeError out of ``complete()``, 1e308 a raw
pydantic ValidationError, a usage that is a list or text an AttributeError, a model name
that is a dict or a number TypeError/AttributeError; negative token counts gave a negative
cost (-$150 for one call: the run's spending and savings are then wrong) and 10**30 tokens
a cost of $1.5e23; a model name of 100,000 characters was kept as the response's model.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from evomachine.llm import LLMError, LLMRequest, OpenAICompatibleClient
from evomachine.llm.mock_transport import scripted

REQUEST = LLMRequest(prompt="Route: my bill is wrong", task="route",
                     output_schema={"enum": ["billing", "tech", "sales"]})


async def complete(usage: Any, model: Any = "gpt-4o-mini") -> Any:
    data = {"model": model, "choices": [{"message": {"content": "billing"}}], "usage": usage}
    client = OpenAICompatibleClient("https://api.openai.com/v1/", "gpt-4o-mini",
                                    api_key="sk-test-0123456789",
                                    transport=scripted((200, {}, json.dumps(data))),
                                    max_retries=0)
    return await client.complete(REQUEST)


@pytest.mark.parametrize("tokens", ["5", -1_000_000_000, 1e308, 10**30, True, [1], 2.5])
async def test_usage_that_is_not_a_plausible_count_is_estimated_instead(tokens):
    response = await complete({"prompt_tokens": tokens, "completion_tokens": tokens})
    assert type(response.input_tokens) is int and 0 < response.input_tokens < 10_000
    assert type(response.output_tokens) is int and 0 < response.output_tokens < 10_000
    assert 0 <= response.cost < 0.01


@pytest.mark.parametrize("usage", [[1, 2], "abc", 7])
async def test_a_usage_that_is_not_an_object_is_estimated_or_a_clear_error(usage):
    try:
        response = await complete(usage)
    except LLMError as error:
        assert "unexpected shape" in str(error)
    else:
        assert 0 <= response.cost < 0.01


@pytest.mark.parametrize("model", [{"x": 1}, 7, None, "x" * 100_000])
async def test_a_model_name_that_is_not_a_short_text_is_not_taken(model):
    response = await complete({"prompt_tokens": 5, "completion_tokens": 1}, model)
    assert isinstance(response.model, str) and len(response.model) <= 200
    assert 0 <= response.cost < 0.01
