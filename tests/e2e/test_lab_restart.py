"""State survives closing and reopening the browser (a persistent profile, same origin)."""

from __future__ import annotations

import pytest
from _editor import editor_text
from test_lab import boot, shot, state

from conftest import CHROMIUM, CHROMIUM_FLAGS, guard_requests

pytestmark = pytest.mark.e2e


def open_browser(playwright, profile):
    context = playwright.chromium.launch_persistent_context(
        str(profile), executable_path=CHROMIUM, args=CHROMIUM_FLAGS, headless=True,
        viewport={"width": 1440, "height": 1000})
    log = guard_requests(context)
    page = context.pages[0] if context.pages else context.new_page()
    return context, log, page


def test_state_comes_back_after_a_browser_restart(playwright, server, tmp_path):
    profile = tmp_path / "profile"
    context, log, page = open_browser(playwright, profile)
    try:
        boot(page, server.url)
        page.evaluate("window.evomachine.reset()")
        page.evaluate("window.evomachine.loadExample('sentiment')")
        page.evaluate("window.evomachine.setLLM({provider: 'simulated', accuracy: 0.95})")
        page.evaluate("window.evomachine.run(120)")
        saved = page.evaluate("window.evomachine.saveVersion('before restart')")
        page.evaluate("window.evomachine.run(30)")
        page.fill("#run-count", "777")
        page.dispatch_event("#run-count", "change")
        before = state(page)
    finally:
        context.close()
    assert log.foreign() == []

    context, log, page = open_browser(playwright, profile)
    try:
        boot(page, server.url)
        after = state(page)
        for key in ("dsl", "example", "stages", "metrics", "step_count", "input_cursor",
                    "current_node", "series", "dataset", "llm"):
            assert after[key] == before[key], key
        assert [v["id"] for v in after["versions"]] == [saved["id"]]
        assert page.input_value("#run-count") == "777"
        assert editor_text(page) == before["dsl"]
        page.wait_for_selector(".task-card[data-task='classify']")
        assert after["llm"]["accuracy"] == 0.95
        assert page.evaluate("window.evomachine.run(3)")["steps"] == 3
        assert state(page)["input_cursor"] == before["input_cursor"] + 1
        shot(page, "after-restart")
    finally:
        context.close()
    assert log.foreign() == []
