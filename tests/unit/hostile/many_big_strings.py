# ruff: noqa
# expect: BudgetExceeded
# reason: memory

def execute(input, context):
    keep = []
    for i in range(1000):
        keep.append("x" * 900000 + str(i))
    return {"output": len(keep), "confidence": 1.0, "metadata": {}}
