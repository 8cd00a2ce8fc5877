"""The machine DSL: ``parse_machine`` (text → MachineData), ``format_machine`` (back), ``DSLError``.

Names load lazily so importing the package costs nothing until a parse.
"""

from __future__ import annotations

from evomachine._lazy import lazy_exports

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

__getattr__, __dir__ = lazy_exports("evomachine.dsl", globals(), _EXPORTS)
