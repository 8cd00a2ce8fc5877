# ruff: noqa
# expect: SandboxViolation
# reason: register
import typing

def execute(input, context):
    typing.Mapping.register(int)
    return {"output": "tech", "confidence": 1.0, "metadata": {}}
