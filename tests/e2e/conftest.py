"""e2e fixtures: dist/ served on 127.0.0.1, Debian's Chromium, and a guard on every request."""

from __future__ import annotations

import importlib.util
import os
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlparse

import pytest
from playwright.sync_api import Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

ROOT = Path(__file__).resolve().parents[2]
# Storage belongs to an origin (scheme, host and port): one server per session keeps the
# origin stable for tests that reopen a persistent profile. The port itself is any free one,
# so two test runs on one machine don't collide; EVOMACHINE_E2E_PORT pins it. Each
# pytest-xdist worker (build.py test runs this layer on several) is a session with a server
# of its own: a pinned port is the first worker's, and the others count up from it.
PORT = int(os.environ.get("EVOMACHINE_E2E_PORT", "0"))
if PORT:
    PORT += int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw") or 0)


def _load_build_module():
    spec = importlib.util.spec_from_file_location("evomachine_build", ROOT / "build.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["evomachine_build"] = module
    spec.loader.exec_module(module)
    return module


BUILD = _load_build_module()


def _wait_for_function(page: Page, expression: str, *, arg=None, timeout: float | None = None,
                       polling=None):
    """``Page.wait_for_function`` for a page whose CSP forbids eval.

    Playwright's own version evaluates the predicate with ``eval`` inside the page,
    which the page's Content-Security-Policy refuses (as it should). This one polls
    through ``page.evaluate`` (the DevTools protocol, outside the page's CSP) with the
    same meaning: a function expression gets ``arg``; a promise is awaited; the wait
    ends at the first truthy value, or fails after ``timeout`` ms (30 s by default).
    """
    deadline = time.monotonic() + (30_000 if timeout is None else timeout) / 1000
    interval = polling / 1000 if isinstance(polling, int | float) else 0.05
    while True:
        value = page.evaluate(expression, arg)
        if value:
            return value
        if time.monotonic() > deadline:
            raise PlaywrightTimeoutError(f"wait_for_function timed out: {expression}")
        page.wait_for_timeout(interval * 1000)


Page.wait_for_function = _wait_for_function
# The suite must pass beside two CPU-bound processes on two cores, where the engine Worker can
# take seconds to answer: Playwright's assertions wait as long as its actions do (30 s), not 5 s.
expect.set_options(timeout=30_000)

# The page runs no Python: the engine's Pyodide is in its Worker. Tests that need to run Python in
# the page's origin (the storage conformance suite, raw IndexedDB checks) boot a Pyodide of their
# own there, from the same dist/, and keep it as window.__testPyodide: test code, not the page's.
_TEST_PYODIDE = (Path(__file__).with_name("page_pyodide.js")).read_text()


def engine_worker(page: Page, timeout: float = 30_000):
    """The page's engine Worker (``web/engine-worker.mjs``), for evaluating in its scope."""
    deadline = time.monotonic() + timeout / 1000
    while True:
        found = [w for w in page.workers if w.url.endswith("/web/engine-worker.mjs")]
        if found:
            return found[0]
        if time.monotonic() > deadline:
            raise PlaywrightTimeoutError(f"no engine worker among {[w.url for w in page.workers]}")
        page.wait_for_timeout(50)


def page_python(page: Page) -> str:
    """Boot the test's own Pyodide in ``page`` (once); JS code reaches it as the returned name."""
    page.evaluate(_TEST_PYODIDE)
    return "window.__testPyodide"
CHROMIUM = BUILD.CHROMIUM
CHROMIUM_FLAGS = list(BUILD.CHROMIUM_FLAGS)


class Server:
    def __init__(self, port: int) -> None:
        if not (BUILD.DIST / "manifest.json").exists():
            pytest.fail("dist/ is missing: run 'python3 build.py' first")
        self.httpd = BUILD.make_server(port)
        self.port = self.httpd.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}/"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture(scope="session")
def server() -> Iterator[Server]:
    running = Server(PORT)
    yield running
    running.close()


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict) -> dict:
    if not Path(CHROMIUM).exists():
        pytest.fail("Chromium is missing: install it with 'apt-get install chromium' "
                    "or run 'python3 build.py test', which does it when run as root")
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_FLAGS,
            "headless": True}


class RequestLog:
    """Every request the page makes; ``foreign()`` lists those not to 127.0.0.1."""

    def __init__(self) -> None:
        self.urls: list[str] = []

    def record(self, request) -> None:
        self.urls.append(request.url)

    def foreign(self) -> list[str]:
        allowed = {"127.0.0.1"}
        return [url for url in self.urls
                if urlparse(url).scheme not in ("data", "blob")
                and urlparse(url).hostname not in allowed]


def guard_requests(context) -> RequestLog:
    """Record every request of ``context`` and abort any that leaves 127.0.0.1."""
    log = RequestLog()
    context.on("request", log.record)

    def route(route) -> None:
        host = urlparse(route.request.url).hostname
        if host == "127.0.0.1" or urlparse(route.request.url).scheme in ("data", "blob"):
            route.continue_()
        else:
            route.abort()

    context.route("**/*", route)
    return log


@pytest.fixture
def requests_log(context) -> Iterator[RequestLog]:
    log = guard_requests(context)
    yield log
    assert log.foreign() == [], f"requests left 127.0.0.1: {log.foreign()}"


@pytest.fixture
def app(page, server: Server, requests_log: RequestLog):
    """The built page, booted: ``window.evomachine.ready`` has resolved."""
    page.goto(server.url)
    page.wait_for_function("window.evomachine && window.evomachine.version !== null "
                           "|| document.body.dataset.ready === 'failed'", timeout=90_000)
    assert page.evaluate("document.body.dataset.ready") == "true", page.inner_text("#boot-error")
    return page


LAB_READY = "document.body.dataset.ready === 'true' || document.body.dataset.ready === 'failed'"


def fresh_lab(browser, server: Server, **context_options) -> Iterator[Page]:
    """A page on the lab in a new context with empty storage, for a module-scoped fixture
    (``yield from fresh_lab(browser, server)``); on teardown no request may have left
    127.0.0.1 and no page error may have happened. A new context starts with no IndexedDB
    and no localStorage: the page boots once, as a first visit."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, **context_options)
    log = guard_requests(context)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(server.url)
    page.wait_for_function(LAB_READY, timeout=120_000)
    assert page.evaluate("document.body.dataset.ready") == "true", page.inner_text("#boot-error")
    assert page.evaluate("window.evomachine.state()")["loaded"] is False
    yield page
    context.close()
    assert log.foreign() == [], f"requests left 127.0.0.1: {log.foreign()}"
    assert errors == [], errors


def run_steps(page: Page, steps: int) -> None:
    """Run ``steps`` steps with the Run button and wait until the status says they are done."""
    page.fill("#run-count", str(steps))
    page.evaluate("document.getElementById('run-status').textContent = ''")
    page.click("#run-btn")
    page.wait_for_function(
        "() => { const t = document.getElementById('run-status').textContent;"
        " return t && !/^Running|^Pausing|^Waiting/.test(t); }", timeout=300_000)
    assert page.inner_text("#run-status").startswith(f"Done after {steps:,}"), \
        page.inner_text("#run-status")


def run_under_way(page: Page, steps: int, timeout: float = 60_000) -> None:
    """Wait until a run of ``steps`` has started, as the page shows it, and taken a step.

    The page says "Running N steps…" and resets its bar when the run starts: a bar that is
    not at 0 after that is this run's progress, not the last run's full bar.
    """
    page.wait_for_function(
        f"document.getElementById('run-status').textContent === 'Running {steps:,} steps…'"
        " && document.querySelector('.run-progress').getAttribute('aria-valuenow') !== '0'",
        timeout=timeout)


def use_openai_endpoint(page: Page, base_url: str, key: str, model: str = "my-model") -> None:
    """Point the page at an OpenAI-compatible endpoint through its LLM form, one request at a
    time (no request sent ahead), and wait until the page says the settings are in use."""
    page.select_option("#llm-provider", "openai")
    page.fill("#llm-base-url", base_url)
    page.fill("#llm-model", model)
    page.fill("#llm-key", key)
    page.fill("#llm-concurrency", "1")
    page.click("#apply-llm")
    page.wait_for_function(
        "(u) => document.getElementById('llm-status').textContent.includes(u)", arg=base_url)
