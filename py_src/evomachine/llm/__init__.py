"""LLM clients: the protocol, a simulated client and HTTP providers.

HTTP providers are imported lazily: the simulated client and the answer
parser load without them.
"""

from __future__ import annotations

import importlib
from typing import Any

from evomachine.llm.answers import AnswerError, output_schema_for, parse_answer
from evomachine.llm.base import LLMClient, LLMError, LLMRequest, LLMResponse
from evomachine.llm.prices import ModelPrice, PriceTable
from evomachine.llm.simulated import SimulatedLLM

_LAZY: dict[str, str] = {
    "AnthropicClient": "evomachine.llm.anthropic",
    "OpenAICompatibleClient": "evomachine.llm.openai_compat",
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


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'evomachine.llm' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
