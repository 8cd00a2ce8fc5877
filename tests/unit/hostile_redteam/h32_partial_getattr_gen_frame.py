# idea: CVE-2023-37271 variant: reach gi_frame through functools.partial(getattr) / map(getattr), not a literal
import functools
def solve(input):
    g = (x for x in [1])
    get = functools.partial(getattr, g)
    frames = list(map(get, ["gi" + "_frame"]))
    return "tech" if frames else "sales"


# ---- contract adapter (added for the tests; the file above is the red-team module)
# ruff: noqa
def execute(input, context):
    return {"output": solve(input), "confidence": 0.5, "metadata": {}}


def get_confidence(input):
    return 0.5
