# ruff: noqa
# expect: SandboxViolation
# reason: __class__

def execute(input, context):
    return {"output": str(getattr(input, "__class__")), "confidence": 1.0, "metadata": {}}
