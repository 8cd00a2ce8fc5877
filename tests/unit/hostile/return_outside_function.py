# ruff: noqa
# expect: GeneratedCodeError
# reason: compile

return {"output": "x", "confidence": 1.0, "metadata": {}}

def execute(input, context):
    return {"output": "x", "confidence": 1.0, "metadata": {}}
