"""An export whose numbers the page computes with are not numbers is refused whole.

Found by replacing each value of a real export with a wrong-typed one: a task's
``cut``/``full`` (``answered: "x"``, ``disagreed: null``) and a version's per-task
``metrics`` (a number where a dict belongs) passed the import check and were written;
from then on every ``state()`` (what the page draws, at each refresh and after a
reload) failed with an internal TypeError/AttributeError until Reset cleared everything.
"""

from __future__ import annotations

import copy

import pytest
from test_app import value
from test_app_import import exported_lab, refused

from evomachine.app import Lab
from evomachine.storage import MemoryStorage


def task_state(document: dict) -> dict:
    return document["storage"]["state"][0][1]["tasks"]["route"]


def version_info(document: dict) -> dict:
    return document["storage"]["versions"][0][1]


@pytest.mark.parametrize(("where", "field", "bad"), [
    ("cut", "answered", "<b>x</b>"),
    ("cut", "disagreed", None),
    ("cut", "threshold", []),
    ("full", "answered", {}),
    ("full", "upper_bound", "x"),
])
async def test_a_cut_that_is_not_numbers_is_refused_and_nothing_changes(where, field, bad):
    lab, document = await exported_lab()
    broken = copy.deepcopy(document)
    task_state(broken)[where][field] = bad
    await refused(lab, broken, where)


@pytest.mark.parametrize("bad", [-1, 1.5e308, "<img src=x onerror=alert(1)>", [1]])
async def test_version_metrics_that_are_not_per_task_tables_are_refused(bad):
    lab, document = await exported_lab()
    broken = copy.deepcopy(document)
    version_info(broken)["metrics"]["route"] = bad
    await refused(lab, broken, "metrics")


async def test_the_checked_export_still_imports_and_draws():
    _, document = await exported_lab()
    other = Lab(MemoryStorage())
    state = await value(other, "import_state", __import__("json").dumps(document))
    assert state["stages"] == {"route": "hybrid"}
    assert (await value(other, "state"))["tasks"]["route"]["why"]["figures"]
