# ruff: noqa
# expect: BudgetExceeded
# reason: recursion

def down(n):
    return down(n + 1)

def execute(input, context):
    return {"output": down(0), "confidence": 1.0, "metadata": {}}
