# ruff: noqa
# expect: SandboxViolation
# reason: modify

def execute(input, context):
    dict.get = lambda *a: "pwned"
    return {"output": "x", "confidence": 1.0, "metadata": {}}
