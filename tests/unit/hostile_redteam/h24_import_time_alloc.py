# idea: module body (LOAD_BUDGET) parks 2.4 GB in a global for the module's lifetime (combinations index array)
import itertools
HOLD = itertools.combinations([], 300000000)
def solve(input):
    return "tech"


# ---- contract adapter (added for the tests; the file above is the red-team module)
# ruff: noqa
def execute(input, context):
    return {"output": solve(input), "confidence": 0.5, "metadata": {}}


def get_confidence(input):
    return 0.5
