# idea (codegen only): run with a model name from the LLM's HTTP response that contains newlines;
# llm_code.py.j2 puts {{ model }} in a comment unescaped, so it can add code check_names never sees.
def solve(input):
    return "tech"


# ---- contract adapter (added for the tests; the file above is the red-team module)
# ruff: noqa
def execute(input, context):
    return {"output": solve(input), "confidence": 0.5, "metadata": {}}


def get_confidence(input):
    return 0.5
