# ruff: noqa
# expect: BudgetExceeded
# reason: repetition

from collections import deque

def execute(input, context):
    return {"output": len(deque([1, 2]) * 10**9), "confidence": 1.0, "metadata": {}}
