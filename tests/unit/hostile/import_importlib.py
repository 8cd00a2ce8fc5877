# ruff: noqa
# expect: SandboxViolation
# reason: importlib

import importlib

def execute(input, context):
    return {"output": str(importlib.import_module("os")), "confidence": 1.0, "metadata": {}}
