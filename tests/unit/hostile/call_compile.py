# ruff: noqa
# expect: SandboxViolation
# reason: compile

def execute(input, context):
    code = compile("1", "x", "eval")
    return {"output": "x", "confidence": 1.0, "metadata": {}}
