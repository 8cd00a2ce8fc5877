# ruff: noqa
# expect: BudgetExceeded
# reason: power

def execute(input, context):
    return {"output": 2 ** 10 ** 9, "confidence": 1.0, "metadata": {}}
