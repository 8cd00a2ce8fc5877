"""The one contract every LLM client keeps: ``async complete(request) -> LLMResponse``.

Users bring their own clients (a local model, a company gateway), so the
executor relies on nothing but this method and these two models.
"""

from __future__ import annotations

from typing import Any, Literal, Protocol, runtime_checkable

from pydantic import BaseModel, Field


class LLMRequest(BaseModel):
    """What the executor asks a model.

    ``purpose`` is ``"task"`` for running a task and ``"codegen"`` when the
    engine asks the model to write a task's code. ``output_schema`` is the
    JSON schema of the expected answer (for example ``{"enum": [...]}``), or
    ``None`` when the task declares no output type.
    """

    prompt: str
    task: str
    purpose: Literal["task", "codegen"] = "task"
    input: Any = None
    output_schema: dict[str, Any] | None = None
    model: str | None = None
    max_tokens: int | None = None
    metadata: dict[str, Any] = Field(default_factory=dict)


class LLMResponse(BaseModel):
    """What a model answered, with what it cost."""

    text: str
    input_tokens: int = 0
    output_tokens: int = 0
    cost: float = 0.0
    latency_ms: float = 0.0
    model: str = ""


class LLMError(Exception):
    """A model call failed (network, HTTP status, timeout, malformed answer).

    The executor turns it into a failed execution carrying ``reason``; it
    never escapes ``step()``.
    """

    def __init__(self, reason: str, *, status: int | None = None, retryable: bool = False):
        super().__init__(reason)
        self.reason = reason
        self.status = status
        self.retryable = retryable


@runtime_checkable
class LLMClient(Protocol):
    async def complete(self, request: LLMRequest) -> LLMResponse: ...
