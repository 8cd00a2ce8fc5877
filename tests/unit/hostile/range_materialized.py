# ruff: noqa
# expect: BudgetExceeded
# reason: range

def execute(input, context):
    return {"output": len(list(range(10**12))), "confidence": 1.0, "metadata": {}}
