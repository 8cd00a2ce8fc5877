# idea: hash() of a shared-DAG tuple walks 2**60 leaves (CPython 3.11 does not cache tuple hashes)
def solve(input):
    a = ("x",)
    for _ in range(60):
        a = (a, a)
    return "tech" if hash(a) else "sales"


# ---- contract adapter (added for the tests; the file above is the red-team module)
# ruff: noqa
def execute(input, context):
    return {"output": solve(input), "confidence": 0.5, "metadata": {}}


def get_confidence(input):
    return 0.5
