# ruff: noqa
# expect: BudgetExceeded
# reason: width

def execute(input, context):
    return {"output": "%10000000000d" % 1, "confidence": 1.0, "metadata": {}}
