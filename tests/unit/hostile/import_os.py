# ruff: noqa
# expect: SandboxViolation
# reason: os

import os

def execute(input, context):
    return {"output": os.listdir("/"), "confidence": 1.0, "metadata": {}}
