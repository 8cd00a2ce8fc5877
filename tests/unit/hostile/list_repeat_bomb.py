# ruff: noqa
# expect: BudgetExceeded
# reason: repetition

def execute(input, context):
    return {"output": len([0] * 10**9), "confidence": 1.0, "metadata": {}}
