"""Sandbox for generated code: static AST policy, RestrictedPython, guarded builtins, budgets.

    mod = load_module(code, "tasks/route.py")      # or SandboxViolation / BudgetExceeded /
                                                   #    GeneratedCodeError
    mod.get_confidence(input)                      # float in [0, 1]
    mod.execute(input, context)                    # {"output", "confidence", "metadata"}
    mod.call("tokenize", "some text")              # any public function, under the same budget

The same, behind a hard boundary where one exists (see :mod:`.host`)::

    host = default_host()                          # ProcessHost in CPython, else InProcessHost
    mod = await host.load(code, "tasks/route.py")
    await mod.execute(input, context); await mod.execute_many(inputs, context)

Every failure is a :class:`SandboxError` with a short ``reason``; a call whose
worker process had to be killed raises :class:`BoundaryError`.
"""

from __future__ import annotations

from evomachine._lazy import lazy_exports

from .budget import DEFAULT_BUDGET, LOAD_BUDGET, Budget
from .errors import (
    BoundaryError,
    BudgetExceeded,
    GeneratedCodeError,
    SandboxError,
    SandboxViolation,
)
from .host import (
    HostedModule,
    InProcessHost,
    InProcessModule,
    SandboxHost,
    default_host,
    process_boundary_available,
    shared_host,
)
from .loader import GeneratedModule, load_module
from .policy import ALLOWED_IMPORTS, SandboxPolicy

_EXPORTS = {  # imported on first use: asyncio and subprocess stay out of the child
    "ProcessHost": "evomachine.sandbox.process",
    "ProcessLimits": "evomachine.sandbox.process",
    "ProcessModule": "evomachine.sandbox.process",
}

__all__ = [
    "ALLOWED_IMPORTS",
    "DEFAULT_BUDGET",
    "LOAD_BUDGET",
    "BoundaryError",
    "Budget",
    "BudgetExceeded",
    "GeneratedCodeError",
    "GeneratedModule",
    "HostedModule",
    "InProcessHost",
    "InProcessModule",
    "ProcessHost",
    "ProcessLimits",
    "ProcessModule",
    "SandboxError",
    "SandboxHost",
    "SandboxPolicy",
    "SandboxViolation",
    "default_host",
    "load_module",
    "process_boundary_available",
    "shared_host",
]

__getattr__, __dir__ = lazy_exports(__name__, globals(), _EXPORTS)
