# idea: 60,000-deep nested list; bounded() counts 60,000 items (< 1M) so repr() is allowed: C recursion
def solve(input):
    x = []
    for _ in range(60000):
        x = [x]
    return "tech" if len(repr(x)) else "sales"


# ---- contract adapter (added for the tests; the file above is the red-team module)
# ruff: noqa
def execute(input, context):
    return {"output": solve(input), "confidence": 0.5, "metadata": {}}


def get_confidence(input):
    return 0.5
