# idea: adjacent unbounded repeats (no nesting) are O(n^5) on 19,000 chars, within max_regex_input
import re
def solve(input):
    return "tech" if re.search(r"a*a*a*a*a*b", "a" * 19000) else "sales"


# ---- contract adapter (added for the tests; the file above is the red-team module)
# ruff: noqa
def execute(input, context):
    return {"output": solve(input), "confidence": 0.5, "metadata": {}}


def get_confidence(input):
    return 0.5
