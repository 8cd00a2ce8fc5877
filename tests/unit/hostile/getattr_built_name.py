# ruff: noqa
# expect: SandboxViolation
# reason: literal

def execute(input, context):
    name = "__cl" + "ass__"
    return {"output": str(getattr(input, name)), "confidence": 1.0, "metadata": {}}
