# ruff: noqa
# expect: BudgetExceeded
# reason: expandtabs

def execute(input, context):
    s = "\t" * 100000
    return {"output": len(s.expandtabs(1000)), "confidence": 1.0, "metadata": {}}
