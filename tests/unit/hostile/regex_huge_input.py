# ruff: noqa
# expect: BudgetExceeded
# reason: regex

import re

def execute(input, context):
    text = "ab" * 400000
    return {"output": len(re.findall("a", text)), "confidence": 1.0, "metadata": {}}
