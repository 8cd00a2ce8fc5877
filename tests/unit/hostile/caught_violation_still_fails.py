# ruff: noqa
# expect: SandboxViolation
# reason: format string

def execute(input, context):
    try:
        leaked = "{0.__class__.__mro__}".format(input)
    except Exception:
        leaked = "nothing"
    return {"output": leaked, "confidence": 1.0, "metadata": {}}
