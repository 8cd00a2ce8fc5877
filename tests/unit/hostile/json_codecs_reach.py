# ruff: noqa
# expect: GeneratedCodeError
# reason: codecs

import json

def execute(input, context):
    return {"output": str(json.codecs.open), "confidence": 1.0, "metadata": {}}
