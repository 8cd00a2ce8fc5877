"""Export and import of everything the lab stores, as one JSON file.

Mixed into ``Lab``. Files never carry authority: an import is validated whole
(:mod:`evomachine.app.schema`, and its saved run restored in scratch storage)
before anything is written, and then written in one storage batch; the API key
goes to the file's LLM endpoint only when the user chose that.
"""

from __future__ import annotations

import json
from typing import Any

from evomachine import nesting
from evomachine.app.errors import LabError
from evomachine.app.lab_state import LabState
from evomachine.app.store import DATASET_KEY, SESSION_KEY, machine_of
from evomachine.app.views import dumps
from evomachine.storage import keys

IMPORT_CHOICES = ("keep", "file", "file_with_key")


class ImportExportMixin(LabState):
    """``export_state``, ``inspect_import`` and ``import_state`` (see ``Lab``)."""

    async def export_state(self) -> str:
        """All stored state (sessions, executors, versions, patterns, code) as JSON text."""
        if self.executor is not None:
            await self.persist()
        document = await self.store.export_all(self.version)
        # The session goes out with the LLM settings in use: stored ones this build refuses
        # (a base URL holding a key, saved by an older build) never leave the browser.
        for entry in document["storage"].get("meta", []):
            if entry[0] == SESSION_KEY and isinstance(entry[1], dict):
                entry[1] = {**entry[1], "llm": self.llm_public()}
        return dumps(document)

    async def inspect_import(self, text: str) -> str:
        """Check an export without changing anything; what it holds and where its LLM points.

        Returns ``{entries, runs, versions, patterns, records, llm, current_llm,
        same_endpoint, key_held}``; a file that would be refused raises the same
        error :meth:`import_state` would.
        """
        validated = await self._validated_import(text)
        file_config = self._file_llm(validated)
        current = self.llm_config
        return dumps({
            **validated.summary(), **await self.import_plan(validated.entries),
            "llm": file_config.public() if file_config else None,
            "current_llm": self.llm_public(),
            "same_endpoint": file_config is None or file_config.endpoint == current.endpoint,
            "key_held": bool(self._api_key),
        })

    async def import_state(self, text: str, options_json: str = "{}") -> str:
        """Write an export's machines in and come back to its session.

        The file is checked whole first; a file that fails any check changes
        nothing. Then it is written with one storage batch: its machines replace the
        stored ones of the same id; other stored machines (the loaded one too) stay.
        ``{"llm": ...}`` says what happens when the file's LLM endpoint is not the
        one in use: ``"keep"`` (the default) keeps the settings in use, ``"file"``
        takes the file's settings without the key, ``"file_with_key"`` takes them
        and sends the key there (the user confirmed seeing that URL).
        """
        options = json.loads(options_json or "{}")
        choice = options.get("llm", "keep")
        if choice not in IMPORT_CHOICES:
            raise LabError(f"unknown import choice {choice!r}; use one of {IMPORT_CHOICES}")
        validated = await self._validated_import(text)
        entries = dict(validated.entries)
        file_config = self._file_llm(validated)
        session_key = ("meta", SESSION_KEY)
        same = file_config is None or file_config.endpoint == self.llm_config.endpoint
        if session_key in entries and not same and choice == "keep":
            kept = {k: v for k, v in self.llm_public().items() if k != "has_key"}
            entries[session_key] = {**entries[session_key], "llm": kept}
        also: list[tuple[str, str, Any]] = []
        ex = self.executor
        try:
            if ex is not None and session_key in entries and not any(  # it stays stored
                    machine_of(*key) == ex.machine_id for key in entries):
                await self.persist()
                also.append((keys.META, keys.records_key(ex.machine_id), self.records))
            await self.store.import_entries(entries, also)
        except Exception as error:
            raise LabError(f"the file could not be written, so nothing was changed "
                           f"({type(error).__name__}: {error})") from None
        if file_config is not None and not same and choice == "file_with_key" and self._api_key:
            self._key_endpoint = file_config.endpoint
        await self._reset_memory()
        await self._restore()
        if file_config is not None and not same and choice == "file":
            self.llm_note = None  # the user chose to go there without the key
        return await self.state()

    async def _validated_import(self, text: str) -> Any:
        """The export in ``text`` checked whole, its saved run restored in scratch storage."""
        from evomachine.app.schema import SchemaError, validate_export

        try:
            document = nesting.loads(text)
        except ValueError as error:
            raise LabError(f"the file is not JSON, so nothing was imported: {error}") from None
        try:
            validated = validate_export(document)
        except SchemaError as error:
            count = len(error.problems)
            raise LabError(f"the file was not imported (nothing was changed): {count} "
                           f"problem{'s' if count != 1 else ''}: {error}") from None
        session = validated.session
        if session is not None and session.machine_id:
            from evomachine.evolution import EvolutionaryExecutor
            from evomachine.storage import MemoryStorage

            scratch = MemoryStorage()
            await scratch.write_batch([(ns, key, value) for (ns, key), value
                                       in validated.entries.items() if ns in ("state", "history")])
            records = validated.entries.get(("meta", DATASET_KEY)) or []
            try:
                await EvolutionaryExecutor.restore(scratch, session.machine_id, inputs=records)
            except Exception as error:
                raise LabError(
                    f"the file was not imported (nothing was changed): its saved run "
                    f"state/{session.machine_id} cannot be restored ({type(error).__name__}: "
                    f"{error})") from None
        return validated

    @staticmethod
    def _file_llm(validated: Any) -> Any:
        from evomachine.app.llm_config import parse_config

        session = validated.session
        if session is None or session.llm is None:
            return None
        return parse_config({k: v for k, v in session.llm.items() if k != "api_key"})
