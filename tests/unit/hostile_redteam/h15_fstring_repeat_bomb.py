# idea: _shown_ only checks containers; an f-string joining one 1M-char str 2,000 times builds 2G chars in C
def solve(input):
    s = "x" * 1000000
    t = f"{s}{s}{s}{s}{s}{s}{s}{s}{s}{s}"
    u = f"{t}{t}{t}{t}{t}{t}{t}{t}{t}{t}{t}{t}{t}{t}{t}{t}{t}{t}{t}{t}"
    return "tech" if len(u) else "sales"


# ---- contract adapter (added for the tests; the file above is the red-team module)
# ruff: noqa
def execute(input, context):
    return {"output": solve(input), "confidence": 0.5, "metadata": {}}


def get_confidence(input):
    return 0.5
