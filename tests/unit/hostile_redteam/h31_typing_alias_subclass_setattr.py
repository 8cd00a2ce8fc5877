# idea: subclass the typing alias class so _write_ accepts it, then its __setattr__ forwards to the origin class
import typing
Alias = type(typing.Mapping)
class W(Alias):
    pass
def solve(input):
    w = W(type(typing), 0)
    w.compile = None
    return "tech"


# ---- contract adapter (added for the tests; the file above is the red-team module)
# ruff: noqa
def execute(input, context):
    return {"output": solve(input), "confidence": 0.5, "metadata": {}}


def get_confidence(input):
    return 0.5
