"""A lab export written by 0.1.0 imports into this version and runs on; ours says version 2.

The fixture (``fixtures/lab-export-0.1.0.json.gz``) was made by 0.1.0's own Lab (commit
67bcb41): ticket triage, 130 records, a simulated LLM at 95 %, run until hybrid (299 steps),
one version saved as "from 0.1.0". 0.1.0 reads only format version 1 and refuses a newer
one by name, so this version's exports say 2: 0.1.0 says "update EvoMachine" instead of
importing a file it cannot use.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

from test_app import value

from evomachine.app.lab import Lab
from evomachine.storage import MemoryStorage

FIXTURE = Path(__file__).with_name("fixtures") / "lab-export-0.1.0.json.gz"


def old_export() -> str:
    return gzip.decompress(FIXTURE.read_bytes()).decode("utf-8")


async def test_an_export_of_0_1_0_imports_and_runs_on():
    text = old_export()
    assert json.loads(text)["format_version"] == 1 and json.loads(text)["engine_version"] == "0.1.0"
    lab = Lab(MemoryStorage())
    summary = await value(lab, "inspect_import", text)
    assert summary["runs"] == 1 and summary["versions"] == 1
    state = await value(lab, "import_state", text)
    assert state["stages"] == {"route": "hybrid"} and state["step_count"] == 299
    [version] = state["versions"]
    assert version["label"] == "from 0.1.0"
    # It saved 0.1.0's defaults; it resumes with this version's (no confidence floors).
    policy = lab.executor.tasks["route"].policy
    assert (policy.execution_threshold, policy.confidence_threshold) == (50, None)
    await value(lab, "set_llm", json.dumps({"provider": "simulated", "accuracy": 0.95}))
    ran = await value(lab, "run_chunk", 60, 10_000.0, None, None)
    assert ran["steps"] == 60 and ran["error"] is None, ran
    assert ran["step_count"] == 359
    back = await value(lab, "rollback", version["id"])
    assert back["step_count"] == 299


async def test_this_version_writes_format_2_and_reads_it_back():
    lab = Lab(MemoryStorage())
    await value(lab, "import_state", old_export())
    ours = await value(lab, "export_state")
    document = json.loads(ours) if isinstance(ours, str) else ours
    assert document["format_version"] == 2
    other = Lab(MemoryStorage())
    state = await value(other, "import_state", json.dumps(document))
    assert state["stages"] == {"route": "hybrid"}


async def test_a_browser_left_by_0_1_0_opens_where_it_was():
    """The page upgraded in place: 0.1.0's documents are in storage (IndexedDB in the page)
    and the new engine opens on them, machine loaded, where the run stopped, no problem named."""
    storage = MemoryStorage()
    document = json.loads(old_export())
    await storage.write_batch([(namespace, key, stored) for namespace, items
                               in document["storage"].items() for key, stored in items])
    lab = Lab(storage)
    await lab._restore()  # what Lab.open does once it has the storage
    state = await value(lab, "state")
    assert state["problems"] == [], state["problems"]
    assert state["loaded"] and state["stages"] == {"route": "hybrid"}
    assert state["step_count"] == 299 and len(state["versions"]) == 1
    await value(lab, "set_llm", json.dumps({"provider": "simulated", "accuracy": 0.95}))
    ran = await value(lab, "run_chunk", 30, 10_000.0, None, None)
    assert ran["steps"] == 30 and ran["error"] is None, ran
