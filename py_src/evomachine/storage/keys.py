"""Every storage namespace, key and browser storage name EvoMachine uses, in one place.

The engine keeps its documents in namespaces (IndexedDB gives each its own object
store); keys inside them are built by the functions below, so a reader can see the
whole layout here:

    state/<machine>                      an executor's snapshot (evolution/snapshot.py)
    history/<machine>/<task>/<seq:010>   one execution record
    code/<path>                          generated code (``generated/<machine>/<task>_vN.py``)
    versions/<machine>/<version>         saved versions (persistence/versions.py)
    snapshots/<machine>/<version>        their executor snapshots
    patterns/<name>                      the pattern library (persistence/patterns.py)
    meta/revision/<machine>              who flushed ``state/<machine>`` last, and when
    meta/head/<machine>                  the version a machine's history continues from
    meta/lab/session, meta/lab/dataset   the Lab's session and its data set
    meta/lab/machine/<id>, meta/lab/records/<id>   the Lab's per-machine workspace and records
    default/<key>                        the seed's generic ``save``/``load`` surface

``BROWSER`` names what the page and its Workers keep outside those namespaces (the
IndexedDB database, localStorage entries, lock and channel names). ``web/storage-keys.mjs``
exports the same names for the page; a unit test holds the two equal.
"""

from __future__ import annotations

from typing import Final

from .keypath import key_path

DEFAULT: Final = "default"
CODE: Final = "code"
STATE: Final = "state"
HISTORY: Final = "history"
VERSIONS: Final = "versions"
SNAPSHOTS: Final = "snapshots"
PATTERNS: Final = "patterns"
META: Final = "meta"

NAMESPACES: Final = (DEFAULT, CODE, STATE, HISTORY, VERSIONS, SNAPSHOTS, PATTERNS, META)
"""Every namespace the engine writes (an import may carry no other)."""

SESSION_KEY: Final = "lab/session"
DATASET_KEY: Final = "lab/dataset"
GENERATED_ROOT: Final = "generated"


def check_machine_id(machine_id: str) -> str:
    """``machine_id`` if it can name a machine's keys, else ``ValueError`` saying why.

    Keys are built by joining a machine id with ``/``; an id holding ``/`` or ``%`` (the
    escape character of :func:`key_path`) would be read back as another machine's keys.
    """
    if not isinstance(machine_id, str) or not machine_id.strip():
        raise ValueError("a machine id must be a non-empty text")
    if machine_id in (".", "..") or any(c in machine_id for c in "/%\\") \
            or any(ord(c) < 32 or ord(c) == 127 for c in machine_id):
        raise ValueError(f"machine id {machine_id!r} must not be . or .. nor hold /, %, \\ "
                         "or control characters")
    return machine_id


def history_key(machine_id: str, task: str, seq: int) -> str:
    """``history/`` key of execution ``seq`` of ``task``: sorts in execution order."""
    return f"{machine_id}/{task}/{seq:010d}"


def history_prefix(machine_id: str) -> str:
    """``history/`` keys of one machine start with this."""
    return f"{machine_id}/"


def revision_key(machine_id: str) -> str:
    """``meta/`` key of the revision last flushed for ``machine_id``."""
    return f"revision/{machine_id}"


def head_key(machine_id: str) -> str:
    """``meta/`` key of the version ``machine_id``'s history continues from."""
    return key_path("head", machine_id)


def workspace_key(machine_id: str) -> str:
    """``meta/`` key of the Lab's workspace (machine text, settings) for ``machine_id``."""
    return key_path("lab", "machine", machine_id)


WORKSPACES_PREFIX: Final = workspace_key("")
"""``meta/`` keys of every workspace start with it."""


def records_key(machine_id: str) -> str:
    """``meta/`` key of the Lab's data set for ``machine_id``."""
    return key_path("lab", "records", machine_id)


def code_path(machine_id: str, task: str, version: int | str) -> str:
    """``code/`` path of ``task``'s generated module, version ``version`` (``3`` or ``"v3"``)."""
    label = version if isinstance(version, str) else f"v{version}"
    return f"{GENERATED_ROOT}/{machine_id}/{task}_{label}.py"


BROWSER: Final = {
    "DATABASE": "evomachine",
    "LOCAL_PREFIX": "evomachine:",
    "ENGINE_ROOT": "evomachine:|",
    "LLM_KEY": "evomachine:llm-key",
    "UI_PREFS": "evomachine:ui",
    "DRAFT": "evomachine:draft",
    "PROBE": "evomachine:probe",
    "LOCK": "evomachine:lab",
    "CHANNEL": "evomachine:lab",
    "PAGE_STORAGE_GLOBAL": "evomachinePageStorage",
}
"""Names outside the engine's namespaces: the IndexedDB database; localStorage entries
(all under ``LOCAL_PREFIX``: the storage backend's items under ``ENGINE_ROOT``, the
remembered key, page preferences, the editor draft, the probe); the Web Lock and
BroadcastChannel of the Lab; the engine Worker's global holding the page's entries."""

DATABASE: Final = BROWSER["DATABASE"]
LOCAL_PREFIX: Final = BROWSER["LOCAL_PREFIX"]
PROBE_KEY: Final = BROWSER["PROBE"]
PAGE_STORAGE_GLOBAL: Final = BROWSER["PAGE_STORAGE_GLOBAL"]
