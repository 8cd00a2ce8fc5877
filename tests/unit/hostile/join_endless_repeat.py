# ruff: noqa
# expect: BudgetExceeded
# reason: budget

import itertools

def execute(input, context):
    return {"output": "".join(itertools.repeat("x")), "confidence": 1.0, "metadata": {}}
