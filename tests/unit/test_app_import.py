"""Imports are checked whole before anything is written, and swapped in all at once.

A refused file leaves every stored document as it was (the red-team's export
with one broken state document used to leave 0 versions); an accepted one
is written in one storage batch (its machines replace the stored ones of the same id).
"""

from __future__ import annotations

import copy
import json

import pytest
from test_app import call, loaded_lab, run, value

from evomachine.app import Lab
from evomachine.storage import KNOWN_NAMESPACES, MemoryStorage

XSS = 'x"><img src=x onerror=alert(1)>'


async def everything(storage) -> dict:
    return {ns: await storage.items(ns) for ns in KNOWN_NAMESPACES}


_EXPORT: list[dict] = []


async def exported_lab():
    """A lab that ran to hybrid and saved two versions and a pattern; and its export.

    The run happens once per module; later calls import its export into a new lab.
    """
    if not _EXPORT:
        lab = await loaded_lab()
        await run(lab, 30)
        await value(lab, "save_version", "early")
        await run(lab, 300, "hybrid")
        await value(lab, "save_version", "hybrid")
        await value(lab, "save_pattern", "route", "router", "")
        _EXPORT.append(await value(lab, "export_state"))
        return lab, copy.deepcopy(_EXPORT[0])
    lab = Lab(MemoryStorage())
    await value(lab, "import_state", json.dumps(_EXPORT[0]))
    return lab, copy.deepcopy(_EXPORT[0])


def entries(document: dict, namespace: str) -> list:
    return document["storage"][namespace]


def entry(document: dict, namespace: str, key: str | None = None) -> list:
    for item in entries(document, namespace):
        if key is None or item[0] == key:
            return item
    raise KeyError(key)


async def refused(lab: Lab, document, *needles: str) -> str:
    before = await everything(lab.storage)
    state_before = await value(lab, "state")
    text = document if isinstance(document, str) else json.dumps(document)
    for method in ("inspect_import", "import_state"):
        reply = await call(lab, method, text)
        assert reply["ok"] is False and reply["kind"] == "user", reply
        assert "nothing" in reply["error"], reply["error"]
        for needle in needles:
            assert needle in reply["error"], reply["error"]
    assert await everything(lab.storage) == before  # the old state is whole
    state_after = await value(lab, "state")
    for key in ("step_count", "stages", "versions", "dsl"):
        assert state_after[key] == state_before[key]
    return reply["error"]


async def test_an_export_round_trips_into_a_fresh_lab():
    lab, document = await exported_lab()
    other = Lab(MemoryStorage())
    summary = await value(other, "inspect_import", json.dumps(document))
    assert summary["runs"] == 1 and summary["versions"] == 2 and summary["patterns"] == 1
    assert summary["machine_id"] == "ticket-triage" and summary["same_endpoint"] is True
    assert await other.storage.items("meta") == []  # inspecting wrote nothing
    state = await value(other, "import_state", json.dumps(document))
    assert state["stages"] == {"route": "hybrid"} and len(state["versions"]) == 2
    assert await everything(other.storage) == await everything(lab.storage)


async def test_a_stage_that_is_not_a_stage_is_refused_and_nothing_changes():
    lab, document = await exported_lab()
    bad = copy.deepcopy(document)
    entry(bad, "state", "ticket-triage")[1]["tasks"]["route"]["stage"] = XSS
    await refused(lab, bad, "state/ticket-triage", "tasks.route.stage")
    bad = copy.deepcopy(document)
    snapshot = entries(bad, "snapshots")[0]
    snapshot[1]["tasks"]["route"]["stage"] = XSS
    await refused(lab, bad, f"snapshots/{snapshot[0]}")
    bad = copy.deepcopy(document)
    entries(bad, "versions")[0][1]["stages"]["route"] = XSS
    await refused(lab, bad, "versions/")
    bad = copy.deepcopy(document)
    session = entry(bad, "meta", "lab/session")[1]
    session["series"]["route"]["changes"][0]["to"] = XSS
    await refused(lab, bad, "meta/lab/session")
    bad = copy.deepcopy(document)
    entry(bad, "state", "ticket-triage")[1]["mutations"].append(
        {"type": "task_evolution", "timestamp": 1.0, "data": {"to_stage": XSS}})
    await refused(lab, bad, "to_stage")


@pytest.mark.parametrize("where", ["node type", "node name", "n_heldout", "current node",
                                   "edge target"])
async def test_what_the_page_draws_is_validated(where):
    lab, document = await exported_lab()
    bad = copy.deepcopy(document)
    state = entry(bad, "state", "ticket-triage")[1]
    if where == "node type":
        state["machine"]["nodes"][1]["type"] = XSS
    elif where == "node name":
        state["machine"]["nodes"][1]["name"] = XSS
    elif where == "n_heldout":
        scores = state["tasks"]["route"]["last_synthesis"]["scores"]
        next(iter(scores.values()))["n_heldout"] = XSS
    elif where == "current node":
        state["run"]["current_node"] = XSS
    else:
        state["machine"]["edges"][0]["target"] = "nowhere"
    await refused(lab, bad, "state/ticket-triage")


async def test_one_broken_document_refuses_the_whole_file_and_keeps_every_version():
    lab, document = await exported_lab()
    for breakage in ("snapshot", "history", "missing record", "pattern", "head", "session",
                     "dataset", "code", "unknown meta", "duplicate", "version info"):
        bad = copy.deepcopy(document)
        if breakage == "snapshot":
            entries(bad, "snapshots")[0][1]["machine"] = 42
        elif breakage == "history":
            entries(bad, "history")[5][1] = "not a record"
        elif breakage == "missing record":
            del entries(bad, "history")[5]
        elif breakage == "pattern":
            entries(bad, "patterns")[0][1]["stage"] = "sideways"
        elif breakage == "head":
            entry(bad, "meta", "head/ticket-triage")[1] = "v-nope"
        elif breakage == "session":
            entry(bad, "meta", "lab/session")[1] = 42
        elif breakage == "dataset":
            entry(bad, "meta", "lab/dataset")[1] = {"not": "a list"}
        elif breakage == "code":
            bad["storage"]["code"] = [["x.py", 42]]
        elif breakage == "unknown meta":
            entries(bad, "meta").append(["lab/anything", {}])
        elif breakage == "duplicate":
            entries(bad, "patterns").append(copy.deepcopy(entries(bad, "patterns")[0]))
        else:
            del entries(bad, "snapshots")[0]
        error = await refused(lab, bad)
        assert "problem" in error, (breakage, error)
    assert len((await value(lab, "state"))["versions"]) == 2


async def test_files_that_are_not_exports_are_refused():
    lab, document = await exported_lab()
    await refused(lab, "{not json", "not JSON")
    await refused(lab, [1, 2], "not an EvoMachine lab export")
    await refused(lab, {**document, "format_version": 3}, "newer than this build")
    await refused(lab, {**document, "storage": {"elsewhere": []}}, "unknown namespaces")
    bad = copy.deepcopy(document)
    session = entry(bad, "meta", "lab/session")[1]
    session["dsl"] = 'machine "x"\nTask t {\n'
    await refused(lab, bad, "machine text has errors")
    bad = copy.deepcopy(document)
    session = entry(bad, "meta", "lab/session")[1]
    session["llm"] = {"provider": "openai", "base_url": "javascript:alert(1)", "model": "m"}
    await refused(lab, bad, "base_url")


async def test_free_text_with_markup_is_data_and_is_accepted():
    _, document = await exported_lab()
    marked = copy.deepcopy(document)
    state = entry(marked, "state", "ticket-triage")[1]
    state["machine"]["title"] = XSS
    state["machine"]["edges"][1]["label"] = XSS
    entries(marked, "versions")[0][1]["label"] = XSS
    entry(marked, "meta", "lab/session")[1]["dataset"]["name"] = XSS
    other = Lab(MemoryStorage())
    shown = await value(other, "import_state", json.dumps(marked))
    assert shown["machine"]["title"] == XSS
    assert XSS in [v["label"] for v in shown["versions"]]


async def test_the_swap_is_one_batch_and_a_failed_write_changes_nothing():
    lab, document = await exported_lab()
    storage = MemoryStorage()
    target = await loaded_lab(storage)
    await run(target, 12)
    await value(target, "save_version", "mine")
    before = await everything(storage)
    batches = []
    original = storage.write_batch

    async def failing(ops):
        ops = list(ops)
        batches.append(len(ops))
        raise OSError("disk full")

    storage.write_batch = failing
    reply = await call(target, "import_state", json.dumps(document))
    assert reply["ok"] is False and "nothing was changed" in reply["error"]
    assert len(batches) == 1
    storage.write_batch = original
    assert await everything(storage) == before

    async def counting(ops):
        ops = list(ops)
        batches.append(len(ops))
        await original(ops)

    storage.write_batch = counting
    batches.clear()
    await value(target, "import_state", json.dumps(document))
    assert len(batches) == 1  # old keys deleted and new ones written in the same batch
    storage.write_batch = original
    assert await everything(storage) == await everything(lab.storage)


async def test_a_saved_run_the_engine_cannot_restore_is_refused_before_writing():
    lab, document = await exported_lab()
    bad = copy.deepcopy(document)
    state = entry(bad, "state", "ticket-triage")[1]
    state["policy"] = {"no_such_policy_field": object.__name__, "execution_threshold": "many"}
    error = await refused(lab, bad)
    assert "state/ticket-triage" in error


@pytest.mark.parametrize("bad_id", ["evil%2Fid", "..", " "])
async def test_a_machine_id_that_cannot_name_keys_is_refused(bad_id):
    """Found by a red-team pass: an imported machine id holding ``%`` was accepted; its
    history keys were read back as another machine's, so Delete left 20 documents behind
    and a phantom machine in the list that only Reset removed."""
    lab, document = await exported_lab()
    text = json.dumps(document).replace("ticket-triage", bad_id)
    error = await refused(lab, text, "machine id")
    assert "nothing" in error


async def test_a_history_range_longer_than_the_file_is_refused_before_it_is_listed():
    """Red team (rt11): ``recent: {from: 1, to: 10^7}`` took 1.3 GB to list before the file
    was refused (10^12: a MemoryError, in the page the engine Worker's death)."""
    lab, document = await exported_lab()
    bad = copy.deepcopy(document)
    entry(bad, "state", "ticket-triage")[1]["histories"]["route"]["recent"] = {
        "from": 1, "to": 10**12}
    error = await refused(lab, bad, "state/ticket-triage")
    assert "lists history records that are missing: history/ticket-triage/route/" in error
    assert "1,000,000" not in error and len(error) < 400, error
