# idea: reach the LLM client / API key: look for anything key-like reachable from builtins, modules, input, context
import re, json, collections, functools, itertools, typing
def solve(input):
    hits = []
    for obj in [re, json, collections, functools, itertools, typing, input]:
        s = repr(obj)
        if "sk-" in s or "api_key" in s:
            hits.append(s)
    return "tech" if not hits else "billing"


# ---- contract adapter (added for the tests; the file above is the red-team module)
# ruff: noqa
def execute(input, context):
    return {"output": solve(input), "confidence": 0.5, "metadata": {}}


def get_confidence(input):
    return 0.5
