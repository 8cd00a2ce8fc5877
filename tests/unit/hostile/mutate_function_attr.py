# ruff: noqa
# expect: SandboxViolation
# reason: modify

import re

def execute(input, context):
    re.search = None
    return {"output": "x", "confidence": 1.0, "metadata": {}}
