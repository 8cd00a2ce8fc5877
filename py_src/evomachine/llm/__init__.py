"""LLM clients: the protocol, a simulated client and HTTP providers.

HTTP providers are imported lazily: the simulated client and the answer
parser load without them.
"""

from __future__ import annotations

from evomachine._lazy import lazy_exports
from evomachine.llm.answers import AnswerError, output_schema_for, parse_answer
from evomachine.llm.base import LLMClient, LLMError, LLMRequest, LLMResponse
from evomachine.llm.prices import ModelPrice, PriceTable
from evomachine.llm.simulated import SimulatedLLM

_LAZY: dict[str, str] = {
    "AnthropicClient": "evomachine.llm.anthropic",
    "OpenAICompatibleClient": "evomachine.llm.openai_compat",
    "MockTransport": "evomachine.llm.mock_transport",
    "RateLimiter": "evomachine.llm.rate_limit",
    "Transport": "evomachine.llm.transport",
    "TransportError": "evomachine.llm.transport",
    "default_transport": "evomachine.llm.transport",
}

__all__ = [
    "AnswerError",
    "LLMClient",
    "LLMError",
    "LLMRequest",
    "LLMResponse",
    "ModelPrice",
    "PriceTable",
    "SimulatedLLM",
    "output_schema_for",
    "parse_answer",
    *_LAZY,
]

__getattr__, __dir__ = lazy_exports("evomachine.llm", globals(), _LAZY)
