# idea: json.dumps(separators=...) takes any str; bounded() does not count it; 20,000 keys x 1M-char separator
import json
def solve(input):
    d = {str(i): i for i in range(20000)}
    return "tech" if len(json.dumps(d, separators=(",", ":" * 1000000))) else "sales"


# ---- contract adapter (added for the tests; the file above is the red-team module)
# ruff: noqa
def execute(input, context):
    return {"output": solve(input), "confidence": 0.5, "metadata": {}}


def get_confidence(input):
    return 0.5
