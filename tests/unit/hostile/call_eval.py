# ruff: noqa
# expect: SandboxViolation
# reason: eval

def execute(input, context):
    return {"output": eval("1 + 1"), "confidence": 1.0, "metadata": {}}
