"""The browser transport with stand-ins for ``js`` and ``pyodide.http``, and a secrecy property."""

from __future__ import annotations

import json
import sys
import types

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aio import drive
from evomachine import _compat
from evomachine.llm import AnthropicClient, LLMError, LLMRequest, TransportError
from evomachine.llm._transport_pyodide import FetchTransport


class FakeSignal:
    def __init__(self, ms: int | None = None, parts: list[FakeSignal] | None = None):
        self.ms = ms
        self.parts = parts or []
        self._aborted = False

    @property
    def aborted(self) -> bool:
        return self._aborted or any(part.aborted for part in self.parts)

    @aborted.setter
    def aborted(self, value: bool) -> None:
        self._aborted = value


class FakeController:
    def __init__(self):
        self.signal = FakeSignal()

    @classmethod
    def new(cls):
        return cls()

    def abort(self):
        self.signal.aborted = True


class FakeResponse:
    def __init__(self, type: str = "cors"):
        self.type = type  # what fetch's Response.type says ("opaqueredirect": not followed)
        self.status = 200 if type != "opaqueredirect" else 0
        self.headers = {"Content-Type": "application/json", "Retry-After": "1"}

    async def text(self):
        return '{"ok": true}'


def install_fake_browser(monkeypatch, fetch):
    """Put minimal ``js`` and ``pyodide.http`` modules in sys.modules for this test."""
    signals: list[FakeSignal] = []

    class AbortSignal:
        @staticmethod
        def timeout(ms):
            signals.append(FakeSignal(ms))
            return signals[-1]

        @staticmethod
        def any(parts):
            return FakeSignal(parts=list(parts))

    js = types.ModuleType("js")
    js.AbortSignal = AbortSignal
    js.AbortController = FakeController
    pyodide = types.ModuleType("pyodide")
    http = types.ModuleType("pyodide.http")
    http.pyfetch = fetch
    pyodide.http = http
    ffi = types.ModuleType("pyodide.ffi")
    ffi.to_js = lambda value: value
    pyodide.ffi = ffi
    monkeypatch.setitem(sys.modules, "js", js)
    monkeypatch.setitem(sys.modules, "pyodide", pyodide)
    monkeypatch.setitem(sys.modules, "pyodide.http", http)
    monkeypatch.setitem(sys.modules, "pyodide.ffi", ffi)
    monkeypatch.setattr(_compat, "IN_PYODIDE", True)  # the one door now says: browser
    return signals


# These swap ``js``/``pyodide`` in sys.modules, which must not happen inside a real Pyodide.
@pytest.mark.cpython_only
async def test_fetch_transport_posts_json_with_a_timeout_signal(monkeypatch):
    calls = []

    async def pyfetch(url, **options):
        calls.append((url, options))
        return FakeResponse()

    signals = install_fake_browser(monkeypatch, pyfetch)
    result = await FetchTransport().post_json("https://x/v1/messages", {"x-api-key": "k"},
                                              {"a": 1}, 0.25)
    assert result == (200, {"content-type": "application/json", "retry-after": "1"},
                      '{"ok": true}')
    assert calls[0][0] == "https://x/v1/messages"
    options = calls[0][1]
    assert options["method"] == "POST" and json.loads(options["body"]) == {"a": 1}
    assert options["headers"] == {"Content-Type": "application/json", "x-api-key": "k"}
    assert signals[0] in options["signal"].parts and signals[0].ms == 250


@pytest.mark.cpython_only
async def test_fetch_transport_reports_timeouts_and_failures(monkeypatch):
    async def aborted(url, **options):
        options["signal"].aborted = True
        raise OSError("AbortError: signal is aborted without reason")

    install_fake_browser(monkeypatch, aborted)
    with pytest.raises(TransportError, match=r"no answer within 0\.5 s") as caught:
        await FetchTransport().post_json("https://x", {}, {}, 0.5)
    assert caught.value.timeout

    async def refused(url, **options):
        raise RuntimeError("TypeError: Failed to fetch")

    install_fake_browser(monkeypatch, refused)
    with pytest.raises(TransportError, match="fetch failed: RuntimeError") as caught:
        await FetchTransport().post_json("https://x", {}, {}, 0.5)
    assert not caught.value.timeout


@pytest.mark.cpython_only
async def test_pause_aborts_the_request_in_flight_and_it_raises_interrupted(monkeypatch):
    from evomachine.interrupts import Interrupted, abort_in_flight

    seen = []

    async def hangs_until_aborted(url, **options):
        seen.append(options["signal"])
        assert abort_in_flight() == 1  # the user's Pause arrives while this request waits
        assert options["signal"].aborted
        raise OSError("AbortError: signal is aborted without reason")

    install_fake_browser(monkeypatch, hangs_until_aborted)
    with pytest.raises(Interrupted, match="paused while waiting for https://x"):
        await FetchTransport().post_json("https://x", {}, {}, 30)
    assert abort_in_flight() == 0  # nothing stays registered once the request ended
    assert not isinstance(Interrupted("x"), Exception)  # "except Exception" lets it through


KEY = "sk-ant-PROPERTY-KEY-00112233"


class EchoTransport:
    """Answers with a status and a body that may contain the key."""

    def __init__(self, status, body):
        self.status, self.body = status, body

    async def post_json(self, url, headers, body, timeout_s):
        return self.status, {}, self.body


async def no_sleep(seconds):
    return None


@settings(max_examples=150)
@given(st.integers(400, 599), st.text(max_size=30), st.text(max_size=30), st.booleans())
def test_property_errors_never_contain_the_key(status, before, after, as_json):
    body = before + KEY + after
    if as_json:
        body = json.dumps({"error": {"message": body}})
    client = AnthropicClient(KEY, "claude-sonnet-4", transport=EchoTransport(status, body),
                             max_retries=1, sleep=no_sleep)
    with pytest.raises(LLMError) as caught:
        drive(client.complete(LLMRequest(prompt="p", task="t")))
    assert KEY not in str(caught.value) and KEY not in repr(caught.value)
    assert caught.value.status == status


@pytest.mark.cpython_only
async def test_a_request_that_gets_its_turn_after_pause_is_not_sent(monkeypatch):
    """A request queued behind the rate limiter when Pause aborted those in flight must not
    go out afterwards (it would hang where no Pause can reach it)."""
    from evomachine.interrupts import Interrupted, request_pause

    sent = []

    async def fetch(url, **options):
        sent.append(url)
        raise AssertionError("sent after Pause")

    install_fake_browser(monkeypatch, fetch)
    request_pause(True)
    try:
        with pytest.raises(Interrupted, match="paused before sending to https://x"):
            await FetchTransport().post_json("https://x", {}, {}, 30)
    finally:
        request_pause(False)
    assert sent == []
