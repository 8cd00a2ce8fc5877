# ruff: noqa
# expect: SandboxViolation
# reason: __import__

def execute(input, context):
    os = __import__("os")
    return {"output": os.getcwd(), "confidence": 1.0, "metadata": {}}
