# ruff: noqa
# expect: SandboxViolation
# reason: type()

def execute(input, context):
    Evil = type("Evil", (), {"__del__": lambda self: None})
    return {"output": "x", "confidence": 1.0, "metadata": {}}
