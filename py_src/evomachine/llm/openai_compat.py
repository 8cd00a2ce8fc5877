"""OpenAI-compatible chat completions (``POST {base_url}/chat/completions``).

Works with OpenAI and with local servers that speak the same protocol; their
usual base URLs are in :data:`KNOWN_BASE_URLS`. Local models are free unless
you give them a price in the :class:`~evomachine.llm.prices.PriceTable`.
"""

from __future__ import annotations

from typing import Any

from evomachine.llm._http import HTTPProvider
from evomachine.llm.base import LLMRequest
from evomachine.llm.prompting import instruction_for

KNOWN_BASE_URLS: dict[str, str] = {
    "openai": "https://api.openai.com/v1",
    "ollama": "http://localhost:11434/v1",
    "llama.cpp": "http://localhost:8080/v1",
    "vllm": "http://localhost:8000/v1",
    "lm-studio": "http://localhost:1234/v1",
}


class OpenAICompatibleClient(HTTPProvider):
    """Chat completions; usage from ``usage.prompt_tokens/completion_tokens`` (estimated if absent).

    ``api_key`` is sent as ``Authorization: Bearer`` when given (local
    servers usually need none). ``base_url`` is the part before
    ``/chat/completions``, for example ``http://localhost:11434/v1``.
    """

    provider = "openai-compatible"

    def __init__(self, base_url: str, model: str, api_key: str | None = None, **options: Any):
        super().__init__(model=model, base_url=base_url, api_key=api_key, **options)

    @classmethod
    def for_server(cls, server: str, model: str, **options: Any) -> OpenAICompatibleClient:
        """A client for a known server name (``"ollama"``, ``"llama.cpp"``, ``"openai"``, ...)."""
        if server not in KNOWN_BASE_URLS:
            known = ", ".join(sorted(KNOWN_BASE_URLS))
            raise ValueError(f"unknown server {server!r}; known: {known} (or pass base_url)")
        return cls(KNOWN_BASE_URLS[server], model, **options)

    def _build(self, request: LLMRequest) -> tuple[str, dict[str, str], dict[str, Any]]:
        messages: list[dict[str, str]] = []
        instruction = instruction_for(request)
        if instruction:
            messages.append({"role": "system", "content": instruction})
        messages.append({"role": "user", "content": request.prompt})
        body: dict[str, Any] = {
            "model": request.model or self.model,
            "messages": messages,
            "max_tokens": request.max_tokens or self.max_tokens,
            "stream": False,
        }
        if self.temperature is not None:
            body["temperature"] = self.temperature
        key = self._key()
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        return f"{self.base_url}/chat/completions", headers, body

    def _read(self, data: Any) -> tuple[str, int | None, int | None, str | None]:
        message = data["choices"][0]["message"]
        text = message.get("content") or ""
        if not isinstance(text, str):
            raise TypeError(f"message content is {type(text).__name__}, not text")
        usage = data.get("usage") or {}
        return text, usage.get("prompt_tokens"), usage.get("completion_tokens"), data.get("model")
