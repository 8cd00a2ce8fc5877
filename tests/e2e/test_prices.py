"""Prices per model in the page, and savings in $, % and per 1,000 executions on the cards.

One page for the module, tests in file order: an OpenAI-compatible model the table does not
know is named as costing $0; the user prices it by typing, then goes back to the list price;
with the simulated LLM a run shows its saving in $ and % and what 1,000 executions cost now
against the LLM alone. No request leaves 127.0.0.1 (the local provider is never called).
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from conftest import fresh_lab

pytestmark = pytest.mark.e2e



@pytest.fixture(scope="module")
def lab(browser, server):
    """One fresh page for the module's tests (storage reset, no request off 127.0.0.1)."""
    yield from fresh_lab(browser, server)


def test_a_model_the_table_does_not_know_is_named_and_priced_by_typing(lab):
    lab.select_option("#example-select", "ticket-triage")
    lab.click("#load-example")
    lab.wait_for_selector(".task-card[data-task='route']")
    expect(lab.locator("#prices-note")).to_contain_text("simulated LLM charges its own price")
    expect(lab.locator("#prices-note")).to_contain_text("List prices as entered on 20")
    lab.select_option("#llm-provider", "openai")
    lab.fill("#llm-base-url", "http://127.0.0.1:9/v1")
    lab.fill("#llm-model", "llama3.2")
    lab.click("#apply-llm")
    expect(lab.locator("#prices-note")).to_contain_text("llama3.2 is not in the table")
    expect(lab.locator("#price-model")).to_have_value("llama3.2")
    lab.fill("#price-in", "0.5")
    lab.fill("#price-out", "1.5")
    lab.click("#price-save")
    expect(lab.locator("#prices-note")).to_contain_text(
        "llama3.2 costs $0.500 per million input tokens and $1.50 per million output tokens")
    row = lab.locator("#prices-body tr[data-model='llama3.2']")
    expect(row).to_contain_text("yours")
    assert lab.evaluate("window.evomachine.state()")["llm"]["prices"] == {"llama3.2": [0.5, 1.5]}


def test_a_listed_model_can_be_repriced_and_put_back(lab):
    lab.fill("#price-model", "gpt-4o")
    lab.locator("#price-model").dispatch_event("change")
    expect(lab.locator("#price-in")).to_have_value("2.5")
    lab.fill("#price-in", "2")
    lab.click("#price-save")
    expect(lab.locator("#prices-body tr[data-model='gpt-4o']")).to_contain_text("yours")
    lab.click("#price-default")
    expect(lab.locator("#prices-body tr[data-model='gpt-4o']")).not_to_contain_text("yours")
    expect(lab.locator("#price-in")).to_have_value("2.5")
    expect(lab.locator("#prices-body tr[data-model='llama3.2']")).to_contain_text("yours")


def test_typing_a_price_after_the_model_replaces_the_list_price(lab):
    lab.click("#price-model")
    lab.keyboard.press("Control+A")
    lab.keyboard.type("gpt-4o")
    lab.keyboard.press("Tab")  # leaving Model fills in its list price as the focus enters Input
    expect(lab.locator("#price-in")).to_have_value("2.5")
    lab.keyboard.type("0.5")
    lab.keyboard.press("Tab")
    lab.keyboard.type("1.25")
    lab.keyboard.press("Enter")
    expect(lab.locator("#toast")).to_contain_text(
        "gpt-4o now costs $0.5 / $1.25 per million tokens (input / output).")
    # A click into a filled price selects it too: typing replaces it.
    lab.click("#price-in")
    lab.keyboard.type("3")
    lab.click("#price-save")
    expect(lab.locator("#toast")).to_contain_text("gpt-4o now costs $3 / $1.25 per million")
    lab.click("#price-default")
    expect(lab.locator("#prices-body tr[data-model='gpt-4o']")).not_to_contain_text("yours")


def test_anthropic_with_the_model_field_left_empty_uses_the_default_model(lab):
    lab.select_option("#llm-provider", "anthropic")
    lab.fill("#llm-base-url", "")
    lab.fill("#llm-model", "")
    assert "claude-haiku-4-5" in lab.get_attribute("#llm-model", "placeholder")
    lab.click("#apply-llm")
    expect(lab.locator("#llm-status")).to_contain_text(
        "Anthropic claude-haiku-4-5 at https://api.anthropic.com")
    expect(lab.locator("#toast")).not_to_contain_text("model name")
    assert lab.evaluate("window.evomachine.state()")["llm"]["model"] == "claude-haiku-4-5"


def test_a_run_shows_savings_in_dollars_percent_and_per_thousand(lab):
    lab.select_option("#llm-provider", "simulated")
    lab.click("#apply-llm")
    lab.wait_for_function("document.getElementById('llm-status').textContent.startsWith('Simulated')")
    lab.fill("#run-count", "600")
    lab.evaluate("document.getElementById('run-status').textContent = ''")
    lab.click("#run-btn")
    lab.wait_for_function(
        "() => { const t = document.getElementById('run-status').textContent;"
        " return t && !/^Running|^Pausing|^Waiting/.test(t); }", timeout=300_000)
    card = lab.locator(".task-card[data-task='route']")
    metrics = lab.evaluate("window.evomachine.state()")["metrics"]["route"]
    share = metrics["cost_saved_share"]
    assert share is not None and share > 0
    expect(card.locator("[data-field='saved']")).to_contain_text(f"({100 * share:.1f}%)")
    per1k = card.locator("[data-field='per1k']")
    expect(per1k).to_contain_text(" now vs $")
    expect(per1k).to_contain_text("LLM only · saves ")
