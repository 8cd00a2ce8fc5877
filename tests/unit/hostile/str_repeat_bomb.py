# ruff: noqa
# expect: BudgetExceeded
# reason: repetition

def execute(input, context):
    return {"output": "a" * 10**10, "confidence": 1.0, "metadata": {}}
