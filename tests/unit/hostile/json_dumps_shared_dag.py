# ruff: noqa
# expect: BudgetExceeded
# reason: expands

import json

def execute(input, context):
    x = {"k": 1}
    for _ in range(60):
        x = {"a": x, "b": x}
    return {"output": len(json.dumps(x)), "confidence": 1.0, "metadata": {}}
