# ruff: noqa
# expect: BudgetExceeded
# reason: budget

import itertools

def execute(input, context):
    for i in itertools.count():
        pass
