"""Task evolution: stages, policy, metrics, code synthesis and the evolutionary executor.

Names are imported lazily so that ``evomachine.evolution.synthesis`` can be
imported without pulling in the executor (and the executor imports synthesis
only when it synthesizes).
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS: dict[str, str] = {
    "EvolutionaryExecutor": "evomachine.evolution.executor",
    "TaskState": "evomachine.evolution.executor",
    "EvolutionPolicy": "evomachine.evolution.policy",
    "PolicyError": "evomachine.evolution.policy",
    "EXECUTION_THRESHOLD": "evomachine.evolution.policy",
    "SUCCESS_RATE_THRESHOLD": "evomachine.evolution.policy",
    "STAGES": "evomachine.evolution.stages",
    "EvolutionError": "evomachine.evolution.stages",
    "TaskMetrics": "evomachine.evolution.metrics",
}

__all__ = list(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'evomachine.evolution' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
