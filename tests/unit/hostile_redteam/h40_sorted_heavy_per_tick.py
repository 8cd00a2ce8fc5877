# idea: the clock is read every 32 ticks; each tick here is a ~50 ms C sort, so 32 ticks overshoot the 200 ms budget
def solve(input):
    data = [(i * 7919) % 1000003 for i in range(200000)]
    data = [str(x) * 4 for x in data]
    n = 0
    for _ in range(64):
        n += len(sorted(data))
    return "tech" if n else "sales"


# ---- contract adapter (added for the tests; the file above is the red-team module)
# ruff: noqa
def execute(input, context):
    return {"output": solve(input), "confidence": 0.5, "metadata": {}}


def get_confidence(input):
    return 0.5
