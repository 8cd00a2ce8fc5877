# ruff: noqa
# expect: SandboxViolation
# reason: type()

def execute(input, context):
    meta = type(type(1))
    return {"output": str(meta), "confidence": 1.0, "metadata": {}}
