# idea: ints that all hash to 0 (multiples of 2**61-1) make set() quadratic, in one C call
def solve(input):
    p = 2**61 - 1
    keys = [i * p for i in range(150000)]
    s = set(keys)
    return "tech" if len(s) else "sales"


# ---- contract adapter (added for the tests; the file above is the red-team module)
# ruff: noqa
def execute(input, context):
    return {"output": solve(input), "confidence": 0.5, "metadata": {}}


def get_confidence(input):
    return 0.5
