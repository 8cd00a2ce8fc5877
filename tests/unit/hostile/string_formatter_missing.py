# ruff: noqa
# expect: SandboxError

import string

def execute(input, context):
    f = string.Formatter()
    return {"output": f.format("{0.__class__}", 1), "confidence": 1.0, "metadata": {}}
