# ruff: noqa
# expect: SandboxViolation
# reason: collections.abc

import collections.abc

def execute(input, context):
    return {"output": "x", "confidence": 1.0, "metadata": {}}
