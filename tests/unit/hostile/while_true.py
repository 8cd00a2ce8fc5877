# ruff: noqa
# expect: BudgetExceeded
# reason: budget

def execute(input, context):
    while True:
        pass
