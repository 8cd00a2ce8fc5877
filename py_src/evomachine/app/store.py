"""Where the lab keeps its own things in storage, beside the engine's state.

- ``meta/lab/session``: what is loaded (DSL text, example, data set info, LLM
  settings without the key, chart series), so a reload comes back to it;
- ``meta/lab/dataset``: the records of the loaded data set;
- ``meta/lab/machine/<machine_id>``, ``meta/lab/records/<machine_id>``: each stored
  machine's workspace, and the records of those not loaded now
  (:mod:`evomachine.app.machines`);
- ``meta/lab/version/<machine_id>/<version>``: the DSL text and series a saved
  version had, so a rollback brings back the text with its comments and charts.

Export and import move every namespace the engine knows, in one document; an
import is checked whole (:mod:`evomachine.app.schema`) before
:meth:`LabStore.import_entries` writes it in with one storage batch: the machines
the file holds replace the stored ones of the same id, every other stored machine stays.
"""

from __future__ import annotations

import time
from typing import Any

from evomachine.storage import DELETE, KNOWN_NAMESPACES, Storage, key_path, keys
from evomachine.storage.keypath import split_key

META = keys.META
SESSION_KEY = keys.SESSION_KEY
DATASET_KEY = keys.DATASET_KEY
EXPORT_FORMAT = "evomachine.lab"  # the versioned schema is evomachine.app.schema.ExportDoc
# 2 since 0.2 (0.1.0 reads only 1, and refuses a newer version by name); 1 is still read.
EXPORT_VERSION = 2


class LabStore:
    """The lab's documents in ``storage``."""

    def __init__(self, storage: Storage):
        self.storage = storage

    async def session_stamp(self) -> str | None:
        """The stamp of the stored session, or ``None`` (also when it cannot be read)."""
        try:
            session = await self.storage.get(META, SESSION_KEY)
        except Exception:  # damaged: the restore names it
            return None
        stamp = session.get("stamp") if isinstance(session, dict) else None
        return stamp if isinstance(stamp, str) else None

    async def save_session(self, session: dict[str, Any],
                           records: list[dict[str, Any]] | None = None,
                           also: list[tuple[str, str, Any]] | None = None) -> None:
        """Write the session (the data set when it changed, and ``also``) in one batch."""
        stamped = {**session, "saved_at": time.time()}
        ops: list[tuple[str, str, Any]] = [(META, SESSION_KEY, stamped), *(also or [])]
        if records is not None:
            ops.append((META, DATASET_KEY, records))
        await self.storage.write_batch(ops)

    async def save_version_extra(self, machine_id: str, version: str,
                                 extra: dict[str, Any]) -> None:
        await self.storage.put(META, key_path("lab", "version", machine_id, version), extra)

    async def load_version_extra(self, machine_id: str, version: str) -> dict[str, Any] | None:
        return await self.storage.get(META, key_path("lab", "version", machine_id, version))

    async def export_all(self, engine_version: str) -> dict[str, Any]:
        """Every namespace's keys and values as one JSON-safe document."""
        namespaces = {}
        for namespace in KNOWN_NAMESPACES:
            items = await self.storage.items(namespace)
            if items:
                namespaces[namespace] = [[key, value] for key, value in items]
        return {"format": EXPORT_FORMAT, "format_version": EXPORT_VERSION,
                "engine_version": engine_version, "exported_at": time.time(),
                "storage": namespaces}

    async def import_entries(self, entries: dict[tuple[str, str], Any],
                             also: list[tuple[str, str, Any]] | None = None) -> set[str]:
        """Write an import in one batch; returns the ids of the machines it holds.

        Each machine in ``entries`` replaces the stored machine of the same id whole
        (its keys the file lacks are deleted); stored machines the file does not hold
        stay as they are. Patterns and other shared keys in the file overwrite theirs.
        ``also`` (written first, overwritten by ``entries``) keeps the loaded machine's
        records when the file's session takes its place.
        """
        machines = {owner for (namespace, key) in entries
                    if (owner := machine_of(namespace, key)) is not None}
        ops: list[tuple[str, str, Any]] = [op for op in also or []
                                           if machine_of(op[0], op[1]) not in machines]
        for namespace in KNOWN_NAMESPACES:
            for key in await self.storage.keys(namespace):
                if (namespace, key) not in entries and machine_of(namespace, key) in machines:
                    ops.append((namespace, key, DELETE))
        ops += [(namespace, key, value) for (namespace, key), value in entries.items()]
        await self.storage.write_batch(ops)
        return machines

    async def read_checked(self, namespace: str, key: str) -> tuple[Any, str | None]:
        """``(document, None)``, or ``(None, what is wrong)`` when it cannot be read or is
        not what the lab keeps there; ``(None, None)`` when there is none."""
        try:
            value = await self.storage.get(namespace, key)
        except Exception as error:  # unreadable text (truncated, not JSON)
            return None, f"cannot be read ({type(error).__name__}: {error})"
        if value is None:
            return None, None
        from evomachine.app.schema import check_entry

        try:
            return check_entry(namespace, key, value), None
        except ValueError as error:
            return None, str(error)

    async def damaged_history(self, machine_id: str) -> list[tuple[str, str]]:
        """``(document, problem)`` for the history records of ``machine_id`` that are damaged."""
        from evomachine.app.schema import check_entry

        prefix = f"{machine_id}/"
        try:
            items = await self.storage.items("history", prefix)
        except Exception:  # one unreadable record: read them one by one to name it
            items = []
            for key in await self.storage.keys("history", prefix):
                value, problem = await self.read_checked("history", key)
                if problem:
                    return [(f"history/{key}", problem)]
                items.append((key, value))
        problems = []
        for key, value in items:
            try:
                check_entry("history", key, value)
            except ValueError as error:
                problems.append((f"history/{key}", str(error)))
        return problems


def machine_of(namespace: str, key: str) -> str | None:
    """The machine id a stored key belongs to, or ``None`` for shared keys
    (patterns, the session, the loaded data set, ``default``)."""
    parts = split_key(key)
    if namespace == "state":
        return key
    if namespace in ("history", "versions", "snapshots"):
        return parts[0]
    if namespace == "code":
        return parts[1] if len(parts) > 2 and parts[0] == keys.GENERATED_ROOT else None
    if namespace == META:
        if parts[0] in ("revision", "head") and len(parts) > 1:
            return parts[1]
        if parts[0] == "lab" and len(parts) > 2 and parts[1] in ("machine", "records", "version"):
            return parts[2]
    return None
