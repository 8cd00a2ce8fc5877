"""Importing a machine file (the CLI's import) whose current state cannot be restored is
refused: the executor and the stored versions stay as they were.

Found: ``import_machine`` wrote the file's versions and head first, then restored the
executor from its ``current`` state; a ``current`` whose task costs are text raised a raw
AttributeError half-way through the restore: the executor half replaced, the head moved.
"""

from __future__ import annotations

import copy
import json

import pytest
from test_persistence_executor import make

from evomachine import MachinePersistence
from evomachine.storage import MemoryStorage


async def test_a_machine_file_whose_state_cannot_be_restored_changes_nothing():
    source = make(MemoryStorage())
    await source.run(max_steps=30)
    persistence = MachinePersistence(source.storage)
    await persistence.save_version(source, source.machine_id, {"steps": 30})
    document = json.loads(await persistence.export_machine(source.machine_id, source))
    broken = copy.deepcopy(document)
    broken["current"]["tasks"]["route"]["costs"] = "x"

    storage = MemoryStorage()
    target = make(storage)
    await target.run(max_steps=5)
    before = target.export_state()
    stored = {ns: await storage.items(ns) for ns in ("versions", "snapshots", "meta")}
    with pytest.raises(ValueError, match="cannot be restored"):
        await MachinePersistence(storage).import_machine(json.dumps(broken), executor=target)
    assert target.export_state() == before
    assert {ns: await storage.items(ns) for ns in ("versions", "snapshots", "meta")} == stored
    await MachinePersistence(storage).import_machine(json.dumps(document), executor=target)
    assert target.export_state()["tasks"]["route"]["costs"] == document["current"]["tasks"][
        "route"]["costs"]
