"""The storage conformance suite, unchanged, against real IndexedDB and localStorage in Chromium.

The checks in ``tests/unit/storage_conformance.py`` are written into the
page's Pyodide file system and run there against the browser backends; the
page reports each check's outcome back to pytest.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import page_python

pytestmark = pytest.mark.e2e

SUITE = Path(__file__).resolve().parents[1] / "unit" / "storage_conformance.py"

RUNNER = """
import asyncio, json, sys, traceback
sys.path.insert(0, "/conformance")
import storage_conformance as suite
from evomachine.storage import IndexedDBStorage, LocalStorageBackend, create_storage
suite.gather = asyncio.gather  # the browser backends await real JS promises

counter = [0]
def make_storage():
    counter[0] += 1
    if KIND == "indexeddb":
        return IndexedDBStorage(db_name=f"conformance-{counter[0]}")
    return LocalStorageBackend(prefix=f"conformance-{counter[0]}:")

results = {}
for check in suite.CHECKS:
    try:
        await check(make_storage)
        results[check.__name__] = "passed"
    except Exception:
        results[check.__name__] = traceback.format_exc(limit=6)
auto = create_storage()
json.dumps({"results": results, "auto": auto.describe()})
"""


def run_suite_in_page(app, kind: str) -> dict:
    py = page_python(app)
    return json.loads(app.evaluate(
        f"""async ([suite, runner, kind]) => {{
            const py = {py};
            py.FS.mkdirTree("/conformance");
            py.FS.writeFile("/conformance/storage_conformance.py", suite);
            py.globals.set("KIND", kind);
            return await py.runPythonAsync(runner);
        }}""",
        [SUITE.read_text(), RUNNER, kind],
    ))


@pytest.mark.parametrize("kind", ["indexeddb", "localstorage"])
def test_conformance_suite_passes_in_chromium(app, kind):
    outcome = run_suite_in_page(app, kind)
    failed = {name: text for name, text in outcome["results"].items() if text != "passed"}
    assert len(outcome["results"]) >= 10
    assert failed == {}, "\n\n".join(f"{name}:\n{text}" for name, text in failed.items())


def test_create_storage_picks_indexeddb_in_a_browser_and_says_why(app):
    outcome = run_suite_in_page(app, "indexeddb")
    auto = outcome["auto"]
    assert "indexeddb" in json.dumps(auto).lower()
