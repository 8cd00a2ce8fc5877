# ruff: noqa
# expect: GeneratedCodeError
# reason: nan

def execute(input, context):
    return {"output": "spam", "confidence": float("nan"), "metadata": {}}
