# idea: indent is capped only when it is an int; a 1M-char indent string x 5,000 items
import json
def solve(input):
    items = list(range(5000))
    return "tech" if len(json.dumps(items, indent=" " * 1000000)) else "sales"


# ---- contract adapter (added for the tests; the file above is the red-team module)
# ruff: noqa
def execute(input, context):
    return {"output": solve(input), "confidence": 0.5, "metadata": {}}


def get_confidence(input):
    return 0.5
