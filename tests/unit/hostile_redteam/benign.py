# expect: works (control)
def solve(input):
    t = input.get("text", "")
    if "crash" in t or "error" in t or "bug" in t:
        return "tech"
    if "invoice" in t or "charge" in t or "refund" in t:
        return "billing"
    return "sales"


# ---- contract adapter (added for the tests; the file above is the red-team module)
# ruff: noqa
def execute(input, context):
    return {"output": solve(input), "confidence": 0.5, "metadata": {}}


def get_confidence(input):
    return 0.5
