# idea: translate_size() looks only at the table's existing values; a defaultdict returns a 1M-char str for every char
import collections
def solve(input):
    big = "y" * 1000000
    table = collections.defaultdict(lambda: big)
    return "tech" if len(("a" * 3000).translate(table)) else "sales"


# ---- contract adapter (added for the tests; the file above is the red-team module)
# ruff: noqa
def execute(input, context):
    return {"output": solve(input), "confidence": 0.5, "metadata": {}}


def get_confidence(input):
    return 0.5
