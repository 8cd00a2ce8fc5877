# ruff: noqa
# expect: BudgetExceeded
# reason: budget

import functools
import itertools

def execute(input, context):
    total = functools.reduce(lambda a, b: a + b, itertools.count())
    return {"output": total, "confidence": 1.0, "metadata": {}}
