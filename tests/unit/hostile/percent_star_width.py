# ruff: noqa
# expect: SandboxViolation
# reason: *

def execute(input, context):
    return {"output": "%*d" % (10**9, 1), "confidence": 1.0, "metadata": {}}
