"""A version whose snapshot cannot be restored is refused by rollback, and nothing changes.

Found by replacing values of a real export's version snapshots: ``tasks.route.costs`` as
text, ``detector.h`` or ``metrics.total_cost`` as null, ``run.outputs`` as text... passed
the import check (it restores only the current run); pressing Rollback to that version
then raised an internal TypeError/AttributeError/ValueError half-way through restoring
the executor, leaving the live machine half replaced.
"""

from __future__ import annotations

import copy
import json

import pytest
from test_app import call, value
from test_app_import import everything, exported_lab

from evomachine.app import Lab
from evomachine.storage import MemoryStorage


def snapshot(document: dict, index: int = 0) -> dict:
    return document["storage"]["snapshots"][index][1]


@pytest.mark.parametrize(("path", "bad"), [
    (("tasks", "route", "costs"), "x"),
    (("tasks", "route", "detector", "h"), None),
    (("tasks", "route", "metrics", "total_cost"), None),
    (("run", "outputs"), "x"),
])
async def test_rolling_back_to_a_damaged_version_is_refused_and_changes_nothing(path, bad):
    _, document = await exported_lab()
    broken = copy.deepcopy(document)
    target = snapshot(broken)
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = bad
    lab = Lab(MemoryStorage())
    await value(lab, "import_state", json.dumps(broken))
    damaged = document["storage"]["snapshots"][0][0].split("/")[-1]
    before, stored = await value(lab, "state"), await everything(lab.storage)
    reply = await call(lab, "rollback", damaged)
    assert reply["ok"] is False and reply["kind"] == "user", reply
    assert damaged in reply["error"] and "nothing" in reply["error"]
    after = await value(lab, "state")
    for key in ("step_count", "stages", "versions", "dsl", "tasks"):
        assert after[key] == before[key], key
    assert await everything(lab.storage) == stored
    assert (await value(lab, "step"))["step_count"] == before["step_count"] + 1
