# ruff: noqa
# expect: BudgetExceeded

def boom(n):
    try:
        return boom(n + 1)
    except Exception:
        return boom(n + 1)

def execute(input, context):
    return {"output": boom(0), "confidence": 1.0, "metadata": {}}
