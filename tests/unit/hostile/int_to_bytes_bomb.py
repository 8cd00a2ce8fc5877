# ruff: noqa
# expect: BudgetExceeded
# reason: to_bytes

def execute(input, context):
    return {"output": len((1).to_bytes(10**10, "big")), "confidence": 1.0, "metadata": {}}
