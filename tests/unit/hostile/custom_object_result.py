# ruff: noqa
# expect: GeneratedCodeError
# reason: plain data

class Sneaky:
    def __eq__(self, other):
        return True

def execute(input, context):
    return {"output": Sneaky(), "confidence": 0.5, "metadata": {}}
