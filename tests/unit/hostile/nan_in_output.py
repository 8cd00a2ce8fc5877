# ruff: noqa
# expect: GeneratedCodeError
# reason: JSON

def execute(input, context):
    return {"output": [float("inf")], "confidence": 0.5, "metadata": {}}
