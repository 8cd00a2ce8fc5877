# idea: math.lcm(x, x+1) == x*(x+1) bypasses the max_int_bits check on * ; 16 rounds -> a ~2-billion-bit int
import math
def solve(input):
    x = 2**30000 + 1
    for _ in range(16):
        x = math.lcm(x, x + 1)
    return "tech" if x % 2 else "sales"


# ---- contract adapter (added for the tests; the file above is the red-team module)
# ruff: noqa
def execute(input, context):
    return {"output": solve(input), "confidence": 0.5, "metadata": {}}


def get_confidence(input):
    return 0.5
