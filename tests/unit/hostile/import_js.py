# ruff: noqa
# expect: SandboxViolation
# reason: js

import js

def execute(input, context):
    js.fetch("https://example.com")
    return {"output": "x", "confidence": 1.0, "metadata": {}}
