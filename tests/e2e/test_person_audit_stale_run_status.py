"""After a load starts the machine again, the Run panel no longer speaks of the run it replaced.
The page kept "Paused after 668 steps." (or "Done after 40 steps."), that run's bar and its
rate beside "0 steps so far" after Load example, Load machine or a new data file restarted the
same machine: a person reads it as this machine's run."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page

from conftest import fresh_lab, run_steps

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def lab(browser, server) -> Iterator[Page]:
    yield from fresh_lab(browser, server)


def run_then_confirm(page: Page) -> None:
    page.locator("#app-dialog").wait_for(state="visible")
    page.click("#replace-confirm")
    page.wait_for_function("document.getElementById('run-position').textContent"
                           " === '0 steps so far · next node: ticket'")


def shows_no_run(page: Page) -> None:
    assert page.text_content("#run-status") == "Idle"
    assert page.text_content("#run-rate") == "—"
    assert page.get_attribute(".run-progress", "aria-valuenow") == "0"


def test_load_example_over_a_run_clears_its_status(lab: Page):
    lab.select_option("#example-select", "ticket-triage")
    lab.click("#load-example")
    lab.wait_for_function("document.body.dataset.loaded === 'true'")
    run_steps(lab, 40)
    lab.click("#load-example")
    run_then_confirm(lab)
    shows_no_run(lab)


def test_load_machine_over_a_run_clears_its_status(lab: Page):
    run_steps(lab, 40)
    lab.click("#apply-dsl")
    run_then_confirm(lab)
    shows_no_run(lab)


def test_a_data_file_over_a_run_clears_its_status(lab: Page, tmp_path: Path):
    run_steps(lab, 40)
    path = tmp_path / "tickets.csv"
    path.write_text("text,label\n\"My invoice is wrong\",billing\n\"The app crashes\",tech\n")
    with lab.expect_file_chooser() as chooser:
        lab.click("#data-file")
    chooser.value.set_files(str(path))
    run_then_confirm(lab)
    lab.wait_for_function("document.getElementById('data-info').textContent.includes('2 records')")
    shows_no_run(lab)
