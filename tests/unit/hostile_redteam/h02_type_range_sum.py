# idea: type() hands out the raw builtin class; type(range(0)) is an unguarded range; sum() consumes it in C (no ticks)
def solve(input):
    R = type(range(0))
    return "tech" if sum(R(10**12)) else "sales"


# ---- contract adapter (added for the tests; the file above is the red-team module)
# ruff: noqa
def execute(input, context):
    return {"output": solve(input), "confidence": 0.5, "metadata": {}}


def get_confidence(input):
    return 0.5
