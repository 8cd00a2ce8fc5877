# ruff: noqa
# expect: BudgetExceeded
# reason: join

def execute(input, context):
    sep = "x" * 100000
    return {"output": len(sep.join(["a"] * 1000)), "confidence": 1.0, "metadata": {}}
