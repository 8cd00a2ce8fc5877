# ruff: noqa
# expect: BudgetExceeded
# reason: budget

def execute(input, context):
    try:
        while True:
            pass
    except Exception:
        pass
    return {"output": "survived", "confidence": 1.0, "metadata": {}}
