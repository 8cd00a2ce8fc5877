# ruff: noqa
# expect: SandboxViolation
# reason: Nonlocal

def execute(input, context):
    x = 1
    def inner():
        nonlocal x
        x = 2
    inner()
    return {"output": x, "confidence": 1.0, "metadata": {}}
