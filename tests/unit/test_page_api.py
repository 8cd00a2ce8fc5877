"""The page methods are registered once (evomachine.app.page_api); the page's bridge builds
its plain methods from that table and spells no Python method name the table already gives."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import pytest

from evomachine.app.lab import Lab
from evomachine.app.page_api import BYTES_METHODS, KINDS, PAGE_API, PAGE_METHODS, page_api_json

ROOT = Path(__file__).resolve().parents[2]
BRIDGE = (ROOT / "web" / "lab" / "bridge.mjs").read_text()


def test_every_entry_is_an_async_lab_method_with_a_known_kind_and_one_public_name():
    apis = [api for kind, api in PAGE_API.values() if api]
    assert len(apis) == len(set(apis))
    for method, (kind, api) in PAGE_API.items():
        assert kind in KINDS, method
        assert inspect.iscoroutinefunction(getattr(Lab, method)), method
        assert (api is None) == (kind == "internal"), method
    assert set(PAGE_API) == PAGE_METHODS | BYTES_METHODS
    assert '"method": "storage_info", "kind": "read", "api": "storage"' in page_api_json()


def test_the_bridge_composes_the_page_entries_and_repeats_none_of_the_others():
    for method, (kind, api) in PAGE_API.items():
        defined = re.search(rf"^  (async )?{api}\(", BRIDGE, re.MULTILINE) if api else None
        if kind in ("page", "bytes"):
            assert defined, f"bridge.mjs must compose {api} (Lab.{method})"
        elif kind in ("read", "write", "pause"):
            assert not defined, f"{api} comes from the table; bridge.mjs must not define it"
            assert not re.search(rf'this\.(read|call|mutate)\([^)]*"{method}"', BRIDGE), method


@pytest.mark.needs_event_loop
async def test_a_lab_method_the_table_does_not_name_cannot_be_called():
    import json

    from evomachine.storage import MemoryStorage

    lab = Lab(MemoryStorage())
    reply = json.loads(await lab.call("open_json", "[]"))
    assert not reply["ok"] and "unknown lab method 'open_json'" in reply["error"]


def test_the_readme_documents_every_public_member():
    """README's window.evomachine table names each public entry of the table (and the
    page-only members): a member added without a line there fails here."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"^\| `(\w+)\(", readme, re.MULTILINE))
    public = {api for kind, api in PAGE_API.values() if api and kind != "internal"}
    page_only = set(re.search(r"const PAGE_ONLY = \[([^\]]*)\]", BRIDGE).group(1)
                    .replace('"', "").replace(" ", "").split(","))
    assert public | page_only <= documented, sorted((public | page_only) - documented)
