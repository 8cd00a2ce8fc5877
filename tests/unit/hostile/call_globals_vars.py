# ruff: noqa
# expect: SandboxViolation
# reason: globals

def execute(input, context):
    return {"output": str(globals()) + str(vars()), "confidence": 1.0, "metadata": {}}
