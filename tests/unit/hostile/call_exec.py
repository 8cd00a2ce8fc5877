# ruff: noqa
# expect: SandboxViolation
# reason: exec

def execute(input, context):
    exec("import os")
    return {"output": "x", "confidence": 1.0, "metadata": {}}
