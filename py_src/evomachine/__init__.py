"""EvoMachine: state machines whose LLM tasks evolve into generated Python code.

Public names are imported lazily so that ``import evomachine`` stays cheap in
the browser: the first screen needs only ``__version__``.
"""

from __future__ import annotations

from evomachine._lazy import lazy_exports

__version__ = "0.2.0.dev0"

# public name -> module that defines it
_EXPORTS: dict[str, str] = {
    "parse_machine": "evomachine.dsl",
    "format_machine": "evomachine.dsl",
    "DSLError": "evomachine.dsl",
    "MachineData": "evomachine.model",
    "MachineExecutor": "evomachine.executor",
    "StepResult": "evomachine.executor",
    "TaskResult": "evomachine.executor",
    "EvolutionaryExecutor": "evomachine.evolution",
    "LLMRequest": "evomachine.llm",
    "LLMResponse": "evomachine.llm",
    "LLMError": "evomachine.llm",
    "SimulatedLLM": "evomachine.llm",
    "create_storage": "evomachine.storage",
    "MemoryStorage": "evomachine.storage",
    "LocalStorageBackend": "evomachine.storage",
    "IndexedDBStorage": "evomachine.storage",
    "SQLiteStorage": "evomachine.storage",
    "MachinePersistence": "evomachine.persistence",
    "PatternLibrary": "evomachine.persistence",
    "Pattern": "evomachine.persistence",
}

__all__ = ["__version__", *_EXPORTS]

__getattr__, __dir__ = lazy_exports("evomachine", globals(), _EXPORTS)
