"""The lab's errors, apart from the modules that need pydantic (so they import cheaply)."""

from __future__ import annotations

from typing import Any


class LabError(Exception):
    """Something the user asked for cannot be done; the message says why and what to do."""


class LLMConfigError(ValueError):
    """LLM settings that cannot make a client; the message says which field and why."""


#: ``LLMConfig().public()``, known without importing pydantic (a unit test keeps them equal).
DEFAULT_LLM_PUBLIC: dict[str, Any] = {
    "provider": "simulated", "accuracy": 0.97, "latency_ms": 400.0, "error_rate": 0.0,
    "price_in": 3.0, "price_out": 15.0, "seed": 0, "wait": False, "concurrency": 8,
    "base_url": None, "model": None,
    "remember": False, "prices": {}, "has_key": False, "endpoint_url": None,
}
