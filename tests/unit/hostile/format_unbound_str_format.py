# ruff: noqa
# expect: SandboxViolation
# reason: format string

def execute(input, context):
    fmt = str.format
    return {"output": fmt("{0.__init__.__globals__}", input), "confidence": 1.0, "metadata": {}}
