# ruff: noqa
# expect: GeneratedCodeError
# reason: numbers only

def execute(input, context):
    rows = [[0] * 1000] * 1000
    return {"output": len(sum(rows, [])), "confidence": 0.5, "metadata": {}}
