# ruff: noqa
# expect: BudgetExceeded

def execute(input, context):
    s = "ab"
    for _ in range(64):
        s = s + s
    return {"output": len(s), "confidence": 1.0, "metadata": {}}
