"""Where the lab keeps its own things in storage, beside the engine's state.

- ``meta/lab/session``: what is loaded (DSL text, example, data set info, LLM
  settings without the key, chart series), so a reload comes back to it;
- ``meta/lab/dataset``: the records of the loaded data set;
- ``meta/lab/version/<machine_id>/<version>``: the DSL text and series a saved
  version had, so a rollback brings back the text with its comments and charts.

Export and import move every namespace the engine knows, in one document.
"""

from __future__ import annotations

import time
from typing import Any

from evomachine.storage import KNOWN_NAMESPACES, Storage, key_path

META = "meta"
SESSION_KEY = "lab/session"
DATASET_KEY = "lab/dataset"
EXPORT_FORMAT = "evomachine.lab"
EXPORT_VERSION = 1


class LabStore:
    """The lab's documents in ``storage``."""

    def __init__(self, storage: Storage):
        self.storage = storage

    async def load_session(self) -> dict[str, Any] | None:
        return await self.storage.get(META, SESSION_KEY)

    async def load_dataset(self) -> list[dict[str, Any]]:
        return await self.storage.get(META, DATASET_KEY) or []

    async def save_session(self, session: dict[str, Any],
                           records: list[dict[str, Any]] | None = None) -> None:
        """Write the session (and the data set when it changed) in one batch."""
        stamped = {**session, "saved_at": time.time()}
        ops: list[tuple[str, str, Any]] = [(META, SESSION_KEY, stamped)]
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

    async def import_all(self, document: Any) -> int:
        """Replace everything stored with an :meth:`export_all` document; entries written."""
        if not isinstance(document, dict) or document.get("format") != EXPORT_FORMAT:
            found = (document.get("format") if isinstance(document, dict)
                     else type(document).__name__)
            raise ValueError(f"not an EvoMachine lab export (format {found!r}); export one with "
                             "'Export all state' first")
        if int(document.get("format_version", 0)) > EXPORT_VERSION:
            raise ValueError(f"this export has format version {document['format_version']}, "
                             f"newer than this build reads ({EXPORT_VERSION}); update EvoMachine")
        ops: list[tuple[str, str, Any]] = []
        for namespace, items in (document.get("storage") or {}).items():
            if namespace not in KNOWN_NAMESPACES:
                raise ValueError(f"export has unknown namespace {namespace!r}")
            for entry in items:
                if not (isinstance(entry, list) and len(entry) == 2 and isinstance(entry[0], str)):
                    raise ValueError(f"export entry in {namespace!r} is not a [key, value] pair")
                ops.append((namespace, entry[0], entry[1]))
        await self.storage.clear()
        await self.storage.write_batch(ops)
        return len(ops)
