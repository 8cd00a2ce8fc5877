"""Machine versions: save, list, load, roll back, diff, export and import.

Layout (one batch per save, so a version is never half stored):

- ``versions/<machine_id>/<version>``: ``VersionInfo`` (id, parent, time, metrics, stages)
- ``snapshots/<machine_id>/<version>``: the executor's ``export_state()``
- ``meta/head/<machine_id>``: the version the machine is at; the parent of the next save

Ids sort in time order (``ids.VersionClock``), so listing a machine's history
is one prefix read, and a machine ``a`` never sees the versions of ``a_b``.
"""

from __future__ import annotations

import copy
import json
import time
from collections.abc import Callable
from typing import Any

from pydantic import BaseModel, Field, ValidationError

from .. import nesting
from ..model import MachineData
from ..storage import DELETE, Storage, key_path
from ..storage.keys import META, SNAPSHOTS, VERSIONS, head_key
from .diff import MachineDiff, diff_states, stages_of
from .ids import VersionClock
from .protocol import PersistableExecutor

MACHINE_FORMAT = "evomachine.machine"
FORMAT_VERSION = 1


class VersionDamagedError(ValueError):
    """A stored version whose snapshot this engine cannot restore (the executor is unchanged)."""


class VersionNotFoundError(KeyError):
    """No such version (or no versions at all) for a machine."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else "version not found"


class VersionInfo(BaseModel):
    """One saved version of a machine, without its (large) snapshot."""

    id: str
    machine_id: str
    parent: str | None = None
    created_at: float = Field(default_factory=time.time)
    metrics: dict[str, Any] = Field(default_factory=dict)
    stages: dict[str, str] = Field(default_factory=dict)
    label: str | None = None


class MachinePersistence:
    """Versions of executors' state in ``storage``, chained by parent ids."""

    def __init__(self, storage: Storage, *, clock: Callable[[], float] = time.time) -> None:
        self.storage = storage
        self.clock = clock
        self._ids = VersionClock(clock)

    # -- saving ------------------------------------------------------------------

    async def head(self, machine_id: str) -> str | None:
        """The version the machine is at (last saved or rolled back to), or ``None``."""
        return await self.storage.get(META, head_key(machine_id))

    async def save_version(self, executor: PersistableExecutor, machine_id: str | None = None,
                           metrics: dict[str, Any] | None = None, *,
                           label: str | None = None) -> str:
        """Snapshot ``executor`` as a new version of ``machine_id``; returns its sortable id.

        The new version's parent is the machine's head; the head then moves to it.
        """
        machine_id = machine_id or executor.machine_id
        state = executor.export_state()
        parent = await self.head(machine_id)
        version = self._ids.next_id(after=parent)
        info = VersionInfo(id=version, machine_id=machine_id, parent=parent,
                           created_at=self.clock(), metrics=dict(metrics or {}),
                           stages=stages_of(state), label=label)
        await self.storage.write_batch([
            (SNAPSHOTS, key_path(machine_id, version), state),
            (VERSIONS, key_path(machine_id, version), info),
            (META, head_key(machine_id), version),
        ])
        return version

    # -- reading -----------------------------------------------------------------

    async def list_versions(self, machine_id: str) -> list[VersionInfo]:
        """Every version of ``machine_id``, oldest first."""
        found = await self.storage.items(VERSIONS, key_path(machine_id, ""))
        return [VersionInfo.model_validate(value) for _, value in found]

    async def get_version(self, machine_id: str, version: str | None = None) -> VersionInfo:
        """The ``VersionInfo`` of ``version`` (``None``: the head)."""
        version = await self._resolve(machine_id, version)
        value = await self.storage.get(VERSIONS, key_path(machine_id, version))
        if value is None:
            raise await self._missing(machine_id, version)
        return VersionInfo.model_validate(value)

    async def load_snapshot(self, machine_id: str, version: str | None = None) -> dict[str, Any]:
        """The full executor snapshot saved as ``version`` (``None``: the head)."""
        version = await self._resolve(machine_id, version)
        state = await self.storage.get(SNAPSHOTS, key_path(machine_id, version))
        if state is None:
            raise await self._missing(machine_id, version)
        return state

    async def load_version(self, machine_id: str, version: str | None = None) -> MachineData:
        """The machine as it was at ``version`` (``None``: the head)."""
        state = await self.load_snapshot(machine_id, version)
        return MachineData.model_validate(state["machine"])

    async def _resolve(self, machine_id: str, version: str | None) -> str:
        if version is not None:
            return version
        head = await self.head(machine_id)
        if head is None:
            raise VersionNotFoundError(f"machine {machine_id!r} has no saved versions; "
                                       "call save_version first")
        return head

    async def _missing(self, machine_id: str, version: str) -> VersionNotFoundError:
        known = [info.id for info in await self.list_versions(machine_id)]
        hint = f"known: {', '.join(known[-5:])}" if known else "it has no saved versions"
        return VersionNotFoundError(f"machine {machine_id!r} has no version {version!r} ({hint})")

    # -- rollback and diff ---------------------------------------------------------

    async def rollback(self, executor: PersistableExecutor, machine_id: str | None,
                       version: str) -> VersionInfo:
        """Restore ``executor`` to ``version`` and record a ``rollback`` mutation.

        The machine's head moves to ``version``: the next save is its child.
        """
        machine_id = machine_id or executor.machine_id
        info = await self.get_version(machine_id, version)
        state = await self.load_snapshot(machine_id, version)
        previous = await self.head(machine_id)
        saved = executor.export_state()
        try:
            executor.import_state(copy.deepcopy(state))
        except Exception as error:  # a stored or imported snapshot is hostile text
            executor.import_state(saved)  # whole again, as it was before
            raise VersionDamagedError(
                f"version {version} of {machine_id} cannot be restored "
                f"({type(error).__name__}: {str(error)[:200]}); nothing was changed") from None
        executor.record_mutation("rollback", {
            "machine_id": machine_id, "to_version": version, "from_version": previous,
            "stages": info.stages,
        })
        await self.storage.put(META, head_key(machine_id), version)
        return info

    async def diff(self, machine_id: str, v1: str, v2: str) -> MachineDiff:
        """What changed from ``v1`` to ``v2``: nodes, edges, attributes, stages, code, metrics."""
        info_a = await self.get_version(machine_id, v1)
        info_b = await self.get_version(machine_id, v2)
        state_a = await self.load_snapshot(machine_id, v1)
        state_b = await self.load_snapshot(machine_id, v2)
        return diff_states(v1, v2, state_a, state_b, info_a.metrics, info_b.metrics)

    async def delete_machine(self, machine_id: str) -> int:
        """Remove every version of ``machine_id``; returns how many there were."""
        keys = await self.storage.keys(VERSIONS, key_path(machine_id, ""))
        ops: list[tuple[str, str, Any]] = []
        for key in keys:
            ops += [(VERSIONS, key, DELETE), (SNAPSHOTS, key, DELETE)]
        ops.append((META, head_key(machine_id), DELETE))
        await self.storage.write_batch(ops)
        return len(keys)

    # -- export and import -----------------------------------------------------------

    async def export_machine(self, machine_id: str,
                             executor: PersistableExecutor | None = None) -> str:
        """Every version of ``machine_id`` (and ``executor``'s current state) as JSON text."""
        versions = []
        for info in await self.list_versions(machine_id):
            state = await self.load_snapshot(machine_id, info.id)
            versions.append({"info": info.model_dump(mode="json"), "state": state})
        document = {
            "format": MACHINE_FORMAT, "format_version": FORMAT_VERSION,
            "machine_id": machine_id, "head": await self.head(machine_id),
            "versions": versions,
            "current": executor.export_state() if executor is not None else None,
        }
        return json.dumps(document, ensure_ascii=False)

    async def import_machine(self, text: str, *, machine_id: str | None = None,
                             executor: PersistableExecutor | None = None) -> str:
        """Store the versions from ``export_machine`` text (under ``machine_id`` if given).

        With ``executor``, it is restored to the exported current state (or the head).
        Returns the machine id. Everything is written in one batch.
        """
        document = _parse_document(text, MACHINE_FORMAT)
        target = machine_id or document.get("machine_id")
        if not isinstance(target, str) or not target:
            raise ValueError("machine export has no machine_id; pass machine_id=")
        ops: list[tuple[str, str, Any]] = []
        try:
            for entry in document.get("versions", []):
                info = VersionInfo.model_validate(entry["info"]).model_copy(
                    update={"machine_id": target})
                if not isinstance(entry.get("state"), dict):
                    raise ValueError(f"version {info.id} has no state")
                ops.append((SNAPSHOTS, key_path(target, info.id), entry["state"]))
                ops.append((VERSIONS, key_path(target, info.id), info))
        except (KeyError, TypeError, ValidationError) as error:
            raise ValueError(f"machine export is malformed: {error}") from error
        head = document.get("head")
        if head is not None:
            ops.append((META, head_key(target), head))
        if executor is None:
            await self.storage.write_batch(ops)
            return target
        current = document.get("current")
        if not isinstance(current, dict):  # the file's head, from the file itself
            current = next((state for ns, key, state in ops
                            if ns == SNAPSHOTS and key == key_path(target, str(head))), None)
        if current is None:  # no state in the file: its head as stored (as before)
            await self.storage.write_batch(ops)
            executor.import_state(await self.load_snapshot(target))
            return target
        saved = executor.export_state()
        try:  # restored before anything is written, so a state that fails changes nothing
            executor.import_state(copy.deepcopy(current))
        except Exception as error:  # the file is hostile text
            executor.import_state(saved)
            raise VersionDamagedError(
                f"machine export's state cannot be restored ({type(error).__name__}: "
                f"{str(error)[:200]}); nothing was changed") from None
        try:
            await self.storage.write_batch(ops)
        except Exception:
            executor.import_state(saved)
            raise
        return target


def _parse_document(text: str, expected_format: str) -> dict[str, Any]:
    try:
        document = nesting.loads(text)
    except ValueError as error:
        raise ValueError(f"not a JSON {expected_format} export: {error}") from error
    if not isinstance(document, dict) or document.get("format") != expected_format:
        found = document.get("format") if isinstance(document, dict) else type(document).__name__
        raise ValueError(f"expected a {expected_format!r} export, found {found!r}")
    version = document.get("format_version", 0)
    if type(version) is not int:  # bool, float (1e309 is infinity), text, list, null
        raise ValueError(f"{expected_format} export's format_version is {version!r}, "
                         "not a whole number")
    if version > FORMAT_VERSION:
        raise ValueError(f"{expected_format} export version {document['format_version']} is "
                         f"newer than this build reads ({FORMAT_VERSION}); update EvoMachine")
    return document
