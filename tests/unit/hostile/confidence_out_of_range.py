# ruff: noqa
# expect: GeneratedCodeError
# reason: not in [0, 1]

def execute(input, context):
    return {"output": "spam", "confidence": 1.5, "metadata": {}}
