"""Damaged or missing stored documents never stop the lab from opening.

The red-team set ``meta/lab/session`` to ``42`` and every boot failed; a missing
history record was read as "no saved machine" and the lab restarted at step 0
without a word. Now each damaged document is named, the rest is restored, and
``repair`` drops just the named documents.
"""

from __future__ import annotations

import json

import pytest
from test_app import loaded_lab, run, value

from evomachine.app import Lab
from evomachine.storage import MemoryStorage


async def saved_lab():
    storage = MemoryStorage()
    lab = await loaded_lab(storage)
    await run(lab, 60)
    await value(lab, "save_version", "kept")
    await value(lab, "persist")
    return storage, await value(lab, "state")


async def reopened(storage) -> tuple[Lab, dict]:
    lab = Lab(storage)
    await lab._restore()  # what Lab.open does once it has the storage
    return lab, await value(lab, "state")


def documents(state: dict) -> list[str]:
    return [p["document"] for p in state["problems"]]


@pytest.mark.parametrize("damage", [42, "text", None, [1], {"dsl": 7}, {"format": 2}])
async def test_a_damaged_session_is_named_and_can_be_dropped(damage):
    storage, _ = await saved_lab()
    if damage is None:
        await storage.write([("meta", "lab/session", "{not json")])  # unreadable text
    else:
        await storage.put("meta", "lab/session", damage)
    lab, state = await reopened(storage)
    assert state["loaded"] is False
    assert documents(state) == ["meta/lab/session"]
    assert state["problems"][0]["fix"] == "session"
    assert (await value(lab, "sync"))["changed"] is False  # other calls keep working
    repaired = await value(lab, "repair")
    assert repaired["problems"] == [] and repaired["loaded"] is False
    assert await storage.get("meta", "lab/session") is None
    assert await storage.keys("versions")  # only the session was dropped
    assert await storage.get("state", "ticket-triage") is not None


async def test_a_missing_history_record_is_said_not_read_as_a_fresh_start():
    storage, before = await saved_lab()
    keys = await storage.keys("history", "ticket-triage/")
    await storage.remove("history", keys[3])
    lab, state = await reopened(storage)
    assert state["loaded"] is False
    assert documents(state) == ["state/ticket-triage"]
    assert keys[3] in state["problems"][0]["problem"]
    assert lab.executor is None  # not silently a new machine at step 0
    repaired = await value(lab, "repair")
    assert repaired["problems"] == [] and repaired["loaded"] is True
    assert repaired["step_count"] == 0  # started again, because the user asked
    assert [v["label"] for v in repaired["versions"]] == ["kept"]
    assert await storage.keys("history", "ticket-triage/") == []
    rolled = await value(lab, "rollback", before["versions"][0]["id"])
    assert rolled["step_count"] == before["step_count"]


async def test_a_missing_or_damaged_saved_run_is_named():
    storage, _ = await saved_lab()
    await storage.remove("state", "ticket-triage")
    _, state = await reopened(storage)
    assert documents(state) == ["state/ticket-triage"] and "missing" in state["problems"][0][
        "problem"]
    storage, _ = await saved_lab()
    document = await storage.get("state", "ticket-triage")
    document["tasks"]["route"]["stage"] = 'x"><img src=x onerror=alert(1)>'
    await storage.put("state", "ticket-triage", document)
    _, state = await reopened(storage)
    assert documents(state) == ["state/ticket-triage"] and "stage" in state["problems"][0][
        "problem"]
    storage, _ = await saved_lab()
    key = (await storage.keys("history", "ticket-triage/"))[0]
    await storage.put("history", key, {"task": 5})
    lab, state = await reopened(storage)
    assert documents(state) == [f"history/{key}"]
    repaired = await value(lab, "repair")
    assert repaired["loaded"] is True and repaired["problems"] == []


async def test_a_damaged_data_set_keeps_the_machine_and_is_dropped_alone():
    storage, before = await saved_lab()
    await storage.put("meta", "lab/dataset", {"not": "records"})
    lab, state = await reopened(storage)
    assert documents(state) == ["meta/lab/dataset"]
    assert state["loaded"] is True and state["step_count"] == before["step_count"]
    assert state["dataset"]["count"] == 0
    repaired = await value(lab, "repair")
    assert repaired["problems"] == [] and repaired["step_count"] == before["step_count"]
    assert await storage.get("meta", "lab/dataset") is None
    assert repaired["dataset"]["count"] == 0


async def test_a_clean_reopen_has_no_problems():
    storage, before = await saved_lab()
    lab, state = await reopened(storage)
    assert state["problems"] == [] and state["step_count"] == before["step_count"]
    assert json.loads(await lab.call("repair"))["ok"] is True


async def test_saved_llm_settings_a_newer_build_refuses_cost_the_settings_not_the_machine():
    """A base URL saved by an earlier build with a key in its path (refused since) made the
    whole session "damaged", and Drop deleted it (found by review)."""
    storage, before = await saved_lab()
    session = await storage.get("meta", "lab/session")
    session["llm"] = {"provider": "openai", "model": "m",
                      "base_url": "https://gw.example/v1/sk-proj-AbCdEf0123456789xyzXYZ"}
    await storage.put("meta", "lab/session", session)
    lab, state = await reopened(storage)
    assert state["problems"] == [] and state["loaded"] is True
    assert state["step_count"] == before["step_count"]
    assert state["llm"]["provider"] == "simulated"
    assert "saved LLM settings were not used" in state["llm_note"]
    assert "sk-proj" not in json.dumps(state)
    assert (await value(lab, "step", 1))["steps"] == 1


async def test_refused_saved_settings_with_nothing_loaded_are_said_and_never_exported():
    """Found by a red-team pass: with no machine loaded (after Delete, say) the saved LLM
    settings were not read at all: no note, and Export wrote the stored URL, key and all."""
    storage, _ = await saved_lab()
    lab, _ = await reopened(storage)
    await value(lab, "delete_machine", "ticket-triage")
    session = await storage.get("meta", "lab/session")
    assert session["dsl"] == ""
    session["llm"] = {"provider": "openai", "model": "m",
                      "base_url": "https://gw.example/v1/sk-proj-SECRET0123SECRET4567SECRET"}
    await storage.put("meta", "lab/session", session)
    lab, state = await reopened(storage)
    assert state["loaded"] is False and state["llm"]["provider"] == "simulated"
    assert "saved LLM settings were not used" in state["llm_note"]
    assert "SECRET0123SECRET4567SECRET" not in await lab.call("export_state")


async def test_settings_come_back_with_nothing_loaded():
    storage, _ = await saved_lab()
    lab, _ = await reopened(storage)
    await value(lab, "delete_machine", "ticket-triage")
    await value(lab, "set_llm", json.dumps({"provider": "simulated", "accuracy": 0.8}))
    await value(lab, "persist")
    lab, state = await reopened(storage)
    assert state["loaded"] is False and state["llm"]["accuracy"] == 0.8


async def test_settings_of_a_session_whose_machine_text_is_damaged_are_exported():
    """Found by review: restore stopped at the damaged text before taking the settings, so
    an export (what a person makes before Drop) carried the simulated defaults instead."""
    storage, _ = await saved_lab()
    lab, _ = await reopened(storage)
    await value(lab, "set_llm", json.dumps({"provider": "simulated", "accuracy": 0.8}))
    await value(lab, "persist")
    session = await storage.get("meta", "lab/session")
    session["dsl"] = "machine \"broken\" {"
    await storage.put("meta", "lab/session", session)
    lab, state = await reopened(storage)
    assert documents(state) == ["meta/lab/session"]
    exported = await value(lab, "export_state")
    [saved] = [v for k, v in exported["storage"]["meta"] if k == "lab/session"]
    assert saved["llm"]["accuracy"] == 0.8
