"""Machines as first-class: the list, switching (each keeps its work), and what a load replaces."""

from __future__ import annotations

import json

import pytest
from test_app import DSL, ROOT, loaded_lab, run, value

from evomachine.app import Lab
from evomachine.storage import MemoryStorage

pytestmark = pytest.mark.needs_event_loop

SENTIMENT = ROOT / "examples" / "sentiment"
SENTIMENT_DSL = (SENTIMENT / "sentiment.machine").read_text()
SENTIMENT_DATA = "\n".join((SENTIMENT / "data.jsonl").read_text().splitlines()[:300])


async def test_switching_keeps_each_machines_run_data_and_text():
    storage = MemoryStorage()
    lab = await loaded_lab(storage)
    await run(lab, 40)
    await value(lab, "persist")  # (the page's run loop ends with it; it samples the charts)
    triage = await value(lab, "state")
    plan = await value(lab, "plan_load", SENTIMENT_DSL)
    assert plan["replaces"] is None and plan["current"] == "ticket-triage"  # nothing is lost
    await value(lab, "load", SENTIMENT_DSL, SENTIMENT_DATA, "data.jsonl", "sentiment")
    await run(lab, 10)
    listed = await value(lab, "machines")
    assert [(m["machine_id"], m["current"]) for m in listed] == [
        (plan["machine_id"], True), ("ticket-triage", False)]
    kept = listed[1]
    assert (kept["step_count"], kept["records"]) == (40, triage["dataset"]["count"])
    assert kept["stages"] == triage["stages"] and kept["last_run_at"] is not None

    back = await value(lab, "switch_machine", "ticket-triage")
    for key in ("dsl", "example", "dataset", "step_count", "input_cursor", "current_node",
                "stages", "metrics", "series"):
        assert back[key] == triage[key], key
    assert len(lab.records) == triage["dataset"]["count"]
    await run(lab, 5)  # it carries on from its own next record
    await value(lab, "persist")
    assert (await value(lab, "state"))["step_count"] == 45

    # The other machine kept its work too, also after a reload of the whole lab.
    reopened = Lab(storage)
    await reopened._restore()
    assert (await value(reopened, "state"))["step_count"] == 45
    other = await value(reopened, "switch_machine", plan["machine_id"])
    assert other["step_count"] == 10 and other["example"] == "sentiment"
    assert other["dataset"]["count"] == 300


async def test_plan_load_names_the_run_a_load_would_start_again():
    lab = await loaded_lab()
    fresh = await value(lab, "plan_load", DSL)
    assert fresh["replaces"] is None  # loaded, not run yet: nothing to lose
    await run(lab, 12)
    again = await value(lab, "plan_load", DSL)
    assert again["replaces"] == {"machine_id": "ticket-triage", "title": "Ticket triage",
                                 "step_count": 12}
    await value(lab, "load", SENTIMENT_DSL, SENTIMENT_DATA, "data.jsonl", "sentiment")
    stored = await value(lab, "plan_load", DSL)  # not loaded now, but stored with 12 steps
    assert stored["replaces"]["step_count"] == 12


async def test_switching_to_an_unknown_or_damaged_machine_says_so_and_changes_nothing():
    storage = MemoryStorage()
    lab = await loaded_lab(storage)
    reply = json.loads(await lab.call("switch_machine", json.dumps(["nope"])))
    assert not reply["ok"] and "no stored machine 'nope'" in reply["error"]
    await storage.put("meta", "lab/machine/broken", {"step_count": -3})
    reply = json.loads(await lab.call("switch_machine", json.dumps(["broken"])))
    assert not reply["ok"] and "cannot be opened" in reply["error"]
    assert (await value(lab, "state"))["machine_id"] == "ticket-triage"
    listed = await value(lab, "machines")
    assert [m["machine_id"] for m in listed] == ["ticket-triage", "broken"]
    assert listed[1]["problem"]


async def test_an_export_with_several_machines_imports_and_switches():
    lab = await loaded_lab()
    await run(lab, 8)
    await value(lab, "load", SENTIMENT_DSL, SENTIMENT_DATA, "data.jsonl", "sentiment")
    exported = await value(lab, "export_state")
    other = Lab(MemoryStorage())
    await value(other, "import_state", json.dumps(exported), "{}")
    assert [m["machine_id"] for m in await value(other, "machines")][1] == "ticket-triage"
    assert (await value(other, "switch_machine", "ticket-triage"))["step_count"] == 8


async def test_loading_a_machine_again_leaves_no_version_marked_current():
    lab = await loaded_lab()
    await run(lab, 6)
    await value(lab, "save_version", "kept")
    assert [v["head"] for v in (await value(lab, "state"))["versions"]] == [True]
    await value(lab, "load", DSL, None, None, "ticket-triage")  # its run starts again
    versions = (await value(lab, "state"))["versions"]
    assert [(v["label"], v["head"]) for v in versions] == [("kept", False)]
    await value(lab, "rollback", versions[0]["id"])  # and the version is still there to go to
    assert (await value(lab, "state"))["step_count"] == 6


async def test_an_import_replaces_only_the_machines_in_its_file():
    storage = MemoryStorage()
    lab = await loaded_lab(storage)
    await run(lab, 30)
    exported = json.dumps(await value(lab, "export_state"))  # file A: ticket triage at 30
    await run(lab, 5)
    await value(lab, "load", SENTIMENT_DSL, SENTIMENT_DATA, "data.jsonl", "sentiment")
    await run(lab, 20)
    summary = await value(lab, "inspect_import", exported)
    assert [m["machine_id"] for m in summary["machines"]] == ["ticket-triage"]
    assert summary["replaces"] == [{"machine_id": "ticket-triage", "title": "Ticket triage",
                                    "step_count": 35}]
    assert summary["kept"] == 1
    shown = await value(lab, "import_state", exported)
    assert shown["machine_id"] == "ticket-triage" and shown["step_count"] == 30
    listed = {m["machine_id"]: m for m in await value(lab, "machines")}
    sentiment = listed.pop(next(k for k in listed if k != "ticket-triage"))
    assert (sentiment["step_count"], sentiment["records"]) == (20, 300)
    other = await value(lab, "switch_machine", sentiment["machine_id"])
    assert other["step_count"] == 20 and other["dataset"]["count"] == 300


async def stored_keys(storage, machine_id: str) -> list[tuple[str, str]]:
    from evomachine.app.store import machine_of
    from evomachine.storage import KNOWN_NAMESPACES

    return [(namespace, key) for namespace in KNOWN_NAMESPACES
            for key in await storage.keys(namespace) if machine_of(namespace, key) == machine_id]


async def test_deleting_a_stored_machine_removes_all_of_it_and_nothing_else():
    storage = MemoryStorage()
    lab = await loaded_lab(storage)
    await run(lab, 400)  # evolves: code, history, a snapshot
    await value(lab, "save_version", "first")
    await value(lab, "save_pattern", "route", "triage-router")
    await value(lab, "load", SENTIMENT_DSL, SENTIMENT_DATA, "data.jsonl", "sentiment")
    await run(lab, 10)
    sentiment_before = await stored_keys(storage, "review-sentiment")
    triage = await stored_keys(storage, "ticket-triage")
    namespaces = {namespace for namespace, _ in triage}
    assert {"state", "history", "code", "versions", "snapshots", "meta"} <= namespaces
    patterns = await storage.keys("patterns")
    assert patterns

    gone = await value(lab, "delete_machine", "ticket-triage")
    assert gone == {"machine_id": "ticket-triage", "title": "Ticket triage",
                    "deleted": len(triage)}
    assert await stored_keys(storage, "ticket-triage") == []
    assert await stored_keys(storage, "review-sentiment") == sentiment_before
    assert await storage.keys("patterns") == patterns  # the library keeps what was saved
    assert [m["machine_id"] for m in await value(lab, "machines")] == ["review-sentiment"]
    state = await value(lab, "state")
    assert state["machine_id"] == "review-sentiment" and state["step_count"] == 10
    reply = json.loads(await lab.call("delete_machine", json.dumps(["ticket-triage"])))
    assert not reply["ok"] and "no stored machine 'ticket-triage'" in reply["error"]


async def test_deleting_the_loaded_machine_leaves_nothing_loaded_after_a_reload_too():
    storage = MemoryStorage()
    lab = await loaded_lab(storage)
    await run(lab, 30)
    await value(lab, "persist")
    await value(lab, "delete_machine", "ticket-triage")
    state = await value(lab, "state")
    assert state["loaded"] is False and state["llm"]["provider"] == "simulated"
    assert await stored_keys(storage, "ticket-triage") == []
    assert await value(lab, "machines") == []
    reopened = Lab(storage)
    await reopened._restore()
    again = await value(reopened, "state")
    assert again["loaded"] is False and again["llm"]["provider"] == "simulated"


async def test_a_damaged_machine_can_be_deleted():
    storage = MemoryStorage()
    lab = await loaded_lab(storage)
    await storage.put("meta", "lab/machine/broken", {"step_count": -3})
    assert (await value(lab, "delete_machine", "broken"))["deleted"] == 1
    assert [m["machine_id"] for m in await value(lab, "machines")] == ["ticket-triage"]


async def test_deleting_the_machine_whose_saved_run_is_damaged_clears_the_session_too():
    """Its run damaged, nothing is in memory, but the session and the data set are its: they
    went on naming it, and the next boot said its run was gone (found by review)."""
    storage = MemoryStorage()
    lab = await loaded_lab(storage)
    await run(lab, 30)
    await value(lab, "persist")
    await storage.put("state", "ticket-triage", {"broken": True})
    reopened = Lab(storage)
    await reopened._restore()
    assert (await value(reopened, "state"))["problems"]
    await value(reopened, "delete_machine", "ticket-triage")
    state = await value(reopened, "state")
    assert state["problems"] == [] and state["loaded"] is False
    assert await storage.get("meta", "lab/dataset") is None
    assert await stored_keys(storage, "ticket-triage") == []
    again = Lab(storage)
    await again._restore()
    assert (await value(again, "state"))["problems"] == []


async def test_a_delete_the_storage_refuses_leaves_the_tab_as_it_was():
    storage = MemoryStorage()
    lab = await loaded_lab(storage)
    await run(lab, 30)

    async def refuse(ops):
        raise OSError("quota exceeded")

    storage.write_batch = refuse
    reply = json.loads(await lab.call("delete_machine", json.dumps(["ticket-triage"])))
    assert not reply["ok"] and "quota exceeded" in reply["error"]
    state = await value(lab, "state")
    assert state["loaded"] is True and state["step_count"] == 30
