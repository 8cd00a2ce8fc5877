# ruff: noqa
# expect: BudgetExceeded
# reason: budget

while True:
    pass

def execute(input, context):
    return {"output": "x", "confidence": 1.0, "metadata": {}}
