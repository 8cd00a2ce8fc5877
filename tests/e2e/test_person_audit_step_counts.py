"""One step is "1 step": the Run panel said "1 steps so far" after the first Step and
"Done after 1 steps." after a run of one."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Page

from conftest import fresh_lab

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def lab(browser, server) -> Iterator[Page]:
    yield from fresh_lab(browser, server)


def test_one_step_is_said_in_the_singular(lab: Page):
    lab.select_option("#example-select", "ticket-triage")
    lab.click("#load-example")
    lab.wait_for_function("document.getElementById('run-position').textContent"
                          ".startsWith('0 steps so far')")
    lab.click("#step-btn")
    lab.wait_for_function("document.getElementById('run-position').textContent"
                          ".startsWith('1 step')")
    assert lab.text_content("#run-position").startswith("1 step so far · next node: ")
    lab.fill("#run-count", "1")
    # The Step above ended saying "Done after 1 step." too: mark the status, so the wait
    # below sees the Run's end, not the Step's (CI: the Run had only started).
    lab.evaluate("document.getElementById('run-status').textContent = 'clicked'")
    lab.click("#run-btn")
    lab.wait_for_function("document.getElementById('run-status').textContent.startsWith('Done')")
    assert lab.text_content("#run-status") == "Done after 1 step."
    assert lab.text_content("#run-rate").startswith("1 step · ")
    lab.wait_for_function("document.getElementById('run-position').textContent"
                          ".startsWith('2 steps so far')")
