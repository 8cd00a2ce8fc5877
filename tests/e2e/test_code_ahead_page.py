"""A page run of a task in code_only sends its code answers to the sandbox Worker in batches.

The run looks ahead for records the code will answer and sends them across in one request
per 16 (``CODE_LOOKAHEAD`` in ``evomachine.app.runs``) while it commits the earlier ones,
instead of one request per answer. Counted at the Worker's manager: requests and inputs.
Pause still stops such a run.
"""

from __future__ import annotations

import json

import pytest
from test_lab import boot

from conftest import engine_worker, run_under_way

pytestmark = pytest.mark.e2e


def sandbox(page) -> dict:
    return json.loads(engine_worker(page).evaluate("globalThis.evomachineSandbox.describe()"))


def route(page) -> dict:
    return page.evaluate("window.evomachine.state()")["metrics"]["route"]


def run_with_the_button(page, steps: int) -> None:
    page.fill("#run-count", str(steps))
    page.click("#run-btn")
    page.wait_for_function(
        f"document.getElementById('run-status').textContent.startsWith('Done after {steps} ')",
        timeout=120_000)  # steps < 1,000: no thousands separator


def test_code_answers_cross_in_batches_and_pause_still_stops_the_run(page, server,
                                                                     requests_log):
    boot(page, server.url)
    page.select_option("#example-select", "ticket-triage")
    page.click("#load-example")
    page.wait_for_selector(".task-card[data-task='route']")
    run_with_the_button(page, 600)
    evolve = page.locator(".task-card[data-task='route'] [data-action='evolve']")
    for _ in range(4):
        stage = route(page)["stage"]
        if stage == "code_only":
            break
        evolve.click()
        page.click("#promote-confirm")  # moved by hand: the page asks first
        page.wait_for_function(
            "(stage) => window.evomachine.state().then((s) => s.stages.route !== stage)",
            arg=stage, timeout=60_000)
    assert route(page)["stage"] == "code_only"
    before, answered = sandbox(page), route(page)["code_answers"]
    run_with_the_button(page, 900)
    after, code_answers = sandbox(page), route(page)["code_answers"] - answered
    requests, inputs = after["requests"] - before["requests"], after["inputs"] - before["inputs"]
    assert code_answers >= 250, code_answers  # of 300 records: audits and repeats aside
    assert inputs >= code_answers  # every code answer crossed (some predicted, not yet asked)
    assert requests * 8 <= code_answers, (requests, code_answers)  # not one request an answer
    assert after["restarts"] == before["restarts"]

    page.evaluate("() => { window.__run = window.evomachine.run(100000); }")
    run_under_way(page, 100000)
    page.click("#pause-btn")
    result = page.evaluate("window.__run")
    assert result["reason"] == "paused" and 0 < result["steps"] < 100000
    assert "Paused" in page.inner_text("#run-status")
    assert route(page)["code_errors"] == 0


HANG_ON = '''
def execute(input, context):
    if input.get("text") == "hang":
        pow(3 ** 20000, 2 ** 32000 - 1, (3 ** 20000) * (3 ** 20000) + 7)
    return {"output": input["text"], "confidence": 0.5, "metadata": {}}
'''
BATCH = """async (code) => {
  const manager = globalThis.evomachineSandbox;
  await manager.load("hangs", code, "hangs.py", "");
  const inputs = JSON.stringify([{text: "a"}, {text: "b"}, {text: "hang"}, {text: "c"}]);
  const reply = JSON.parse(await manager.executeMany("hangs", inputs, "{}", 4));
  await manager.unload("hangs");
  return reply;
}"""


def test_a_batch_killed_at_its_third_input_keeps_the_two_answers_before_it(page, server,
                                                                           requests_log):
    boot(page, server.url)
    reply = engine_worker(page).evaluate(BATCH, HANG_ON)
    assert reply["ok"] is False and reply["cause"] == "deadline", reply
    done = [json.loads(text) for text in reply["done"]]
    assert [item["value"]["output"] for item in done] == ["a", "b"]
