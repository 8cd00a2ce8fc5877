# ruff: noqa
# expect: SandboxViolation
# reason: __globals__

def execute(input, context):
    return {"output": str(execute.__globals__), "confidence": 1.0, "metadata": {}}
