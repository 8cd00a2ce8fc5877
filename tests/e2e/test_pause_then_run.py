"""Pause, then Run at once, through the real button and key: the person gets a new run.

The page says "Paused" as the run stops; the run then saves what it did before it ends. A Run
asked for meanwhile (the button is enabled again as soon as Pause is pressed) is not dropped:
it starts once the paused run is saved, and the page says so until then. Every step is
counted: the paused run's, then the new run's, none lost and none run twice.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page
from test_lab import state

from conftest import fresh_lab, run_under_way

pytestmark = pytest.mark.e2e

STATUSES = """() => {
  window.__statuses = [];
  const status = document.getElementById("run-status");
  window.__seen?.disconnect();  // the last test's
  window.__seen = new MutationObserver(() => window.__statuses.push(status.textContent));
  window.__seen.observe(status, { childList: true, characterData: true, subtree: true });
}"""


@pytest.fixture(scope="module")
def lab(browser, server) -> Iterator[Page]:
    yield from fresh_lab(browser, server)


@pytest.fixture
def running(lab: Page) -> int:
    """A long run started with the Run button on fresh data; the step count before it."""
    lab.evaluate("window.evomachine.loadExample('ticket-triage')")
    lab.evaluate("window.evomachine.setLLM({provider: 'simulated', accuracy: 0.97})")
    before = state(lab)["step_count"]
    lab.fill("#run-count", "100000")
    lab.click("#run-btn")
    run_under_way(lab, 100000)
    lab.fill("#run-count", "25")  # what the next Run will ask for
    lab.evaluate(STATUSES)
    return before


def paused_steps(lab: Page) -> int:
    """The steps the paused run took, from the 'Paused after N steps.' the page showed."""
    statuses = lab.evaluate("window.__statuses")
    said = [s for s in statuses if s.startswith("Paused after")]
    assert said, statuses
    return int(re.match(r"Paused after ([\d,]+) steps", said[0]).group(1).replace(",", ""))


def finished(lab: Page, before: int) -> None:
    lab.wait_for_function(
        "document.getElementById('run-status').textContent === 'Done after 25 steps.'",
        timeout=300_000)
    lab.wait_for_function("!window.evomachine.isRunning()")
    steps = paused_steps(lab)
    assert 0 < steps < 100000
    assert state(lab)["step_count"] == before + steps + 25, lab.evaluate("window.__statuses")
    statuses = lab.evaluate("window.__statuses")
    assert statuses.count("Running 25 steps…") == 1, statuses  # one new run, not two
    assert not lab.is_disabled("#run-btn") and lab.is_disabled("#pause-btn")


def test_run_clicked_right_after_pause_starts_a_new_run(lab, running):
    lab.click("#pause-btn")
    # Run is back at once: it does not wait for the paused run to be saved.
    assert lab.evaluate("document.getElementById('run-btn').disabled") is False
    lab.click("#run-btn")
    finished(lab, running)


def test_r_pressed_right_after_p_starts_a_new_run(lab, running):
    lab.locator("#run-title").click()  # out of the steps field: keys go to the page
    lab.keyboard.press("p")
    lab.keyboard.press("r")
    finished(lab, running)


def test_a_run_asked_for_while_the_last_one_stops_says_it_waits(lab, running):
    # Both clicks in one task, so Run surely comes while the paused run is still stopping:
    # until it has been saved, the page says why nothing runs yet, Run and Pause disabled.
    said = lab.evaluate("""() => {
      document.getElementById("pause-btn").click();
      document.getElementById("run-btn").click();
      return [document.getElementById("run-status").textContent,
              document.getElementById("run-btn").disabled,
              document.getElementById("pause-btn").disabled];
    }""")
    assert said == ["Pausing after the current step… The run starts once the last run is saved…",
                    True, True]
    finished(lab, running)
    statuses = lab.evaluate("window.__statuses")
    paused = next(s for s in statuses if s.startswith("Paused after"))
    assert paused.endswith(" The run starts once the last run is saved…"), statuses


def test_pause_pressed_at_once_after_run_stops_it_before_a_step(lab):
    # Run's click gives Pause at once, even before the engine has taken the run: a person who
    # changes their mind is not left with a disabled Pause and a run that starts anyway.
    lab.evaluate("window.evomachine.loadExample('ticket-triage')")
    before = state(lab)["step_count"]
    lab.fill("#run-count", "100000")
    lab.evaluate(STATUSES)
    buttons = lab.evaluate("""() => {
      document.getElementById("run-btn").click();
      const shown = [document.getElementById("run-btn").disabled,
                     document.getElementById("pause-btn").disabled];
      document.getElementById("pause-btn").click();
      return shown;
    }""")
    assert buttons == [True, False]
    lab.wait_for_function("!window.evomachine.isRunning()")
    said = lab.text_content("#run-status")
    assert said == "Paused after 0 steps.", lab.evaluate("window.__statuses")
    assert state(lab)["step_count"] == before
    assert not lab.is_disabled("#run-btn") and lab.is_disabled("#pause-btn")


def test_step_says_it_runs_and_pause_stops_a_step_waiting_for_the_llm(lab):
    # A slow LLM, waited for real: the Step button's step waits for it, the page says so and
    # Pause is the way out (it was 'Idle' with Pause disabled, and more clicks queued steps).
    lab.evaluate("window.evomachine.loadExample('ticket-triage')")
    lab.evaluate("window.evomachine.setLLM({provider: 'simulated', latency_ms: 60000, "
                 "wait: true})")
    before = state(lab)["step_count"]
    lab.click("#step-btn")  # the Input node: no LLM
    lab.wait_for_function(
        "document.getElementById('run-status').textContent === 'Done after 1 step.'")
    lab.click("#step-btn")  # the task: waits for the LLM
    lab.wait_for_function(
        "document.getElementById('run-status').textContent === 'Running 1 step…'")
    assert lab.is_disabled("#step-btn") and not lab.is_disabled("#pause-btn")
    lab.click("#pause-btn")
    lab.wait_for_function("!window.evomachine.isRunning()")
    assert lab.text_content("#run-status").startswith("Paused after 0 steps."), \
        lab.text_content("#run-status")
    assert state(lab)["step_count"] == before + 1
    assert not lab.is_disabled("#step-btn") and lab.is_disabled("#pause-btn")
    lab.evaluate("window.evomachine.setLLM({provider: 'simulated', latency_ms: 0, wait: false})")
