# ruff: noqa
# expect: SandboxViolation
# reason: pyodide

from pyodide import ffi

def execute(input, context):
    return {"output": "x", "confidence": 1.0, "metadata": {}}
