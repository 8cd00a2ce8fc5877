# idea: iter() returns the HOST generator Meter.getiter; send/throw/close on it and read its non-dunder attributes
def solve(input):
    it = iter([1, 2, 3])
    next(it)
    try:
        it.throw(ValueError("x"))
    except ValueError:
        pass
    frame_like = getattr(it, "gi_running", None)
    return "tech" if getattr(it, "gi_suspended", None) is not None else "sales"


# ---- contract adapter (added for the tests; the file above is the red-team module)
# ruff: noqa
def execute(input, context):
    return {"output": solve(input), "confidence": 0.5, "metadata": {}}


def get_confidence(input):
    return 0.5
