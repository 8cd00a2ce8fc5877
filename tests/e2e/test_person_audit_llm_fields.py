"""The LLM form as a person edits it: a simulated field left empty is refused, not read as 0.
The page took an emptied Accuracy as 0 (and an emptied price or latency as 0, an emptied
Concurrency as 1) and said "LLM settings in use." with the status showing "0% accurate".
A field of the provider not shown never blocks the form."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Page

from conftest import fresh_lab

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def lab(browser, server) -> Iterator[Page]:
    yield from fresh_lab(browser, server)


def llm(page: Page) -> dict:
    return page.evaluate("window.evomachine.state()")["llm"]


@pytest.mark.parametrize("field", ["#llm-accuracy", "#llm-latency", "#llm-price-in",
                                   "#llm-price-out", "#llm-concurrency"])
def test_an_emptied_field_is_refused_not_read_as_zero(lab: Page, field: str):
    lab.evaluate("window.evomachine.setLLM({provider: 'simulated', accuracy: 0.97, latency_ms: 400,"
                 " price_in: 3, price_out: 15, concurrency: 8})")
    before = llm(lab)
    lab.fill(field, "")
    lab.click("#apply-llm")
    # The browser points at the field; nothing is applied.
    lab.wait_for_function("(f) => document.activeElement === document.querySelector(f)", arg=field)
    assert not lab.evaluate("(f) => document.querySelector(f).validity.valid", field)
    assert llm(lab) == before
    assert lab.text_content("#llm-status").startswith("Simulated: 97% accurate, ~400 ms, $3/$15")
    lab.fill(field, lab.evaluate("(f) => document.querySelector(f).defaultValue", field))


def test_an_empty_field_of_the_hidden_provider_does_not_block(lab: Page):
    lab.fill("#llm-accuracy", "")
    lab.select_option("#llm-provider", "anthropic")
    assert lab.is_hidden("#llm-accuracy")
    lab.click("#apply-llm")
    # The form was sent, not stopped on a field the person cannot see.
    lab.wait_for_function("document.getElementById('llm-status').textContent"
                          ".startsWith('Anthropic claude-haiku-4-5 at https://api.anthropic.com')")
    assert llm(lab)["provider"] == "anthropic"
    lab.select_option("#llm-provider", "simulated")
    lab.fill("#llm-accuracy", "0.9")
    lab.click("#apply-llm")
    lab.wait_for_function("document.getElementById('toast').textContent === 'LLM settings in use.'")
    assert llm(lab)["provider"] == "simulated" and llm(lab)["accuracy"] == 0.9


def test_prices_and_latencies_people_use_are_taken(lab: Page):
    # gpt-4o-mini's list price (0.15 in) and a latency of 45 ms were refused by the fields' steps
    # (0.1 and 10): the browser offered "0.1 and 0.2" instead, and the settings stayed as before.
    lab.select_option("#llm-provider", "simulated")
    for field, typed in [("#llm-price-in", "0.15"), ("#llm-price-out", "0.6"),
                         ("#llm-latency", "45"), ("#llm-accuracy", "0.975")]:
        lab.fill(field, typed)
    lab.click("#apply-llm")
    lab.wait_for_function("document.getElementById('toast').textContent === 'LLM settings in use.'"
                          " && document.activeElement.id !== 'llm-price-in'")
    got = llm(lab)
    assert (got["price_in"], got["price_out"], got["latency_ms"], got["accuracy"]) == \
        (0.15, 0.6, 45, 0.975)
    assert lab.text_content("#llm-status").startswith("Simulated: 98% accurate, ~45 ms, $0.15/$0.6")


def test_a_model_price_below_a_cent_is_taken(lab: Page):
    lab.fill("#price-model", "my-small-model")
    lab.fill("#price-in", "0.075")
    lab.fill("#price-out", "0.3")
    lab.click("#price-save")
    lab.wait_for_function("document.getElementById('toast').textContent"
                          " === 'my-small-model now costs $0.075 / $0.3 per million tokens"
                          " (input / output).'")
    row = lab.locator("#prices-body tr[data-model='my-small-model']")
    assert row.locator("td").nth(1).inner_text() == "$0.075"
