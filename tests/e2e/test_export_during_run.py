"""Export pressed during a run: the file holds the run's progress and the run goes on.

Exporting reads state; it is not a reason to stop the person's run. The export is taken
between two chunks of the run (the engine saves the run's progress first), so the file
holds the steps taken up to then.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page

from conftest import fresh_lab, run_under_way

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def lab(browser, server) -> Iterator[Page]:
    yield from fresh_lab(browser, server)


def test_export_during_a_run_keeps_it_running_and_holds_its_progress(lab):
    lab.evaluate("window.evomachine.loadExample('ticket-triage')")
    lab.fill("#run-count", "100000")
    lab.click("#run-btn")
    run_under_way(lab, 100000)
    with lab.expect_download() as download:
        lab.click("#export-all")
    document = json.loads(download.value.path().read_text(encoding="utf-8"))
    assert lab.evaluate("window.evomachine.isRunning()") is True
    assert lab.text_content("#run-status") == "Running 100,000 steps…"
    assert not lab.is_disabled("#pause-btn")
    assert max(_step_counts(document), default=0) > 0  # the run's progress, saved first
    lab.click("#pause-btn")
    lab.wait_for_function("!window.evomachine.isRunning()")
    assert lab.text_content("#run-status").startswith("Paused after")


def _step_counts(value: object) -> Iterator[int]:
    """Every ``step_count`` in the exported document, however deep."""
    if isinstance(value, dict):
        for key, inner in value.items():
            if key == "step_count" and isinstance(inner, int):
                yield inner
            else:
                yield from _step_counts(inner)
    elif isinstance(value, list):
        for inner in value:
            yield from _step_counts(inner)
    elif isinstance(value, str) and value.startswith("{") and "step_count" in value:
        yield from _step_counts(json.loads(value))
