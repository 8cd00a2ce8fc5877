# ruff: noqa
# expect: BudgetExceeded
# reason: zfill

def execute(input, context):
    return {"output": "1".zfill(10**10), "confidence": 1.0, "metadata": {}}
