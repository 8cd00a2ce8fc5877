# ruff: noqa
# expect: SandboxViolation
# reason: format string

def execute(input, context):
    return {"output": "{0.__class__}".format(input), "confidence": 1.0, "metadata": {}}
