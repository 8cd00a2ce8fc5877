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


PANELS = """() => [...document.querySelectorAll('.panel')].filter((p) => !p.hidden &&
  p.getClientRects().length && p.scrollWidth > p.clientWidth + 1)
  .map((p) => `${p.id || p.className}: ${p.scrollWidth} > ${p.clientWidth}`)"""


def panels_fit(page) -> None:
    """No panel is wider than its box: a wide table or form scrolls inside it."""
    assert page.evaluate(PANELS) == []


def scrolls_to_the_end(page, selector: str) -> None:
    """``selector`` is wider than its box and a sideways wheel scrolls it to its last column
    (a box that clips its overflow does not move)."""
    box = page.locator(selector)
    assert box.evaluate("(e) => e.scrollWidth > e.clientWidth")
    box.hover()
    for _ in range(10):
        page.mouse.wheel(400, 0)
    page.wait_for_function("(s) => { const e = document.querySelector(s);"
                           " return e.scrollLeft + e.clientWidth >= e.scrollWidth - 1; }",
                           arg=selector, timeout=10_000)


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
    page.select_option("#until-stage", "hybrid")  # then the route task has code and scores
    page.tap("#until-btn")
    page.wait_for_function(
        "document.getElementById('run-status').textContent.startsWith('Stage reached')",
        timeout=120_000)
    page.fill("#version-label", "phone")
    page.tap("#save-version")
    page.wait_for_selector("#versions-body tr.head")
    page.wait_for_function("document.querySelectorAll('#machines-body tr').length === 1")
    fits(page)
    panels_fit(page)
    # The traces: their columns scroll sideways inside the panel, to the last one (Error).
    page.locator("#traces-panel").scroll_into_view_if_needed()
    scrolls_to_the_end(page, ".trace-table")
    last = page.locator(".trace-head .c-error").bounding_box()
    assert last and last["x"] + last["width"] <= WIDTH, last
    # The generated code's held-out scores, and the price form.
    page.tap(".task-card[data-task='route'] [data-action='code']")
    page.wait_for_selector("#code-meta table.scores")
    page.select_option("#llm-provider", "openai")
    page.wait_for_selector("#price-form", state="visible")
    fits(page)
    panels_fit(page)
    # Controls first: the run panel, then the tasks it moves, then the editor and the LLM.
    assert top(page, "#run-btn") < top(page, ".task-card") < top(page, "#editor") \
        < top(page, "#llm-provider")
    assert page.locator("#serve-hint").count() == 0  # served: the file:// hint is gone
    # No keyboard on a touch screen: no shortcut hints (S/R/U/P, Ctrl+Enter).
    assert not page.locator("#shortcuts").is_visible()
    assert not page.locator("#apply-dsl kbd").first.is_visible()
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
