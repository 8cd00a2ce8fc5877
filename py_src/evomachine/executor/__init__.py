"""The machine executor: steps, task execution, results."""

from evomachine.executor._machine import LLMAnswer, MachineExecutor, find_start, slugify
from evomachine.executor._types import (
    ExecutionError,
    StepResult,
    TaskResult,
    TaskSpec,
    choose_edge,
    label_of,
)

__all__ = [
    "ExecutionError",
    "LLMAnswer",
    "MachineExecutor",
    "StepResult",
    "TaskResult",
    "TaskSpec",
    "choose_edge",
    "find_start",
    "label_of",
    "slugify",
]
