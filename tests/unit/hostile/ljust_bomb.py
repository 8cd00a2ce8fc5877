# ruff: noqa
# expect: BudgetExceeded
# reason: ljust

def execute(input, context):
    return {"output": "x".ljust(10**10), "confidence": 1.0, "metadata": {}}
