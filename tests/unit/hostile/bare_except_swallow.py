# ruff: noqa
# expect: SandboxViolation
# reason: bare

def execute(input, context):
    while True:
        try:
            while True:
                pass
        except:
            pass
