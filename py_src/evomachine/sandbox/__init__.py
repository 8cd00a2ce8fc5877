"""Sandbox for generated code: static AST policy, RestrictedPython, guarded builtins, budgets.

    mod = load_module(code, "tasks/route.py")      # or SandboxViolation / BudgetExceeded /
                                                   #    GeneratedCodeError
    mod.get_confidence(input)                      # float in [0, 1]
    mod.execute(input, context)                    # {"output", "confidence", "metadata"}
    mod.call("tokenize", "some text")              # any public function, under the same budget

Every failure is a :class:`SandboxError` with a short ``reason``.
"""

from __future__ import annotations

from .budget import DEFAULT_BUDGET, LOAD_BUDGET, Budget
from .errors import BudgetExceeded, GeneratedCodeError, SandboxError, SandboxViolation
from .loader import GeneratedModule, load_module
from .policy import ALLOWED_IMPORTS, SandboxPolicy

__all__ = [
    "ALLOWED_IMPORTS",
    "DEFAULT_BUDGET",
    "LOAD_BUDGET",
    "Budget",
    "BudgetExceeded",
    "GeneratedCodeError",
    "GeneratedModule",
    "SandboxError",
    "SandboxPolicy",
    "SandboxViolation",
    "load_module",
]
