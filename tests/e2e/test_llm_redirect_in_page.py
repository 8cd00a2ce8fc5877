"""An LLM endpoint that redirects, reached from the real page: the key stays where the user
put it, and the page says what happened.

A redirect that ``fetch`` followed would carry the request, with its ``Authorization`` or
``x-api-key`` header, to whatever address the endpoint names. The engine asks ``fetch`` not to
follow, and tells the person that the endpoint redirects and where to point instead.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Page

from conftest import fresh_lab, use_openai_endpoint
from unit.llm_fake_server import FakeLLMServer

pytestmark = pytest.mark.e2e

KEY = "sk-test-REDIRECT-0123456789"


@pytest.fixture(scope="module")
def lab(browser, server) -> Iterator[Page]:
    yield from fresh_lab(browser, server)


@pytest.fixture
def servers() -> Iterator[tuple[FakeLLMServer, FakeLLMServer]]:
    mine, theirs = FakeLLMServer(answer="tech").start(), FakeLLMServer(answer="sales").start()
    mine.redirect_to = f"{theirs.base_url}/v1/chat/completions"
    yield mine, theirs
    mine.stop()
    theirs.stop()


def test_a_redirecting_endpoint_gets_the_key_once_and_the_page_says_it_redirects(lab, servers):
    mine, theirs = servers
    lab.evaluate("window.evomachine.loadExample('ticket-triage')")
    use_openai_endpoint(lab, f"{mine.base_url}/v1", KEY)
    lab.click("#step-btn")
    lab.click("#step-btn")  # the Input, then the task: its request is redirected
    lab.wait_for_function("() => window.evomachine.state().then((s) => "
                          "s.metrics.route && s.metrics.route.execution_count >= 1)")
    assert mine.requests and mine.requests[0][1]["authorization"] == f"Bearer {KEY}"
    assert theirs.requests == []
    lab.wait_for_function("() => document.body.innerText.includes("
                          "'answered with a redirect, which is not followed')")
    shown = lab.inner_text("body")
    assert "gave up after" not in shown  # asked once: trying again cannot help
    assert KEY not in shown
