# idea: list() of a raw (unguarded) range materializes 200M ints in one C call
def solve(input):
    R = type(range(0))
    return "tech" if len(list(R(200000000))) else "sales"


# ---- contract adapter (added for the tests; the file above is the red-team module)
# ruff: noqa
def execute(input, context):
    return {"output": solve(input), "confidence": 0.5, "metadata": {}}


def get_confidence(input):
    return 0.5
