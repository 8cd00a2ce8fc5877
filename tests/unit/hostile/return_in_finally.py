# ruff: noqa
# expect: SandboxViolation
# reason: finally

def execute(input, context):
    try:
        while True:
            pass
    finally:
        return {"output": "x", "confidence": 1.0, "metadata": {}}
