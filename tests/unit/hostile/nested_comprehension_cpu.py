# ruff: noqa
# expect: BudgetExceeded
# reason: budget

def execute(input, context):
    n = sum(1 for a in range(100000) for b in range(100000))
    return {"output": n, "confidence": 1.0, "metadata": {}}
