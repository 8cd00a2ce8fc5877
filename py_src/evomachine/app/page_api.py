"""The page's methods, registered once.

Each entry names a :class:`~evomachine.app.lab.Lab` method the page may call,
how the page calls it, and the name ``window.evomachine`` gives it. ``Lab.call``
accepts exactly these (:data:`PAGE_METHODS` is derived here), and the page's
bridge (``web/lab/bridge.mjs``) receives this table when the Lab opens
(``Lab.page_api``) and builds its plain methods from it, so a new page method
is added here and nowhere else. Kinds:

- ``read``: the page waits for its own writes, then asks;
- ``write``: holds the origin-wide lock, catches up with other tabs, and
  announces the change; ``pause`` does the same after stopping a run;
- ``page``: composed by hand in the bridge (it does more than one call), public
  under the name given; the bridge refuses to start without it;
- ``bytes``: through ``Lab.call_bytes``, a file's bytes first (composed in the page);
- ``internal``: the page's own machinery (run loop, persistence, tabs), not public.
"""

from __future__ import annotations

import json

KINDS = ("read", "write", "pause", "page", "bytes", "internal")

PAGE_API: dict[str, tuple[str, str | None]] = {
    "check": ("read", "check"),
    "state": ("read", "state"),
    "storage_info": ("read", "storage"),
    "code": ("read", "code"),
    "code_js": ("read", "codeJs"),
    "diff": ("read", "diff"),
    "compare": ("read", "compare"),
    "patterns": ("read", "patterns"),
    "traces": ("read", "traces"),
    "trace": ("read", "trace"),
    "export_traces": ("read", "exportTraces"),
    "report": ("read", "report"),
    "prices": ("read", "prices"),
    "machines": ("read", "machines"),
    "plan_load": ("read", "planLoad"),
    "evolve": ("write", "evolve"),
    "save_version": ("write", "saveVersion"),
    "save_pattern": ("write", "savePattern"),
    "import_pattern": ("write", "importPattern"),
    "rollback": ("pause", "rollback"),
    "repair": ("pause", "repair"),
    "switch_machine": ("pause", "switchMachine"),
    "delete_machine": ("pause", "deleteMachine"),
    "load_data": ("pause", "loadData"),
    "load": ("page", "load"),
    "step": ("page", "step"),
    "set_llm": ("page", "setLLM"),
    "set_prices": ("page", "setPrices"),
    "inspect_import": ("page", "inspectImport"),
    "import_state": ("page", "importState"),
    "export_state": ("page", "exportState"),
    "reset": ("page", "reset"),
    "load_data_file": ("bytes", "loadDataFile"),
    "check_data_file": ("bytes", "checkDataFile"),
    "run_chunk": ("internal", None),
    "interrupt": ("internal", None),
    "persist": ("internal", None),
    "sync": ("internal", None),
    "warm": ("internal", None),
}

PAGE_METHODS = frozenset(name for name, (kind, _) in PAGE_API.items() if kind != "bytes")
"""What ``Lab.call`` accepts."""

BYTES_METHODS = frozenset(name for name, (kind, _) in PAGE_API.items() if kind == "bytes")
"""What ``Lab.call_bytes`` accepts (a file's bytes come first)."""


def page_api_json() -> str:
    """The table for the page: ``[{method, kind, api}]``."""
    return json.dumps([{"method": name, "kind": kind, "api": api}
                       for name, (kind, api) in PAGE_API.items()])
