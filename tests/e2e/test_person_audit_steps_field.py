"""The Steps field, typed into as a person does: a count the field itself refuses (below 1,
above 100,000, not whole, empty) runs nothing and says why. The page used to run something
else in silence: 0 or an empty field ran 300 steps, -5 ran 1, 2.5 ran 2, 1,000,000 ran past
the field's own maximum."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Page

from conftest import fresh_lab, run_steps

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def lab(browser, server) -> Iterator[Page]:
    page = next(gen := fresh_lab(browser, server))
    page.select_option("#example-select", "ticket-triage")
    page.click("#load-example")
    page.wait_for_function("document.body.dataset.loaded === 'true'")
    yield page
    next(gen, None)


def steps(page: Page) -> int:
    return page.evaluate("window.evomachine.state()")["step_count"]


@pytest.mark.parametrize("typed", ["0", "-5", "2.5", "", "1000000"])
@pytest.mark.parametrize("how", ["button", "key"])
def test_a_count_the_field_refuses_runs_nothing_and_says_why(lab: Page, typed: str, how: str):
    lab.evaluate("window.evomachine.pause()")
    before = steps(lab)
    lab.fill("#run-count", typed)
    lab.evaluate("document.getElementById('run-status').textContent = 'Idle'")
    if how == "button":
        lab.click("#run-btn")
    else:
        lab.locator("#run-title").click()  # out of the field: the key goes to the page
        lab.keyboard.press("r")
    lab.wait_for_function("document.getElementById('run-status').textContent !== 'Idle'")
    assert lab.text_content("#run-status") == "Steps must be a whole number from 1 to 100,000."
    assert lab.evaluate("document.activeElement.id") == "run-count"  # the field to correct
    assert not lab.evaluate("document.getElementById('run-count').validity.valid")
    assert steps(lab) == before
    assert not lab.evaluate("window.evomachine.isRunning()")
    assert not lab.is_disabled("#run-btn") and lab.is_disabled("#pause-btn")


def test_a_count_in_range_still_runs_it(lab: Page):
    before = steps(lab)
    run_steps(lab, 7)
    assert steps(lab) == before + 7
