# ruff: noqa
# expect: GeneratedCodeError
# reason: lacks

def execute(input, context):
    return {"label": "spam"}
