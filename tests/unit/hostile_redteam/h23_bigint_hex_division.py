# idea: int(text, 16) builds a 4M-bit int (max_int_bits is 65,536) and // is not a guarded op: quadratic division in C
def solve(input):
    a = int("f" * 1000000, 16)
    b = int("e" * 500000, 16)
    q = 0
    for _ in range(40):
        q = a // b
    return "tech" if q else "sales"


# ---- contract adapter (added for the tests; the file above is the red-team module)
# ruff: noqa
def execute(input, context):
    return {"output": solve(input), "confidence": 0.5, "metadata": {}}


def get_confidence(input):
    return 0.5
