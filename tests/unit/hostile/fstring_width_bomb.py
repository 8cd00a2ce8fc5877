# ruff: noqa
# expect: SandboxViolation
# reason: width

def execute(input, context):
    return {"output": f"{1:>1000000000}", "confidence": 1.0, "metadata": {}}
