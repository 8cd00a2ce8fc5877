# ruff: noqa
# expect: GeneratedCodeError
# reason: not a float

def execute(input, context):
    return {"output": "spam", "confidence": "high", "metadata": {}}
