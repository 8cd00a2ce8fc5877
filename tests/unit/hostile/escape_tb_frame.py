# ruff: noqa
# expect: SandboxViolation
# reason: __traceback__

def execute(input, context):
    try:
        1 / 0
    except ZeroDivisionError as exc:
        frame = exc.__traceback__.tb_frame.f_back
    return {"output": str(frame.f_globals), "confidence": 1.0, "metadata": {}}
