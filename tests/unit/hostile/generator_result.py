# ruff: noqa
# expect: GeneratedCodeError
# reason: generator

def endless():
    while True:
        yield 1

def execute(input, context):
    return {"output": endless(), "confidence": 0.5, "metadata": {}}
