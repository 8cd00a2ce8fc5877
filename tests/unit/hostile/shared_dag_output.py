# ruff: noqa
# expect: GeneratedCodeError
# reason: values

def execute(input, context):
    x = [1]
    for _ in range(25):
        x = [x, x]
    return {"output": x, "confidence": 1.0, "metadata": {}}
