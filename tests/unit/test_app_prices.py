"""The lab's price table: defaults with their date, the user's prices over them, real costs."""

from __future__ import annotations

import json

import pytest
from test_app import DATA, DSL, call, value

from evomachine.app import Lab
from evomachine.app.llm_config import build_client, parse_config
from evomachine.llm.prices import DEFAULT_PRICES, DEFAULTS_AS_OF
from evomachine.storage import MemoryStorage

LOCAL = {"provider": "openai", "base_url": "http://127.0.0.1:9/v1", "model": "llama3.2"}


async def test_the_defaults_are_listed_with_their_date_and_an_unknown_model_is_named():
    lab = Lab(MemoryStorage())
    await value(lab, "set_llm", json.dumps(LOCAL))
    table = await value(lab, "prices")
    assert table["as_of"] == DEFAULTS_AS_OF and table["model"] == "llama3.2"
    assert table["model_known"] is False and table["model_price"] == [0.0, 0.0]
    rows = {r["model"]: r for r in table["rows"]}
    assert set(rows) == set(DEFAULT_PRICES)
    assert rows["gpt-4o"]["input"] == 2.5 and rows["gpt-4o"]["yours"] is False


async def test_prices_set_in_the_page_price_the_calls_and_survive_a_reopen():
    storage = MemoryStorage()
    lab = Lab(storage)
    await value(lab, "set_llm", json.dumps(LOCAL))
    await value(lab, "load", DSL, DATA, "data.jsonl", "ticket-triage")
    table = await value(lab, "set_prices", json.dumps({"llama3.2": [0.2, 0.6],
                                                       "gpt-4o": [2.5, 10.0]}))
    rows = {r["model"]: r for r in table["rows"]}
    assert table["model_known"] is True and table["model_price"] == [0.2, 0.6]
    assert rows["llama3.2"]["yours"] is True and rows["llama3.2"]["default"] is None
    assert rows["gpt-4o"]["yours"] is False  # equal to the list price: not kept as the user's
    config = parse_config(lab.llm_public())
    client = build_client(config.model_copy(update={"api_key": None}), [], None)
    assert client.prices.cost("llama3.2", 1_000_000, 1_000_000) == pytest.approx(0.8)
    assert client.prices.cost("gpt-4o-mini", 1_000_000, 0) == pytest.approx(0.15)
    again = Lab(storage)  # a fresh page over the same storage
    await again._restore()
    assert (await value(again, "prices"))["model_price"] == [0.2, 0.6]


@pytest.mark.parametrize(("prices", "needle"), [
    ({"m": [1]}, "must be [input, output]"),
    ({"m": ["1", 2]}, "must be [input, output]"),
    ({"m": [-1, 2]}, "between 0 and"),
    ({"m": [1e9, 2]}, "between 0 and"),
    ({"": [1, 2]}, "1 to 200 characters"),
    ([1, 2], "must be an object"),
])
async def test_bad_prices_are_refused_and_change_nothing(prices, needle):
    lab = Lab(MemoryStorage())
    await value(lab, "set_llm", json.dumps(LOCAL))
    reply = await call(lab, "set_prices", json.dumps(prices))
    assert reply["ok"] is False and needle in reply["error"], reply
    assert (await value(lab, "prices"))["model_known"] is False


def test_anthropic_without_a_model_uses_the_default_and_openai_still_needs_one():
    from evomachine.app.llm_config import DEFAULT_MODELS, parse_config

    assert parse_config({"provider": "anthropic", "model": " "}).model == \
        DEFAULT_MODELS["anthropic"] == "claude-haiku-4-5"
    assert parse_config({"provider": "anthropic", "model": "claude-sonnet-4-5"}).model == \
        "claude-sonnet-4-5"
    assert parse_config({"provider": "openai", "base_url": "http://127.0.0.1:9/v1"}).model is None
