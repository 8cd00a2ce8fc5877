# ruff: noqa
# expect: BudgetExceeded
# reason: recursion

def execute(input, context):
    f = lambda n: f(n + 1)
    return {"output": f(0), "confidence": 1.0, "metadata": {}}
