# idea: str.format's !r conversion runs repr() in convert_field BEFORE _SafeFormatter.format_field's bounded() check
def solve(input):
    x = ["x"]
    for _ in range(40):
        x = [x, x]
    s = "{0!r}".format(x)
    return "tech" if len(s) else "sales"


# ---- contract adapter (added for the tests; the file above is the red-team module)
# ruff: noqa
def execute(input, context):
    return {"output": solve(input), "confidence": 0.5, "metadata": {}}


def get_confidence(input):
    return 0.5
