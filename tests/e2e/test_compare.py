"""Two saved versions compared per task in the page, named by label everywhere (toasts too).

One page for the module: run, save a labelled version, run on, save an unlabelled one, compare
them with the versions panel's controls (a table per task and charts overlaid), roll back.
No request leaves 127.0.0.1.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from conftest import fresh_lab, run_steps

pytestmark = pytest.mark.e2e



@pytest.fixture(scope="module")
def lab(browser, server):
    """One fresh page for the module's tests (storage reset, no request off 127.0.0.1)."""
    yield from fresh_lab(browser, server)


def toast(page, text: str) -> None:
    expect(page.locator("#toast")).to_contain_text(text)


def test_versions_compare_per_task_and_are_named_by_label(lab):
    lab.select_option("#example-select", "ticket-triage")
    lab.click("#load-example")
    lab.wait_for_selector(".task-card[data-task='route']")
    run_steps(lab, 90)
    lab.fill("#version-label", "before")
    lab.click("#save-version")
    toast(lab, "Saved version “before”")
    run_steps(lab, 300)
    lab.click("#save-version")
    toast(lab, "Saved a version (no label), ")
    expect(lab.locator("#versions-body tr")).to_have_count(2)
    expect(lab.locator("#versions-body")).to_contain_text("no label")
    ids = [v["id"] for v in lab.evaluate("window.evomachine.state()")["versions"]]
    lab.select_option("#diff-a", ids[0])
    lab.select_option("#diff-b", ids[1])
    lab.click("#diff-btn")
    table = lab.locator("#diff-view table.compare[data-task='route']")
    expect(table.locator("thead")).to_contain_text("before")
    assert ids[0] not in lab.inner_text("#diff-view") and ids[1] not in lab.inner_text("#diff-view")
    stage = table.locator("tr[data-figure='stage'] td")
    expect(stage.nth(0)).to_have_text("LLM only")
    expect(stage.nth(1)).to_have_text("Hybrid")
    executions = table.locator("tr[data-figure='executions'] td")
    expect(executions.nth(0)).to_have_text("30")
    expect(executions.nth(1)).to_have_text("130")
    expect(executions.nth(2)).to_have_text("+100")
    expect(table.locator("tr[data-figure='accuracy'] td").nth(0)).to_contain_text("%")
    charts = lab.locator("#diff-view .compare-chart")
    expect(charts).to_have_count(3)
    first, second = (int(n) for n in charts.first.get_attribute("data-points").split(","))
    assert 0 < first < second
    expect(charts.first.locator("canvas")).to_have_count(1)
    lab.click("#versions-body button[data-rollback][aria-label*='before']")
    toast(lab, "Rolled back to “before”")
