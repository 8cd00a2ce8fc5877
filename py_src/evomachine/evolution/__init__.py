"""Task evolution: stages, policy, metrics, code synthesis and the evolutionary executor.

Names are imported lazily so that ``evomachine.evolution.synthesis`` can be
imported without pulling in the executor (and the executor imports synthesis
only when it synthesizes).
"""

from __future__ import annotations

from evomachine._lazy import lazy_exports

_EXPORTS: dict[str, str] = {
    "EvolutionaryExecutor": "evomachine.evolution.executor",
    "TaskState": "evomachine.evolution.task_state",
    "EvolutionPolicy": "evomachine.evolution.policy",
    "PolicyError": "evomachine.evolution.policy",
    "EXECUTION_THRESHOLD": "evomachine.evolution.policy",
    "SUCCESS_RATE_THRESHOLD": "evomachine.evolution.policy",
    "STAGES": "evomachine.ladder",
    "Evolver": "evomachine.evolution.evolver",
    "EvolutionError": "evomachine.evolution.stages",
    "TaskMetrics": "evomachine.evolution.metrics",
}

__all__ = list(_EXPORTS)

__getattr__, __dir__ = lazy_exports("evomachine.evolution", globals(), _EXPORTS)
