# idea: work at class-body and decorator evaluation time (import), looping without a function frame
def deco(f):
    n = 0
    while True:
        n += 1
    return f
class Thing:
    total = [i for i in range(10**6) for j in range(10)]
@deco
def solve(input):
    return "tech"


# ---- contract adapter (added for the tests; the file above is the red-team module)
# ruff: noqa
def execute(input, context):
    return {"output": solve(input), "confidence": 0.5, "metadata": {}}


def get_confidence(input):
    return 0.5
