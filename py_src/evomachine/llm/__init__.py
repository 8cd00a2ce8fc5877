"""LLM clients: the protocol, a simulated client and HTTP providers."""

from evomachine.llm.base import LLMClient, LLMError, LLMRequest, LLMResponse

__all__ = ["LLMClient", "LLMError", "LLMRequest", "LLMResponse"]
