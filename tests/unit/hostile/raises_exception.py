# ruff: noqa
# expect: GeneratedCodeError
# reason: boom

def execute(input, context):
    raise ValueError("boom")
