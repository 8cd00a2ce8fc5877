# idea: _SafeFormatter.bounded() is per field; "{0}"*3000 over a 1M-char str builds 3G chars before vformat's sized()
def solve(input):
    s = "x" * 1000000
    fmt = "{0}" * 3000
    return "tech" if len(fmt.format(s)) else "sales"


# ---- contract adapter (added for the tests; the file above is the red-team module)
# ruff: noqa
def execute(input, context):
    return {"output": solve(input), "confidence": 0.5, "metadata": {}}


def get_confidence(input):
    return 0.5
