# ruff: noqa
# expect: BudgetExceeded
# reason: regex input

import re

def execute(input, context):
    pattern = re.compile("a")
    search = type(pattern).findall
    return {"output": len(search(pattern, "ab" * 400000)), "confidence": 1.0, "metadata": {}}
