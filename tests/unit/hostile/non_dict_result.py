# ruff: noqa
# expect: GeneratedCodeError
# reason: not a dict

def execute(input, context):
    return "spam"
