# ruff: noqa
# expect: BudgetExceeded
# reason: expands

def execute(input, context):
    x = [1]
    for _ in range(60):
        x = [x, x]
    return {"output": len("%s" % (x,)), "confidence": 1.0, "metadata": {}}
