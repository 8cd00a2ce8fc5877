# idea: list(x)/tuple(x) copies are not charged to max_alloc: 300 copies of a 1M list = 300M slots in one call
def solve(input):
    base = list(range(1000000))
    keep = [list(base) for _ in range(300)]
    return "tech" if len(keep) else "sales"


# ---- contract adapter (added for the tests; the file above is the red-team module)
# ruff: noqa
def execute(input, context):
    return {"output": solve(input), "confidence": 0.5, "metadata": {}}


def get_confidence(input):
    return 0.5
