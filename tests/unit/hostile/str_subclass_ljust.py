# ruff: noqa
# expect: BudgetExceeded
# reason: ljust

class Text(str):
    pass

def execute(input, context):
    return {"output": len(Text("x").ljust(10**10)), "confidence": 1.0, "metadata": {}}
