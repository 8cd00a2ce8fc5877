# idea: CVE-2025-22153: try/except* type confusion
def solve(input):
    try:
        raise ValueError("x")
    except* ValueError as eg:
        pass
    return "tech"


# ---- contract adapter (added for the tests; the file above is the red-team module)
# ruff: noqa
def execute(input, context):
    return {"output": solve(input), "confidence": 0.5, "metadata": {}}


def get_confidence(input):
    return 0.5
