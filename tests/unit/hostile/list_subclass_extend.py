# ruff: noqa
# expect: BudgetExceeded
# reason: extend

class Items(list):
    pass

def execute(input, context):
    items = Items([0])
    for _ in range(64):
        items.extend(items)
    return {"output": len(items), "confidence": 1.0, "metadata": {}}
