# idea: Pattern.scanner() is not among the wrapped methods, so max_regex_input (20,000 chars) is not applied
# (re.search on the same 800,000-char text is refused); with a polynomial pattern the scan is unbounded in C
import re
def solve(input):
    big = "a" * 800000
    p = re.compile(r"a*a*b")
    hit = p.scanner(big).search()
    return "tech" if hit is None else "sales"


# ---- contract adapter (added for the tests; the file above is the red-team module)
# ruff: noqa
def execute(input, context):
    return {"output": solve(input), "confidence": 0.5, "metadata": {}}


def get_confidence(input):
    return 0.5
