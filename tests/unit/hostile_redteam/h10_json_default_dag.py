# idea: json.dumps(default=f): bounded() checks obj, but f's return value (a shared DAG) is expanded by the C encoder
import json
class Box:
    pass
def solve(input):
    x = ["x"]
    for _ in range(40):
        x = [x, x]
    s = json.dumps(Box(), default=lambda o: x)
    return "tech" if len(s) else "sales"


# ---- contract adapter (added for the tests; the file above is the red-team module)
# ruff: noqa
def execute(input, context):
    return {"output": solve(input), "confidence": 0.5, "metadata": {}}


def get_confidence(input):
    return 0.5
