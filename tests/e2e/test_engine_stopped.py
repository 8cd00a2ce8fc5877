"""The engine Worker's Pyodide suffers a fatal error during a run: the page says so and recovers.

A fatal error (here a real one: deep C recursion in the engine's Pyodide) ends that Pyodide
for good. Before, the page went on sending calls that each failed with "Pyodide already
fatally failed", and nothing said that only a reload helps. Now a banner says the engine
stopped, the lab's controls become inert, the run ends, and the banner's Reload brings the
lab back with what was saved. An error the engine reports without stopping is shown and can
be dismissed.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

from conftest import engine_worker, run_under_way

pytestmark = pytest.mark.e2e

DEEP_REPR = """() => {
  try {
    evomachinePyodide.runPython('x = []\\nfor _ in range(200000):\\n    x = [x]\\nrepr(x)');
    return 'no fatal error';
  } catch (error) { return String(error.pyodide_fatal_error); }
}"""


def test_a_fatal_error_in_the_engine_is_said_and_reload_brings_the_lab_back(app: Page):
    page = app
    page.select_option("#example-select", "ticket-triage")
    page.click("#load-example")
    page.wait_for_function("document.body.dataset.loaded === 'true'")
    page.fill("#run-count", "100000")
    page.click("#run-btn")
    run_under_way(page, 100_000)
    assert engine_worker(page).evaluate(DEEP_REPR) == "true"

    page.wait_for_function("!document.getElementById('engine-trouble').hidden")
    banner = page.inner_text("#engine-trouble")
    assert banner.startswith("The engine stopped and can no longer run."), banner
    assert "Maximum call stack size exceeded" in banner
    for control in ("lab", "export-all", "import-label", "report-download", "problems"):
        assert page.evaluate(f"document.getElementById('{control}').inert") is True, control
    assert page.evaluate("document.getElementById('reset-all').inert") is False
    assert page.evaluate("document.activeElement.textContent") == "Reload page"
    # The run ends and says why instead of "Running…" forever.
    page.wait_for_function("!window.evomachine.isRunning()")
    status = page.inner_text("#run-status")
    assert "engine stopped" in status and ".." not in status, status
    # The API fails at once with the same reason instead of hanging.
    failed = page.evaluate("window.evomachine.state().then(() => 'answered', (e) => e.message)")
    assert failed.startswith("The engine stopped"), failed
    # The shortcuts start nothing (a run would only fail); focus stays on Reload.
    page.keyboard.press("r")
    assert page.evaluate("window.evomachine.isRunning()") is False
    assert page.evaluate("document.activeElement.textContent") == "Reload page"

    with page.expect_navigation():
        page.keyboard.press("Enter")  # the focused Reload
    page.wait_for_function("document.body.dataset.ready === 'true'", timeout=120_000)
    assert page.evaluate("document.getElementById('engine-trouble').hidden") is True
    state = page.evaluate("window.evomachine.state()")
    assert state["loaded"] is True
    assert state["machine"]["title"] == "Ticket triage", state["machine"]
    page.click("#step-btn")
    page.wait_for_function("window.evomachine.state().then((s) => s.step_count > 0)")


def test_an_error_the_engine_reports_without_stopping_is_shown_and_dismissed(app: Page):
    page = app
    engine_worker(page).evaluate("() => { setTimeout(() => { throw new Error('stray'); }); }")
    page.wait_for_function("!document.getElementById('engine-trouble').hidden")
    banner = page.inner_text("#engine-trouble")
    assert banner.startswith("The engine reported an error."), banner
    assert "stray" in banner
    assert page.evaluate("document.getElementById('lab').inert") is False
    page.get_by_role("button", name="Dismiss").click()
    assert page.evaluate("document.getElementById('engine-trouble').hidden") is True
    assert page.evaluate("window.evomachine.state()")["loaded"] is False  # still answers
