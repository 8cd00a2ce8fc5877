# ruff: noqa
# expect: SandboxViolation
# reason: f_back

def execute(input, context):
    return {"output": context.f_back, "confidence": 1.0, "metadata": {}}
