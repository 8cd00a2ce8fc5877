"""Open another machine while a run goes, as a person does with the mouse: the run pauses, the
other machine opens, and the page says so. Nothing about the machine left behind may follow:
the page had drawn a state read just before the switch, asked the engine for that machine's
traces and code by its task names, and showed "no task 'classify'; tasks: route" as an error
toast after a switch that had worked."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Page

from conftest import fresh_lab

pytestmark = pytest.mark.e2e

TOASTS = """() => {
  window.__toasts = [];
  const toast = document.getElementById("toast");
  window.__toastSeen?.disconnect();
  window.__toastSeen = new MutationObserver(
    () => window.__toasts.push([toast.dataset.kind, toast.textContent]));
  window.__toastSeen.observe(toast, { childList: true, characterData: true, subtree: true,
                                      attributes: true });
}"""
RUNNING = ("document.getElementById('run-status').textContent.startsWith('Running') && "
           "document.querySelector('.run-progress').getAttribute('aria-valuenow') !== '0'")
LEFT = ("(t) => !window.evomachine.isRunning() && !document"
        ".querySelector('#machines-body tr.head th').textContent.startsWith(t)")
SAID = ("(t) => document.getElementById('toast').textContent.startsWith(`Opened ${t}`)"
        " || window.__toasts.some(([kind]) => kind === 'error')")
DRAWN = ("(tasks) => tasks.includes(document.getElementById('code-task').value)"
         " && tasks.includes(document.getElementById('traces-task').value)")


@pytest.fixture(scope="module")
def lab(browser, server) -> Iterator[Page]:
    yield from fresh_lab(browser, server)


def load_example(page: Page, name: str) -> None:
    page.select_option("#example-select", name)
    page.click("#load-example")
    page.wait_for_function("(name) => window.evomachine.state().then((s) => s.example === name)",
                           arg=name)
    # The page has drawn it (its last panel, the machines list, names it as loaded).
    title = page.evaluate("window.evomachine.state()")["machine"]["title"]
    page.wait_for_function("(t) => document.querySelector('#machines-body tr.head th')"
                           "?.textContent.startsWith(t)", arg=title)


def test_open_during_a_run_opens_the_machine_and_shows_no_stale_error(lab: Page):
    load_example(lab, "ticket-triage")
    load_example(lab, "sentiment")
    lab.wait_for_function("document.querySelectorAll('button[data-open-machine]').length === 1")
    errors: list[str] = []
    for _ in range(3):  # back and forth: each switch leaves a run and a drawn state behind
        lab.fill("#run-count", "100000")
        lab.click("#run-btn")
        lab.wait_for_function(RUNNING)
        leaving = lab.evaluate("window.evomachine.state()")["machine"]["title"]
        lab.evaluate(TOASTS)
        lab.click("button[data-open-machine]")
        lab.wait_for_function(LEFT, arg=leaving)
        opened = lab.evaluate("window.evomachine.state()")["machine"]["title"]
        lab.wait_for_function(SAID, arg=opened)
        # The page has drawn the opened machine; then a read queued after every call it made.
        lab.wait_for_function(DRAWN, arg=list(lab.evaluate("window.evomachine.state()")["tasks"]))
        lab.evaluate("window.evomachine.state()")
        toasts = lab.evaluate("window.__toasts")
        errors += [text for kind, text in toasts if kind == "error"]
        assert any(text.startswith(f"Opened {opened} where it was") for _, text in toasts), toasts
    assert errors == []
    assert lab.inner_text("#toast").startswith("Opened "), lab.inner_text("#toast")
