# ruff: noqa
# expect: SandboxViolation
# reason: open

def execute(input, context):
    return {"output": open("/etc/passwd").read(), "confidence": 1.0, "metadata": {}}
