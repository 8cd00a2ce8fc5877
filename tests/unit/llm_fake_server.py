"""A local HTTP server on 127.0.0.1 that speaks the Anthropic and OpenAI chat protocols.

Each request takes the next behaviour from ``server.script`` (then ``"ok"``):
``"ok"``, ``"429"`` (with ``Retry-After: 0``), ``"500"``, ``"401"``, ``"hang"``
(no answer until released or ``hang_s``, then a 503), ``"slow"`` (the ``"ok"`` answer,
once released or after ``hang_s``), ``"malformed"`` (200 with broken JSON).
Every request is recorded as ``(path, headers, body)``. It answers CORS
preflights, so the page (served from another port) can call it from a browser.
"""

from __future__ import annotations

import json
import threading
from collections import deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class FakeLLMServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, answer: str = "billing", hang_s: float = 2.0):
        super().__init__(("127.0.0.1", 0), _Handler)
        self.answer = answer
        self.hang_s = hang_s
        self.script: deque[str] = deque()
        self.redirect_to: str | None = None  # set: every POST answers 307 to this address
        self.requests: list[tuple[str, dict[str, str], Any]] = []
        self.release = threading.Event()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self.serve_forever, args=(0.02,), daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def start(self) -> FakeLLMServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.release.set()
        self.shutdown()
        self.server_close()
        self._thread.join(timeout=5)

    def next_behaviour(self) -> str:
        with self._lock:
            return self.script.popleft() if self.script else "ok"


class _Handler(BaseHTTPRequestHandler):
    server: FakeLLMServer

    def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
        pass

    def do_OPTIONS(self) -> None:
        """CORS preflight, so a page on another 127.0.0.1 port can call this server."""
        self.send_response(204)
        self.send_header("Access-Control-Allow-Origin", "*")
        self.send_header("Access-Control-Allow-Methods", "POST, OPTIONS")
        self.send_header("Access-Control-Allow-Headers", "*")
        self.send_header("Access-Control-Max-Age", "600")
        self.end_headers()

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length)
        try:
            body = json.loads(raw)
        except ValueError:
            body = raw.decode("utf-8", "replace")
        headers = {k.lower(): v for k, v in self.headers.items()}
        self.server.requests.append((self.path, headers, body))
        if self.server.redirect_to:
            return self._send(307, {}, {"Location": self.server.redirect_to})
        behaviour = self.server.next_behaviour()
        if behaviour == "hang":
            self.server.release.wait(self.server.hang_s)
            return self._send(503, {"error": {"message": "late"}})
        if behaviour == "slow":
            self.server.release.wait(self.server.hang_s)
        if behaviour == "429":
            return self._send(429, {"error": {"message": "slow down"}}, {"Retry-After": "0"})
        if behaviour == "500":
            return self._send(500, {"error": {"message": "boom"}})
        if behaviour == "401":
            return self._send(401, {"error": {"message": "invalid x-api-key"}})
        if behaviour == "malformed":
            return self._send_text(200, '{"content": [ {"type": "text", "text": ')
        if self.path.endswith("/v1/messages"):
            return self._send(200, self._anthropic(body))
        if self.path.endswith("/chat/completions"):
            return self._send(200, self._openai(body))
        return self._send(404, {"error": {"message": f"no route {self.path}"}})

    def _anthropic(self, body: Any) -> dict[str, Any]:
        return {
            "id": "msg_1", "type": "message", "role": "assistant", "model": body["model"],
            "content": [{"type": "text", "text": self.server.answer}],
            "stop_reason": "end_turn",
            "usage": {"input_tokens": 21, "output_tokens": 3},
        }

    def _openai(self, body: Any) -> dict[str, Any]:
        return {
            "id": "chatcmpl-1", "object": "chat.completion", "model": body["model"],
            "choices": [{"index": 0, "finish_reason": "stop",
                         "message": {"role": "assistant", "content": self.server.answer}}],
            "usage": {"prompt_tokens": 17, "completion_tokens": 2, "total_tokens": 19},
        }

    def _send(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
        self._send_text(status, json.dumps(payload), headers)

    def _send_text(self, status: int, text: str, headers: dict[str, str] | None = None) -> None:
        data = text.encode("utf-8")
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.send_header("Access-Control-Allow-Origin", "*")
            self.send_header("Access-Control-Allow-Headers", "*")
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (a timeout test)
