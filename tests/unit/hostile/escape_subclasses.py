# ruff: noqa
# expect: SandboxViolation
# reason: __class__

def execute(input, context):
    classes = ().__class__.__bases__[0].__subclasses__()
    return {"output": str(classes), "confidence": 1.0, "metadata": {}}
