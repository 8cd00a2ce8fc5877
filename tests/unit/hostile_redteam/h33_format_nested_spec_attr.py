# idea: CVE-2023-41039 variant: attribute lookup hidden in a nested replacement field inside the format spec
def solve(input):
    return "{0:{1.__class__}}".format("tech", input)


# ---- contract adapter (added for the tests; the file above is the red-team module)
# ruff: noqa
def execute(input, context):
    return {"output": solve(input), "confidence": 0.5, "metadata": {}}


def get_confidence(input):
    return 0.5
