# ruff: noqa
# expect: BudgetExceeded
# reason: factorial

import math

def execute(input, context):
    return {"output": math.factorial(10**6) % 7, "confidence": 1.0, "metadata": {}}
