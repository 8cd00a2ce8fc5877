# idea: walrus at module level and `global` inside solve also rebind reserved names (check_names misses both)
[SYNTHESIZER := "exact_lookup" for _ in [0]]
def solve(input):
    global TASK
    TASK = "someone-else"
    return "tech"


# ---- contract adapter (added for the tests; the file above is the red-team module)
# ruff: noqa
def execute(input, context):
    return {"output": solve(input), "confidence": 0.5, "metadata": {}}


def get_confidence(input):
    return 0.5
