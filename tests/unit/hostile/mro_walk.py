# ruff: noqa
# expect: SandboxViolation
# reason: mro

def execute(input, context):
    base = str.mro()[-1]
    return {"output": str(base), "confidence": 1.0, "metadata": {}}
