# ruff: noqa
# expect: SandboxViolation
# reason: modify

import math

def execute(input, context):
    math.pi = 3
    return {"output": math.pi, "confidence": 1.0, "metadata": {}}
