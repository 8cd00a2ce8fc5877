# idea: functools.lru_cache(maxsize=None) at module level keeps every argument and result between calls
import functools
@functools.lru_cache(maxsize=None)
def blob(i):
    return tuple(range(i * 100000, i * 100000 + 100000))
N = [0]
def solve(input):
    for _ in range(100):
        N[0] += 1
        blob(N[0])
    return "tech"


# ---- contract adapter (added for the tests; the file above is the red-team module)
# ruff: noqa
def execute(input, context):
    return {"output": solve(input), "confidence": 0.5, "metadata": {}}


def get_confidence(input):
    return 0.5
