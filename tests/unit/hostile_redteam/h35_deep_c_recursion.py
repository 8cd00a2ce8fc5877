# idea: 60,000-deep nested list (bounded() counts items, not depth): repr/== recurse in C
def solve(input):
    x = []
    for _ in range(60000):
        x = [x]
    y = []
    for _ in range(60000):
        y = [y]
    return "tech" if x == y else "sales"


# ---- contract adapter (added for the tests; the file above is the red-team module)
# ruff: noqa
def execute(input, context):
    return {"output": solve(input), "confidence": 0.5, "metadata": {}}


def get_confidence(input):
    return 0.5
