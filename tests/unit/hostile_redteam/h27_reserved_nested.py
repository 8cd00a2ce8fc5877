# idea: check_names only looks at top-level statements: a nested def/assignment rebinds reserved template names
if True:
    def calibrate(raw, table):
        return 1.0
    OUTPUT_VALUES = None
def solve(input):
    return "tech"


# ---- contract adapter (added for the tests; the file above is the red-team module)
# ruff: noqa
def execute(input, context):
    return {"output": solve(input), "confidence": 0.5, "metadata": {}}


def get_confidence(input):
    return 0.5
