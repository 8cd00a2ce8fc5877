# ruff: noqa
# expect: BudgetExceeded
# reason: budget

def forever():
    n = 0
    while True:
        n = n + 1
        yield n

def execute(input, context):
    return {"output": sum(forever()), "confidence": 1.0, "metadata": {}}
