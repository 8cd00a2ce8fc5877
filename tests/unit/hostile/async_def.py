# ruff: noqa
# expect: SandboxViolation
# reason: async

async def execute(input, context):
    return {"output": "x", "confidence": 1.0, "metadata": {}}
