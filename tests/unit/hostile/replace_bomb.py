# ruff: noqa
# expect: BudgetExceeded
# reason: replace

def execute(input, context):
    s = "a" * 2000
    return {"output": len(s.replace("", "b" * 1000)), "confidence": 1.0, "metadata": {}}
