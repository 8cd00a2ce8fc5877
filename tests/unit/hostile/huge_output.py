# ruff: noqa
# expect: BudgetExceeded
# reason: bytes

def execute(input, context):
    return {"output": "x" * 200000, "confidence": 1.0, "metadata": {}}
