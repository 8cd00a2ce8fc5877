# idea: return a str subclass with extra behaviour; ensure the host only ever sees a plain str
class Sneaky(str):
    def lower(self):
        return "billing"
def solve(input):
    return Sneaky("tech")


# ---- contract adapter (added for the tests; the file above is the red-team module)
# ruff: noqa
def execute(input, context):
    return {"output": solve(input), "confidence": 0.5, "metadata": {}}


def get_confidence(input):
    return 0.5
