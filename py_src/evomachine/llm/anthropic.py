"""Anthropic Messages API client (``POST {base_url}/v1/messages``)."""

from __future__ import annotations

from typing import Any

from evomachine.llm._http import HTTPProvider
from evomachine.llm.base import LLMRequest
from evomachine.llm.prompting import instruction_for

ANTHROPIC_BASE_URL = "https://api.anthropic.com"
ANTHROPIC_VERSION = "2023-06-01"


class AnthropicClient(HTTPProvider):
    """Claude through the Messages API; usage from ``usage.input_tokens/output_tokens``.

    The ``anthropic-dangerous-direct-browser-access`` header is sent so that
    the page can call the API straight from the browser (CORS); the key then
    sits in the user's own browser, which is the point of a local-first app.
    """

    provider = "anthropic"

    def __init__(
        self, api_key: str, model: str, *, base_url: str = ANTHROPIC_BASE_URL, **options: Any
    ):
        if not api_key:
            raise ValueError("AnthropicClient needs an API key (api_key='sk-ant-...')")
        super().__init__(model=model, base_url=base_url, api_key=api_key, **options)

    def _build(self, request: LLMRequest) -> tuple[str, dict[str, str], dict[str, Any]]:
        body: dict[str, Any] = {
            "model": request.model or self.model,
            "max_tokens": request.max_tokens or self.max_tokens,
            "messages": [{"role": "user", "content": request.prompt}],
        }
        instruction = instruction_for(request)
        if instruction:
            body["system"] = instruction
        if self.temperature is not None:
            body["temperature"] = self.temperature
        headers = {
            "x-api-key": self._key() or "",
            "anthropic-version": ANTHROPIC_VERSION,
            "anthropic-dangerous-direct-browser-access": "true",
        }
        return f"{self.base_url}/v1/messages", headers, body

    def _read(self, data: Any) -> tuple[str, int | None, int | None, str | None]:
        blocks = data["content"]
        text = "".join(block.get("text", "") for block in blocks if block.get("type") == "text")
        usage = data.get("usage") or {}
        return text, usage.get("input_tokens"), usage.get("output_tokens"), data.get("model")
