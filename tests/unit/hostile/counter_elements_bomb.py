# ruff: noqa
# expect: BudgetExceeded
# reason: would build

from collections import Counter

def execute(input, context):
    c = Counter({"a": 10**12})
    return {"output": len(list(c.elements())), "confidence": 1.0, "metadata": {}}
