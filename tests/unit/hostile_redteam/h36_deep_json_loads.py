# idea: json.loads of 400,000 nested arrays recurses in C
import json
def solve(input):
    s = "[" * 400000 + "]" * 400000
    return "tech" if json.loads(s) else "sales"


# ---- contract adapter (added for the tests; the file above is the red-team module)
# ruff: noqa
def execute(input, context):
    return {"output": solve(input), "confidence": 0.5, "metadata": {}}


def get_confidence(input):
    return 0.5
