# idea: == is not guarded; two distinct shared-DAG tuples of depth 60 compare over 2**60 paths in C
def solve(input):
    a = ("x",)
    b = ("x",)
    for _ in range(60):
        a = (a, a)
        b = (b, b)
    return "tech" if a == b else "sales"


# ---- contract adapter (added for the tests; the file above is the red-team module)
# ruff: noqa
def execute(input, context):
    return {"output": solve(input), "confidence": 0.5, "metadata": {}}


def get_confidence(input):
    return 0.5
