# idea: type(b"") is the raw bytes class: bytes(n) is not size-checked; .upper() touches every page
def solve(input):
    B = type(b"")
    x = B(1500000000).upper()
    return "tech" if len(x) else "sales"


# ---- contract adapter (added for the tests; the file above is the red-team module)
# ruff: noqa
def execute(input, context):
    return {"output": solve(input), "confidence": 0.5, "metadata": {}}


def get_confidence(input):
    return 0.5
