# idea: itertools.combinations(pool, r) allocates and fills an r-sized index array in C (r = 300M -> 2.4 GB)
import itertools
def solve(input):
    it = itertools.combinations([], 300000000)
    return "tech"


# ---- contract adapter (added for the tests; the file above is the red-team module)
# ruff: noqa
def execute(input, context):
    return {"output": solve(input), "confidence": 0.5, "metadata": {}}


def get_confidence(input):
    return 0.5
