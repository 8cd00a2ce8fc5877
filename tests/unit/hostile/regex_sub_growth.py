# ruff: noqa
# expect: BudgetExceeded
# reason: re.sub

import re

def execute(input, context):
    text = "a" * 10000
    return {"output": len(re.sub("", "b" * 1000, text)), "confidence": 1.0, "metadata": {}}
