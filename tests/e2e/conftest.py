"""e2e fixtures: dist/ served on 127.0.0.1, Debian's Chromium, and a guard on every request."""

from __future__ import annotations

import importlib.util
import os
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlparse

import pytest

ROOT = Path(__file__).resolve().parents[2]
# Storage belongs to an origin (scheme, host and port): one server per session keeps the
# origin stable for tests that reopen a persistent profile. The port itself is any free one,
# so two test runs on one machine don't collide; EVOMACHINE_E2E_PORT pins it.
PORT = int(os.environ.get("EVOMACHINE_E2E_PORT", "0"))


def _load_build_module():
    spec = importlib.util.spec_from_file_location("evomachine_build", ROOT / "build.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["evomachine_build"] = module
    spec.loader.exec_module(module)
    return module


BUILD = _load_build_module()
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
