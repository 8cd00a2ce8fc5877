"""The page on a phone-sized screen (390 px), and opened as a file instead of served."""

from __future__ import annotations

from urllib.parse import urlparse

import pytest

from conftest import BUILD, guard_requests

pytestmark = pytest.mark.e2e

READY = "document.body.dataset.ready === 'true' || document.body.dataset.ready === 'failed'"
WIDTH = 390


def top(page, selector: str) -> float:
    return page.locator(selector).bounding_box()["y"]


def fits(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= WIDTH, f"the page is {width} px wide"
    for selector in ("#export-all", "#import-label", "#reset-all", "#run-btn", "#pause-btn",
                     "#apply-dsl", "#apply-llm", "#save-version"):
        box = page.locator(selector).bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= WIDTH, selector


def test_a_phone_sized_page_has_no_horizontal_scroll_and_the_run_controls_come_first(
        browser, server):
    context = browser.new_context(viewport={"width": WIDTH, "height": 844}, is_mobile=True,
                                  has_touch=True)
    log = guard_requests(context)
    page = context.new_page()
    page.goto(server.url)
    page.wait_for_function(READY, timeout=120_000)
    page.evaluate("window.evomachine.reset()")
    fits(page)
    page.select_option("#example-select", "ticket-triage")
    page.tap("#load-example")
    page.wait_for_selector(".task-card[data-task='route']")
    page.fill("#run-count", "40")
    page.tap("#run-btn")
    page.wait_for_function(
        "document.getElementById('run-status').textContent.startsWith('Done after 40')")
    page.fill("#version-label", "phone")
    page.tap("#save-version")
    page.wait_for_selector("#versions-body tr.head")
    page.wait_for_function("document.querySelectorAll('#machines-body tr').length === 1")
    fits(page)
    # Controls first: the run panel, then the tasks it moves, then the editor and the LLM.
    assert top(page, "#run-btn") < top(page, ".task-card") < top(page, "#editor") \
        < top(page, "#llm-provider")
    assert page.locator("#serve-hint").count() == 0  # served: the file:// hint is gone
    context.close()
    assert log.foreign() == []


def test_opened_as_a_file_the_page_says_how_to_serve_it(browser):
    index = BUILD.DIST / "index.html"
    context = browser.new_context()
    urls: list[str] = []
    context.on("request", lambda request: urls.append(request.url))
    page = context.new_page()
    page.goto(index.as_uri())
    hint = page.locator("#serve-hint")
    hint.wait_for(state="visible", timeout=30_000)
    text = hint.inner_text()
    assert "opened as a file" in text and "python3 build.py serve" in text
    assert page.evaluate("document.body.dataset.ready") is None  # nothing pretends to boot
    context.close()
    assert [u for u in urls if urlparse(u).scheme not in ("file", "data")] == []
