# idea: module globals persist between calls; each call parks uncharged copies there: memory grows without bound
KEEP = []
BASE = list(range(1000000))
def solve(input):
    for _ in range(20):
        KEEP.append(tuple(BASE))
    return "tech"


# ---- contract adapter (added for the tests; the file above is the red-team module)
# ruff: noqa
def execute(input, context):
    return {"output": solve(input), "confidence": 0.5, "metadata": {}}


def get_confidence(input):
    return 0.5
