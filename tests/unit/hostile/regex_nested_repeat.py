# ruff: noqa
# expect: SandboxViolation
# reason: backtracking

import re

def execute(input, context):
    hit = re.match(r"(a+)+$", "a" * 40 + "b")
    return {"output": bool(hit), "confidence": 1.0, "metadata": {}}
