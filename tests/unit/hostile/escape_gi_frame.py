# ruff: noqa
# expect: SandboxViolation
# reason: gi_frame

def execute(input, context):
    gen = (x for x in [1])
    frame = gen.gi_frame.f_back
    return {"output": str(frame.f_globals), "confidence": 1.0, "metadata": {}}
