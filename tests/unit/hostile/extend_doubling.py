# ruff: noqa
# expect: BudgetExceeded
# reason: extend

def execute(input, context):
    items = [0]
    for _ in range(64):
        items.extend(items)
    return {"output": len(items), "confidence": 1.0, "metadata": {}}
