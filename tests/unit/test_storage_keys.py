"""One home for storage names: the engine's keys module, and the page's mirror of it."""

from __future__ import annotations

import re
from pathlib import Path

from evomachine.app import store
from evomachine.evolution import snapshot
from evomachine.persistence import patterns, versions
from evomachine.storage import KNOWN_NAMESPACES, IndexedDBStorage, LocalStorageBackend, keys

ROOT = Path(__file__).resolve().parents[2]
MIRROR = ROOT / "web" / "storage-keys.mjs"
EXPORT = re.compile(r'^export const ([A-Z_]+) = "([^"\\]*)";$', re.MULTILINE)


def web_sources() -> list[Path]:
    return [path for path in (ROOT / "web").rglob("*.mjs")
            if "vendor" not in path.parts and path != MIRROR]


def test_the_page_mirrors_every_browser_name_of_the_keys_module():
    exported = dict(EXPORT.findall(MIRROR.read_text()))
    assert exported == keys.BROWSER


def test_no_page_script_spells_a_storage_name_of_its_own():
    literal = re.compile(r"""["'`](evomachine:[^"'`]*)["'`]""")
    code = re.compile(r"^\s*//.*$", re.MULTILINE)  # comments may name them
    found = {str(path.relative_to(ROOT)): literal.findall(code.sub("", path.read_text()))
             for path in web_sources()}
    assert {path: names for path, names in found.items() if names} == {}
    users = [path.name for path in web_sources() if "storage-keys.mjs" in path.read_text()]
    assert {"reset.mjs", "engine.mjs", "engine-worker.mjs", "bridge.mjs",
            "key-memory.mjs"} <= set(users)


def test_no_engine_module_spells_a_key_prefix_of_its_own():
    spelled = re.compile(r"""["'](evomachine:|revision/|head/|lab/session|lab/dataset"""
                         r"""|lab/machine|lab/records)""")
    found = {}
    for path in (ROOT / "py_src" / "evomachine").rglob("*.py"):
        if path.name == "keys.py" or "app/schema.py" in str(path):
            continue  # schema.py reads keys back (validation), it does not name them
        hits = spelled.findall(path.read_text())
        if hits:
            found[str(path.relative_to(ROOT))] = hits
    assert found == {}


def test_every_layer_uses_the_names_of_the_keys_module():
    assert KNOWN_NAMESPACES == keys.NAMESPACES
    assert (snapshot.STATE_NAMESPACE, snapshot.HISTORY_NAMESPACE, snapshot.REVISION_NAMESPACE) \
        == (keys.STATE, keys.HISTORY, keys.META)
    assert (versions.VERSIONS, versions.SNAPSHOTS, versions.META) == \
        (keys.VERSIONS, keys.SNAPSHOTS, keys.META)
    assert patterns.PATTERNS == keys.PATTERNS
    assert (store.META, store.SESSION_KEY, store.DATASET_KEY) == \
        (keys.META, keys.SESSION_KEY, keys.DATASET_KEY)
    assert LocalStorageBackend(web_storage={}).prefix == keys.LOCAL_PREFIX
    assert IndexedDBStorage().db_name == keys.DATABASE
    assert keys.BROWSER["ENGINE_ROOT"] == keys.LOCAL_PREFIX + "|"


def test_key_builders():
    assert keys.history_key("m", "route", 42) == "m/route/0000000042"
    assert keys.history_key("m", "route", 42).startswith(keys.history_prefix("m"))
    assert keys.revision_key("m") == "revision/m"
    assert keys.head_key("m") == "head/m"
    assert keys.workspace_key("m") == "lab/machine/m"
    assert keys.records_key("m") == "lab/records/m"
    assert keys.code_path("m", "route", 3) == keys.code_path("m", "route", "v3") \
        == "generated/m/route_v3.py"
