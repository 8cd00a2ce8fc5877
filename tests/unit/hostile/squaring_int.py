# ruff: noqa
# expect: BudgetExceeded
# reason: integer

def execute(input, context):
    n = 3
    for _ in range(64):
        n = n * n
    return {"output": n % 10, "confidence": 1.0, "metadata": {}}
