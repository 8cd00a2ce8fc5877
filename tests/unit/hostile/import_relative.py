# ruff: noqa
# expect: SandboxViolation
# reason: import

from . import secrets

def execute(input, context):
    return {"output": "x", "confidence": 1.0, "metadata": {}}
