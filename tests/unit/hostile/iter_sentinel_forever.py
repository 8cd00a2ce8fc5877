# ruff: noqa
# expect: SandboxViolation
# reason: iter

def execute(input, context):
    return {"output": list(iter(int, 1)), "confidence": 1.0, "metadata": {}}
