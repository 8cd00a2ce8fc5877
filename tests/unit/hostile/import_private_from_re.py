# ruff: noqa
# expect: SandboxViolation
# reason: _compiler

from re import _compiler

def execute(input, context):
    return {"output": "x", "confidence": 1.0, "metadata": {}}
