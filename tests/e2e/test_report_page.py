"""The shareable report, used as a person uses it: run, click Download report, open the file.

The downloaded file is opened from disk (file://) in a fresh browser context that is offline
and aborts every request: the report must render from itself alone, with no script.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

from conftest import fresh_lab, run_steps

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def lab(browser, server):
    """A fresh page that accepts downloads (storage reset, no request off 127.0.0.1, no page
    error: checked when the module ends)."""
    yield from fresh_lab(browser, server, accept_downloads=True)


def test_download_report_opens_offline_in_a_fresh_browser(lab, browser, tmp_path: Path):
    page = lab
    page.select_option("#example-select", "ticket-triage")
    page.click("#load-example")
    page.wait_for_selector(".task-card[data-task='route']")
    run_steps(page, 600)
    with page.expect_download() as download:
        page.click("#report-download")
    assert download.value.suggested_filename == "ticket-triage-report.html"
    saved = tmp_path / "report.html"
    saved.write_bytes(Path(download.value.path()).read_bytes())
    html = saved.read_text(encoding="utf-8")
    assert "<script" not in html.lower()
    assert "Task route" in html and "def execute" in html and "hybrid" in html
    page.wait_for_function("document.getElementById('toast').textContent"
                           ".includes('Downloaded ticket-triage-report.html')")

    # A fresh context, offline, every request but the file's own aborted and recorded: it
    # renders alone.
    fresh = browser.new_context(viewport={"width": 1000, "height": 800}, offline=True)
    requested: list[str] = []
    fresh.on("request", lambda request: requested.append(request.url))
    fresh.route("**/*", lambda route: route.continue_()
                if route.request.url == saved.as_uri() else route.abort())
    viewer = fresh.new_page()
    problems: list[str] = []
    viewer.on("pageerror", lambda error: problems.append(str(error)))
    viewer.on("console", lambda message: problems.append(message.text)
              if message.type == "error" else None)
    viewer.goto(saved.as_uri())
    expect(viewer.locator("h1")).to_have_text("Ticket triage")
    chart = viewer.locator("section.task svg").first
    expect(chart).to_be_visible()
    box = chart.bounding_box()
    assert box is not None and box["width"] > 300 and box["height"] > 100
    assert viewer.locator("section.task svg polyline").count() >= 1
    expect(viewer.locator("table.summary")).to_contain_text("route")
    expect(viewer.locator("section.task pre code").first).to_contain_text("def execute")
    # the inline style applied (a styled table header), with no stylesheet fetched
    header = viewer.locator("table.summary th").first
    assert header.evaluate("e => getComputedStyle(e).backgroundColor") != "rgba(0, 0, 0, 0)"
    assert [url for url in requested if not url.startswith("file://")] == []
    assert problems == [], problems
    fresh.close()
