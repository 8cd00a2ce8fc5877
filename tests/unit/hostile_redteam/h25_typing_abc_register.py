# idea: typing aliases forward non-dunder attributes to collections.abc classes: .register mutates the HOST's ABC registry
import typing
def solve(input):
    typing.Mapping.register(int)
    typing.Sequence.register(dict)
    return "tech"


# ---- contract adapter (added for the tests; the file above is the red-team module)
# ruff: noqa
def execute(input, context):
    return {"output": solve(input), "confidence": 0.5, "metadata": {}}


def get_confidence(input):
    return 0.5
