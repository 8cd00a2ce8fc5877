"""Two labs (two tabs) over one storage: ``sync`` follows the other, conflicts are refused."""

from __future__ import annotations

import json

from test_app import call, loaded_lab, run, value

from evomachine.app import Lab
from evomachine.storage import MemoryStorage


async def second_tab(storage) -> Lab:
    """A tab opened after the first: it boots into the stored session, as the page does."""
    lab = Lab(storage)
    await lab._restore()
    return lab


async def test_a_tab_that_syncs_first_continues_from_the_other_tabs_steps():
    storage = MemoryStorage()
    tab_a = await loaded_lab(storage)
    tab_b = await second_tab(storage)
    await run(tab_a, 30)
    await value(tab_a, "persist")
    assert (await value(tab_b, "sync"))["changed"] is True
    await run(tab_b, 60)
    await value(tab_b, "persist")
    assert (await value(tab_a, "sync"))["changed"] is True
    assert (await value(tab_a, "sync"))["changed"] is False
    for tab in (tab_a, tab_b):
        state = await value(tab, "state")
        assert state["step_count"] == 90
        assert state["metrics"]["route"]["execution_count"] == 30


async def test_a_tab_that_did_not_sync_is_refused_and_follows_the_other():
    storage = MemoryStorage()
    tab_a = await loaded_lab(storage)
    tab_b = await second_tab(storage)
    await run(tab_a, 30)
    await value(tab_a, "persist")
    await run(tab_b, 12)
    reply = await call(tab_b, "persist")
    assert reply["ok"] is False and reply["kind"] == "user"
    assert "another tab saved machine 'ticket-triage'" in reply["error"]
    assert "dropped" in reply["error"]
    # tab A's steps are intact in storage, and tab B now shows them
    assert (await value(tab_b, "state"))["step_count"] == 30
    assert (await value(tab_a, "state"))["step_count"] == 30


async def test_versions_and_patterns_saved_in_both_tabs_all_survive():
    storage = MemoryStorage()
    tab_a = await loaded_lab(storage)
    tab_b = await second_tab(storage)
    await run(tab_a, 300, "hybrid")
    await value(tab_a, "persist")
    await value(tab_b, "sync")
    ids = []
    for tab, name in ((tab_a, "a"), (tab_b, "b"), (tab_a, "a2")):
        await value(tab, "sync")
        ids.append((await value(tab, "save_version", f"from {name}"))["id"])
        await value(tab, "save_pattern", "route", f"pattern-{name}")
    for tab in (tab_a, tab_b):
        state = await value(tab, "state")
        assert [v["id"] for v in state["versions"]] == ids
        assert {p["name"] for p in await value(tab, "patterns")} == {
            "pattern-a", "pattern-b", "pattern-a2"}


async def test_a_reset_in_one_tab_is_followed_by_the_other():
    storage = MemoryStorage()
    tab_a = await loaded_lab(storage)
    tab_b = await second_tab(storage)
    await value(tab_a, "reset")
    assert (await value(tab_b, "sync"))["changed"] is True
    assert (await value(tab_b, "state"))["loaded"] is False
    assert json.loads(await tab_b.call("sync"))["value"]["changed"] is False
