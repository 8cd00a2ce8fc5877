"""An LLM endpoint that answers with a redirect never sends the key to another host.

Found: urllib's default opener follows a 301/302/303 answer to a POST with a GET to the
``Location``, carrying every header but the content ones, ``Authorization`` and
``x-api-key`` included, to whatever host (and scheme) the endpoint names; the browser's
``fetch`` follows 307/308 as well and keeps ``x-api-key`` across origins. The user chose
one endpoint; a redirect is now an answer from it (an error), never followed.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from test_llm_transports import FakeResponse, install_fake_browser

from evomachine.llm import LLMError, LLMRequest, OpenAICompatibleClient, TransportError
from evomachine.llm._transport_cpython import UrllibTransport
from evomachine.llm._transport_pyodide import FetchTransport
from evomachine.llm.transport_base import REDIRECT_REFUSED

KEY = "sk-test-REDIRECTED-0123456789"
REQUEST = LLMRequest(prompt="Route: my bill is wrong", task="route",
                     output_schema={"enum": ["billing", "tech", "sales"]})


class Recorder(BaseHTTPRequestHandler):
    """Answers every request with ``server.answer`` and records the headers it got."""

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        self.server.seen.append(dict(self.headers))  # type: ignore[attr-defined]
        status, headers, body = self.server.answer  # type: ignore[attr-defined]
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_HEAD = _serve

    def log_message(self, *args: Any) -> None:
        pass


def serve(answer: tuple[int, dict[str, str], bytes]) -> ThreadingHTTPServer:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    server.seen = []  # type: ignore[attr-defined]
    server.answer = answer  # type: ignore[attr-defined]
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.fixture
def elsewhere() -> Iterator[ThreadingHTTPServer]:
    """The host the endpoint redirects to: it would answer like a real LLM."""
    ok = (b'{"model": "m", "choices": [{"message": {"content": "billing"}}],'
          b' "usage": {"prompt_tokens": 1, "completion_tokens": 1}}')
    server = serve((200, {"Content-Type": "application/json"}, ok))
    yield server
    server.shutdown()


@pytest.mark.cpython_only
@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
async def test_a_redirect_from_the_endpoint_is_an_error_and_the_key_stays(elsewhere, status):
    target = f"http://127.0.0.1:{elsewhere.server_address[1]}/v1/chat/completions"
    endpoint = serve((status, {"Location": target}, b""))
    try:
        client = OpenAICompatibleClient(f"http://127.0.0.1:{endpoint.server_address[1]}/v1",
                                        "gpt-4o-mini", api_key=KEY, transport=UrllibTransport(),
                                        max_retries=0)
        with pytest.raises(LLMError) as caught:
            await client.complete(REQUEST)
    finally:
        endpoint.shutdown()
    assert len(endpoint.seen) == 1 and endpoint.seen[0].get("Authorization") == f"Bearer {KEY}"
    assert elsewhere.seen == []
    assert KEY not in str(caught.value) and str(status) in str(caught.value)
    assert "redirect" in str(caught.value) and target in str(caught.value)


@pytest.mark.cpython_only
async def test_the_browser_transport_asks_fetch_not_to_follow_redirects(monkeypatch):
    calls = []

    async def pyfetch(url: str, **options: Any) -> Any:
        calls.append(options)
        return FakeResponse("opaqueredirect")  # what fetch gives for a redirect not followed

    install_fake_browser(monkeypatch, pyfetch)
    with pytest.raises(TransportError) as caught:
        await FetchTransport().post_json("https://x/v1/messages", {"x-api-key": KEY}, {}, 1.0)
    assert calls[0]["redirect"] == "manual"
    assert caught.value.final and "redirect" in caught.value.reason


async def test_a_redirect_the_browser_did_not_follow_is_said_and_not_tried_again():
    class Redirected:
        def __init__(self) -> None:
            self.calls = 0

        async def post_json(self, *args: Any) -> Any:
            self.calls += 1
            raise TransportError(REDIRECT_REFUSED, final=True)

    transport = Redirected()
    client = OpenAICompatibleClient("https://llm.example/v1", "gpt-4o-mini", api_key=KEY,
                                    transport=transport, max_retries=3)
    with pytest.raises(LLMError) as caught:
        await client.complete(REQUEST)
    assert transport.calls == 1
    assert "redirect" in str(caught.value) and "base URL" in str(caught.value)
    assert KEY not in str(caught.value)
