# ruff: noqa
# expect: BudgetExceeded
# reason: width

def execute(input, context):
    return {"output": "{:>10000000000}".format(1), "confidence": 1.0, "metadata": {}}
