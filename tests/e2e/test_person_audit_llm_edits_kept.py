"""Edits in the LLM form stay until the person applies them, wherever they click meanwhile.
The form followed the engine's state whenever the focus was outside it: a person who picked
OpenAI-compatible and typed its URL, then clicked elsewhere on the page and pressed Step (or a
run went on), saw the form jump back to Simulated with the URL and model gone."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Page

from conftest import fresh_lab

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def lab(browser, server) -> Iterator[Page]:
    yield from fresh_lab(browser, server)


def test_unapplied_llm_edits_survive_a_step(lab: Page):
    lab.select_option("#example-select", "ticket-triage")
    lab.click("#load-example")
    lab.wait_for_function("document.getElementById('run-position').textContent"
                          ".startsWith('0 steps so far')")
    lab.locator("#llm-provider").focus()
    lab.select_option("#llm-provider", "openai")
    lab.fill("#llm-base-url", "http://127.0.0.1:9/v1")
    lab.fill("#llm-model", "llama3.2")
    lab.locator("#run-title").click()  # away from the form
    lab.keyboard.press("s")
    lab.wait_for_function("document.getElementById('run-position').textContent"
                          ".startsWith('1 step so far')")
    assert lab.input_value("#llm-provider") == "openai"
    assert lab.input_value("#llm-base-url") == "http://127.0.0.1:9/v1"
    assert lab.input_value("#llm-model") == "llama3.2"
    assert lab.is_visible("#llm-base-url")
    assert lab.text_content("#llm-status").startswith("Simulated")  # still what is in use
    lab.click("#apply-llm")
    lab.wait_for_function("document.getElementById('llm-status').textContent"
                          ".startsWith('OpenAI-compatible llama3.2 at http://127.0.0.1:9/v1')")


def test_settings_changed_elsewhere_still_show(lab: Page):
    # Not edited in the form: a change made another way (here the page API, as an import or
    # another tab would) is shown in the fields.
    lab.locator("#run-title").click()
    lab.evaluate("window.evomachine.setLLM({provider: 'simulated', accuracy: 0.9})")
    lab.wait_for_function("document.getElementById('llm-provider').value === 'simulated'"
                          " && document.getElementById('llm-accuracy').value === '0.9'")
    lab.locator("#llm-accuracy").fill("0.8")  # edited, not applied
    lab.locator("#run-title").click()
    lab.evaluate("window.evomachine.setLLM({provider: 'simulated', accuracy: 0.7})")
    # The settings in use changed under the edit: the form shows them (the edit was overtaken).
    lab.wait_for_function("document.getElementById('llm-accuracy').value === '0.7'")
