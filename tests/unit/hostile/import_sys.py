# ruff: noqa
# expect: SandboxViolation
# reason: sys

import sys

def execute(input, context):
    sys.modules.clear()
    return {"output": "x", "confidence": 1.0, "metadata": {}}
