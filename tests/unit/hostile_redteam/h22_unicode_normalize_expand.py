# idea: unicodedata.normalize is not size-checked: U+FDFA expands 18x under NFKD (1M chars -> 18M), 10 times per call
import unicodedata
def solve(input):
    s = "\ufdfa" * 1000000
    keep = [unicodedata.normalize("NFKD", s) for _ in range(10)]
    return "tech" if len(keep) else "sales"


# ---- contract adapter (added for the tests; the file above is the red-team module)
# ruff: noqa
def execute(input, context):
    return {"output": solve(input), "confidence": 0.5, "metadata": {}}


def get_confidence(input):
    return 0.5
