# idea: pow(a, b, m) with a modulus is passed straight to C (guards.pow: `if mod is not None: return pow(a, b, mod)`)
# each operand stays under max_int_bits, but a 32k-bit exponent over a 63k-bit modulus runs for minutes in one C call
def solve(input):
    a = 3**20000
    b = 2**32000 - 1
    m = a * a + 7
    return "tech" if pow(a, b, m) % 2 else "sales"


# ---- contract adapter (added for the tests; the file above is the red-team module)
# ruff: noqa
def execute(input, context):
    return {"output": solve(input), "confidence": 0.5, "metadata": {}}


def get_confidence(input):
    return 0.5
