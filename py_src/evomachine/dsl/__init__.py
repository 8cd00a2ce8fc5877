"""The machine DSL: ``parse_machine`` (text → MachineData), ``format_machine`` (back), ``DSLError``.

Names load lazily so importing the package costs nothing until a parse.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS: dict[str, str] = {
    "parse_machine": "evomachine.dsl.parser",
    "parse_document": "evomachine.dsl.parser",
    "SourceMap": "evomachine.dsl.source_map",
    "format_machine": "evomachine.dsl.printer",
    "validate_machine": "evomachine.dsl.validate",
    "DSLError": "evomachine.dsl.errors",
    "Problem": "evomachine.dsl.errors",
}

__all__ = list(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'evomachine.dsl' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
