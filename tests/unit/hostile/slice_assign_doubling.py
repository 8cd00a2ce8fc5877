# ruff: noqa
# expect: BudgetExceeded
# reason: slice

def execute(input, context):
    items = [0]
    for _ in range(64):
        items[len(items):] = items
    return {"output": len(items), "confidence": 1.0, "metadata": {}}
