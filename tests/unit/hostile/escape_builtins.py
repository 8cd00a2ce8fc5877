# ruff: noqa
# expect: SandboxViolation
# reason: __builtins__

def execute(input, context):
    f = __builtins__["open"]
    return {"output": f("/etc/passwd").read(), "confidence": 1.0, "metadata": {}}
