"""Executor state to JSON and back, and the write-behind layout in storage.

``export_state`` is the whole executor as one JSON-safe dict. In storage it is
split so a flush writes only what changed: namespace ``state`` holds one
document per machine (everything but history records, which it lists by
sequence number) and namespace ``history`` holds one key per live record,
``<machine_id>/<task>/<seq>``; records that left the bounded history are
deleted in the same batch. Generated code also goes to ``storage.save_code``
when it is installed.

Two writers of one machine (two tabs, two processes) never overwrite each
other silently: every flush is a compare-and-set on ``meta/revision/<machine_id>``
(``Storage.write_batch_if``). A flush whose executor was not built on the
stored revision writes nothing and raises ``StateConflictError``; restore the
executor to follow the other writer. A new executor (not restored) takes over
whatever revision is stored at its first flush: starting a machine afresh
replaces it on purpose.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from evomachine.history import ExecutionRecord, TaskHistory
from evomachine.model import MachineData
from evomachine.storage import keys
from evomachine.storage.errors import StorageError

if TYPE_CHECKING:
    from evomachine.evolution.executor import EvolutionaryExecutor

FORMAT = 1  # task documents gained fields in 0.2; missing ones take their defaults
STATE_NAMESPACE = keys.STATE
HISTORY_NAMESPACE = keys.HISTORY
REVISION_NAMESPACE = keys.META


class StateConflictError(StorageError):
    """Another writer saved this machine since this executor loaded it; nothing was written."""

    def __init__(self, message: str, *, stored: dict[str, Any] | None) -> None:
        super().__init__(message)
        self.stored = stored


class MissingHistoryError(LookupError):
    """A saved executor names a history record that storage does not hold (``key``)."""

    def __init__(self, message: str, *, key: str) -> None:
        super().__init__(message)
        self.key = key


revision_key = keys.revision_key


async def stored_revision(storage: Any, machine_id: str) -> dict[str, Any] | None:
    """``{"revision": n, "writer": token}`` last flushed for ``machine_id``, or ``None``."""
    return await storage.get(REVISION_NAMESPACE, revision_key(machine_id))


@dataclass
class PersistedKeys:
    """What this executor knows is already in storage: history seqs per task, code paths."""

    history: dict[str, set[int]] = field(default_factory=dict)
    stray: set[str] = field(default_factory=set)
    code_paths: set[str] = field(default_factory=set)
    synced: bool = False
    # The stored revision this executor is built on; ``adopt`` until its first flush or restore.
    revision: dict[str, Any] | None = None
    adopt: bool = True
    writer: str = field(default_factory=lambda: secrets.token_hex(6))

    def load(self, machine_id: str, keys: Iterable[str]) -> None:
        """Take the history keys found in storage (unparseable ones are deleted next flush)."""
        self.history, self.stray = {}, set()
        for key in keys:
            _, _, rest = key.partition(f"{machine_id}/")
            task, _, seq = rest.rpartition("/")
            if task and seq.isdigit():
                self.history.setdefault(task, set()).add(int(seq))
            else:
                self.stray.add(key)
        self.synced = True


history_key = keys.history_key


def _recent_range(history: TaskHistory) -> tuple[int, int] | None:
    """``(first, last)`` sequence numbers when ``recent`` is contiguous (it is, as appended)."""
    recent = history.recent
    if not recent:
        return (1, 0)
    first, last = recent[0].seq, recent[-1].seq
    return (first, last) if last - first + 1 == len(recent) else None


def _history_index(history: TaskHistory) -> dict[str, Any]:
    span = _recent_range(history)
    return {"limit": history.limit, "sample_size": history.sample_size, "seen": history.seen,
            "seed": history.seed,
            "recent": {"from": span[0], "to": span[1]} if span else [r.seq for r in history.recent],
            "sample": [r.seq for r in history.sample]}


def _index_seqs(index: dict[str, Any], stored: int) -> list[int]:
    """The sequence numbers ``index`` lists as recent. A range longer than the ``stored``
    records (a damaged or hostile document: ``to`` of 10^12) is cut at one more than them:
    one of those is missing, and ``restore`` names it; the rest are never listed."""
    recent = index["recent"]
    if not isinstance(recent, dict):
        return recent
    first = recent["from"]
    return list(range(first, min(recent["to"], first + stored) + 1))


def export_state(ex: EvolutionaryExecutor, *, inline_history: bool) -> dict[str, Any]:
    """The executor as JSON-safe data; histories inline or as sequence-number indexes."""
    histories = {
        name: history.model_dump(mode="json") if inline_history else _history_index(history)
        for name, history in ex.histories.items()
    }
    return {
        "format": FORMAT,
        "machine_id": ex.machine_id,
        "machine": ex.machine.model_dump(mode="json"),
        "context": dict(ex.context),
        "policy": ex.policy.model_dump(mode="json"),
        "seed": ex.seed,
        "history_limit": ex.history_limit,
        "persist_every": ex.persist_every,
        "tasks": {name: state.export() for name, state in ex.tasks.items()},
        "histories": histories,
        "mutations": [dict(m) for m in ex.mutations],
        "run": ex.run_state(),
    }


def import_state(ex: EvolutionaryExecutor, state: dict[str, Any]) -> None:
    """Make ``ex`` the executor that ``state`` (``export_state``, histories inline) describes."""
    if state.get("format") != FORMAT:
        raise ValueError(f"cannot import executor state of format {state.get('format')!r} "
                         f"(this engine reads format {FORMAT})")
    from evomachine.evolution.policy import EvolutionPolicy

    ex.policy = EvolutionPolicy.build(state["policy"])
    ex.context = dict(state.get("context") or {})
    ex.history_limit = int(state.get("history_limit", ex.history_limit))
    ex.persist_every = int(state.get("persist_every", ex.persist_every))
    ex.seed = state.get("seed", ex.seed)
    ex.histories = {name: TaskHistory.model_validate(data)
                    for name, data in state.get("histories", {}).items()}
    ex.tasks = {}
    ex.load_machine(MachineData.model_validate(state["machine"]))
    for name, saved in state.get("tasks", {}).items():
        task = ex.tasks.get(name)
        if task is not None:
            task.load(saved)
    ex.mutations = [dict(m) for m in state.get("mutations", [])]
    run = state.get("run", {})
    node = run.get("current_node")
    if node is not None and ex.machine.find_node(node) is None:
        raise ValueError(f"saved run stands on node {node!r}, which the machine does not have")
    ex.resume_run(run)


async def flush(ex: EvolutionaryExecutor) -> None:
    """Write the state document and the history records that changed, in one batch."""
    storage = ex.storage
    if storage is None:
        return
    from evomachine.storage.base import DELETE

    persisted, machine_id = ex.persisted, ex.machine_id
    if not persisted.synced:
        persisted.load(machine_id, await storage.keys(HISTORY_NAMESPACE, f"{machine_id}/"))
    ops: list[tuple[str, str, Any]] = [(HISTORY_NAMESPACE, key, DELETE)
                                       for key in sorted(persisted.stray)]
    saved: dict[str, set[int]] = {}
    for name in sorted(set(ex.histories) | set(persisted.history)):
        history = ex.histories.get(name)
        records = _live_records(history) if history is not None else {}
        before = persisted.history.get(name, set())
        ops += [(HISTORY_NAMESPACE, history_key(machine_id, name, seq),
                 records[seq].model_dump(mode="json"))
                for seq in sorted(records.keys() - before)]
        ops += [(HISTORY_NAMESPACE, history_key(machine_id, name, seq), DELETE)
                for seq in sorted(before - records.keys())]
        saved[name] = set(records)
    if persisted.adopt:
        persisted.revision = await stored_revision(storage, machine_id)
    base = persisted.revision
    revision = {"revision": (base["revision"] if base else 0) + 1, "writer": persisted.writer}
    document = export_state(ex, inline_history=False)
    document["revision"] = revision
    ops.append((STATE_NAMESPACE, machine_id, document))
    ops.append((REVISION_NAMESPACE, revision_key(machine_id), revision))
    guard = (REVISION_NAMESPACE, revision_key(machine_id))
    if not await storage.write_batch_if(guard, base, ops):
        stored = await stored_revision(storage, machine_id)
        raise StateConflictError(
            f"machine {machine_id!r} was saved by another writer (another tab or process: "
            f"revision {stored and stored['revision']}) after this executor loaded revision "
            f"{base and base['revision']}; nothing was written. Restore it with "
            f"EvolutionaryExecutor.restore(storage, {machine_id!r}) to continue from there",
            stored=stored)
    persisted.history, persisted.stray = saved, set()
    persisted.revision, persisted.adopt = revision, False


def _live_records(history: TaskHistory) -> dict[int, ExecutionRecord]:
    """Records still held (recent or sampled) by sequence number."""
    live = {record.seq: record for record in history.sample}
    span = _recent_range(history)
    if span is None:
        live.update((record.seq, record) for record in history.recent)
    else:
        # Recent records are contiguous: skip the ones already in ``live`` without touching them.
        offset = span[0]
        for seq in range(span[0], span[1] + 1):
            if seq not in live:
                live[seq] = history.recent[seq - offset]
    return live


async def restore(cls: type[EvolutionaryExecutor], storage: Any, machine_id: str, *,
                  llm: Any = None, inputs: Any = None, **options: Any) -> EvolutionaryExecutor:
    """Rebuild the executor last flushed under ``machine_id``."""
    doc = await storage.get(STATE_NAMESPACE, machine_id)
    if doc is None:
        raise LookupError(f"no saved executor {machine_id!r} in {type(storage).__name__}; "
                          "run one with this storage and flush() it first")
    records = dict(await storage.items(HISTORY_NAMESPACE, f"{machine_id}/"))
    histories = {}
    for name, index in doc["histories"].items():
        def record(seq: int, task: str = name) -> dict[str, Any]:
            key = history_key(machine_id, task, seq)
            if key not in records:
                raise MissingHistoryError(
                    f"saved executor {machine_id!r} is missing history record {key}", key=key)
            return records[key]

        seqs = _index_seqs(index, len(records))
        histories[name] = {
            "limit": index["limit"], "sample_size": index["sample_size"], "seen": index["seen"],
            "seed": index["seed"], "recent": [record(s) for s in seqs],
            "sample": [record(s) for s in index["sample"]],
        }
    state = {**doc, "histories": histories}
    options.setdefault("persist_every", doc.get("persist_every", 200))
    ex = cls(MachineData.model_validate(doc["machine"]), doc.get("context"), storage, llm=llm,
             machine_id=machine_id, policy=doc["policy"], seed=doc["seed"],
             history_limit=doc.get("history_limit", 2000), **options)
    ex.import_state(state)
    ex.persisted.load(machine_id, records)
    ex.persisted.revision, ex.persisted.adopt = doc.get("revision"), False
    ex.persisted.code_paths = {t.code_path for t in ex.tasks.values() if t.code_path}
    if inputs is not None:
        ex.set_inputs(inputs, skip=ex.input_cursor)
    return ex
