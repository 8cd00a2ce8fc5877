# ruff: noqa
# expect: SandboxViolation
# reason: format string

def execute(input, context):
    text = "{f.__globals__}".format_map({"f": execute})
    return {"output": text, "confidence": 1.0, "metadata": {}}
