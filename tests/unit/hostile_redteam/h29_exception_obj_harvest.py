# idea: harvest host objects from exceptions raised inside host code (AttributeError.obj / args), then walk them
import re, json
def solve(input):
    found = []
    try:
        re.nothing
    except AttributeError as e:
        found.append(e.obj)
        found.append(e.name)
    try:
        json.loads("{")
    except ValueError as e:
        found.append(e.doc)
        found.append(e.args)
    try:
        next(iter([]))
    except StopIteration as e:
        found.append(e.value)
    walked = [getattr(x, "compile", None) for x in found]
    return "tech" if repr(found) else "sales"


# ---- contract adapter (added for the tests; the file above is the red-team module)
# ruff: noqa
def execute(input, context):
    return {"output": solve(input), "confidence": 0.5, "metadata": {}}


def get_confidence(input):
    return 0.5
