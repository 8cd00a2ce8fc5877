# ruff: noqa
# expect: SandboxViolation
# reason: metaclass

class Evil(metaclass=type):
    pass

def execute(input, context):
    return {"output": "x", "confidence": 1.0, "metadata": {}}
