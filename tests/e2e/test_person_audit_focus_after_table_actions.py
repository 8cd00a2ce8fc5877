"""Roll back and Open by keyboard: the button pressed is redrawn away with its table, and the
focus went to the page's body (the next Tab started again from the top of the page). The focus
now goes to the panel's heading, so Tab carries on inside the panel."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Page

from conftest import fresh_lab, run_steps

pytestmark = pytest.mark.e2e

HERE_NOW = "document.getElementById('versions-body').textContent.includes('here now')"
TOAST = "(t) => document.getElementById('toast').textContent.startsWith(t)"


@pytest.fixture(scope="module")
def lab(browser, server) -> Iterator[Page]:
    yield from fresh_lab(browser, server)


def load_example(page: Page, name: str) -> None:
    page.select_option("#example-select", name)
    page.click("#load-example")
    page.wait_for_function("(name) => document.getElementById('toast').textContent"
                           ".startsWith(`Loaded example ${name}`)", arg=name)


def test_roll_back_by_keyboard_keeps_the_focus_in_the_versions_panel(lab: Page):
    load_example(lab, "ticket-triage")
    lab.click("#save-version")
    lab.wait_for_function("document.querySelectorAll('#versions-body tr').length === 1")
    lab.wait_for_function(HERE_NOW)
    run_steps(lab, 5)
    lab.locator("button[data-rollback]").focus()
    lab.keyboard.press("Enter")
    # 5 steps no version holds: asked first, Cancel focused; Tab, Enter rolls back
    lab.wait_for_function("document.activeElement?.id === 'rollback-cancel'")
    lab.keyboard.press("Tab")
    lab.keyboard.press("Enter")
    lab.wait_for_function(TOAST, arg="Rolled back")
    lab.wait_for_function(HERE_NOW)
    assert lab.evaluate("document.activeElement.id") == "versions-title"
    lab.keyboard.press("Tab")
    assert lab.evaluate("document.activeElement.id") == "version-label"


def test_open_by_keyboard_keeps_the_focus_in_the_machines_panel(lab: Page):
    load_example(lab, "sentiment")
    lab.wait_for_function("document.querySelectorAll('button[data-open-machine]').length === 1")
    lab.locator("button[data-open-machine]").focus()
    lab.keyboard.press("Enter")
    lab.wait_for_function(TOAST, arg="Opened Ticket")
    lab.wait_for_function("document.querySelector('#machines-body tr.head th')"
                          ".textContent.startsWith('Ticket triage')")
    assert lab.evaluate("document.activeElement.id") == "machines-title"
    lab.keyboard.press("Tab")  # the loaded machine's row has Delete only
    assert lab.evaluate("document.activeElement.dataset.deleteMachine") == "ticket-triage"
    lab.keyboard.press("Tab")
    assert lab.evaluate("document.activeElement.dataset.openMachine") == "review-sentiment"
