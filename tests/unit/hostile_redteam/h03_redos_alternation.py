# idea: overlapping alternation under a star (not a *nested* repeat, so _nested_repeat does not flag it): exponential
import re
def solve(input):
    return "tech" if re.match(r"(a|aa)*c", "a" * 64) else "sales"


# ---- contract adapter (added for the tests; the file above is the red-team module)
# ruff: noqa
def execute(input, context):
    return {"output": solve(input), "confidence": 0.5, "metadata": {}}


def get_confidence(input):
    return 0.5
