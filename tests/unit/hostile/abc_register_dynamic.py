# ruff: noqa
# expect: SandboxViolation
# reason: register
import functools
import typing

def execute(input, context):
    get = functools.partial(getattr, typing.Sequence)
    get("reg" + "ister")(dict)
    return {"output": "tech", "confidence": 1.0, "metadata": {}}
