# ruff: noqa
# expect: BudgetExceeded
# reason: power

def execute(input, context):
    return {"output": pow(7, 10**9), "confidence": 1.0, "metadata": {}}
