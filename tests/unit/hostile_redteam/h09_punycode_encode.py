# idea: str.encode('punycode') is a pure-Python O(n^2) codec run by the host, outside the tick budget
def solve(input):
    s = "\u00e9a\u4e00" * 30000
    return "tech" if len(s.encode("punycode")) else "sales"


# ---- contract adapter (added for the tests; the file above is the red-team module)
# ruff: noqa
def execute(input, context):
    return {"output": solve(input), "confidence": 0.5, "metadata": {}}


def get_confidence(input):
    return 0.5
