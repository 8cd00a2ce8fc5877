"""Layer 3: the built page boots in Chromium from 127.0.0.1 alone."""

from __future__ import annotations

import json

import pytest

pytestmark = pytest.mark.e2e


def test_page_boots_and_reports_engine_version(app, requests_log):
    version = app.evaluate("window.evomachine.ready.then((api) => api.version)")
    manifest = json.loads(app.evaluate("JSON.stringify(window.evomachine.manifest)"))
    assert version == manifest["version"]
    assert app.inner_text("#engine-version") == f"engine {version}"
    assert app.get_attribute(".progress", "aria-valuenow") == "100"
    timings = app.evaluate("window.evomachine.bootTimings")
    assert set(timings) == {"runtime", "packages", "engine"}
    assert all(ms > 0 for ms in timings.values())
    assert requests_log.urls, "the page made no request at all"
    assert requests_log.foreign() == []


def test_boot_phases_show_their_times(app):
    for phase in ("runtime", "packages", "engine"):
        item = app.locator(f'#boot-phases [data-phase="{phase}"]')
        assert item.get_attribute("data-state") == "done"
        assert item.locator(".phase-time").inner_text().endswith(" s")


def test_a_broken_build_shows_an_error_not_a_blank_page(page, server, requests_log):
    page.route("**/manifest.json", lambda route: route.fulfill(status=404, body="missing"))
    page.goto(server.url)
    page.wait_for_function("document.body.dataset.ready === 'failed'", timeout=30_000)
    error = page.locator("#boot-error")
    assert error.is_visible()
    assert "manifest.json" in error.inner_text()
    assert "python3 build.py" in error.inner_text()
