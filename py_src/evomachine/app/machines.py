"""The machines this browser keeps: their list, switching between them, what a load replaces.

Every machine the lab loads keeps its work in storage under its id (the slug of
its title): the engine's run (``state/<id>``, ``history/<id>/...``), its
versions, and the lab's workspace ``meta/lab/machine/<id>`` (DSL text, example,
data set info, chart series, and the steps, stages and last run time at the
last save). The records of the machine loaded now are ``meta/lab/dataset``;
those of the others wait in ``meta/lab/records/<id>`` and move back when the
user switches to that machine, in one storage batch with the session.

Mixed into ``Lab``.
"""

from __future__ import annotations

import json
import secrets
import time
from typing import Any

from evomachine.app.errors import LabError
from evomachine.app.lab_state import LabState
from evomachine.app.store import DATASET_KEY, META, SESSION_KEY
from evomachine.app.views import dumps
from evomachine.storage import DELETE
from evomachine.storage.keys import WORKSPACES_PREFIX, head_key, records_key, workspace_key


class MachinesMixin(LabState):
    """The machine list and switching (see ``Lab``)."""

    def workspace(self) -> dict[str, Any] | None:
        """The loaded machine's workspace document (``None`` with no machine loaded)."""
        ex = self.executor
        if ex is None:
            return None
        return {"format": 1, "title": ex.machine.title, "dsl": self.dsl, "example": self.example,
                "dataset": self.dataset, "series": self.series.export(),
                "step_count": ex.step_count, "stages": ex.stages(),
                "last_run_at": self.last_run_at, "saved_at": time.time()}

    async def machines(self) -> str:
        """Every stored machine, the loaded one first: ``[{machine_id, title, current,
        stages, step_count, records, last_run_at, problem}]``."""
        current = self.executor.machine_id if self.executor is not None else None
        rows: list[dict[str, Any]] = []
        for key in sorted(await self.storage.keys(META, WORKSPACES_PREFIX)):
            machine_id = key.split("/", 2)[2]
            if machine_id == current:
                continue
            doc, problem = await self.store.read_checked(META, key)
            if problem or doc is None:
                rows.append({"machine_id": machine_id, "title": machine_id, "current": False,
                             "stages": {}, "step_count": 0, "records": 0, "last_run_at": None,
                             "problem": problem or "is missing"})
                continue
            rows.append(_row(machine_id, doc.model_dump(), current=False))
        rows.sort(key=lambda row: -(row["last_run_at"] or 0))
        now = self.workspace()
        if now is not None:
            rows.insert(0, _row(current, now, current=True))
        return dumps(rows)

    async def plan_load(self, dsl: str) -> str:
        """What loading ``dsl`` would do, before doing it: ``{machine_id, title, current,
        replaces}``; ``replaces`` is the stored run it would start again
        (``{machine_id, title, step_count}``), or ``None`` when no work is lost."""
        machine = self._parse(dsl)
        from evomachine.executor import slugify

        machine_id = slugify(machine.title)
        ex = self.executor
        replaces = None
        if ex is not None and ex.machine_id == machine_id:
            if ex.step_count:
                replaces = {"machine_id": machine_id, "title": ex.machine.title,
                            "step_count": ex.step_count}
        else:
            doc, _ = await self.store.read_checked(META, workspace_key(machine_id))
            if doc is not None and doc.step_count:
                replaces = {"machine_id": machine_id, "title": doc.title or machine_id,
                            "step_count": doc.step_count}
        return dumps({"machine_id": machine_id, "title": machine.title,
                      "current": ex.machine_id if ex is not None else None,
                      "replaces": replaces})

    async def import_plan(self, entries: dict[tuple[str, str], Any]) -> dict[str, Any]:
        """What importing ``entries`` does to the stored machines: ``{machines, replaces,
        kept}``: the file's machines, the stored ones of the same id it replaces
        (``{machine_id, title, step_count}``) and how many other stored machines stay."""
        from evomachine.app.store import machine_of

        ids = sorted({owner for (namespace, key) in entries
                      if (owner := machine_of(namespace, key)) is not None})
        titles = []
        for machine_id in ids:
            doc = entries.get((META, workspace_key(machine_id)))
            title = doc.get("title") if isinstance(doc, dict) else None
            titles.append({"machine_id": machine_id, "title": title or machine_id})
        stored = json.loads(await self.machines())
        replaces = [{"machine_id": m["machine_id"], "title": m["title"],
                     "step_count": m["step_count"]} for m in stored if m["machine_id"] in ids]
        ex = self.executor
        if ex is not None and ex.machine_id in ids and not any(
                r["machine_id"] == ex.machine_id for r in replaces):
            replaces.append({"machine_id": ex.machine_id, "title": ex.machine.title,
                             "step_count": ex.step_count})
        return {"machines": titles, "replaces": replaces,
                "kept": sum(1 for m in stored if m["machine_id"] not in ids)}

    async def switch_machine(self, machine_id: str) -> str:
        """Load the stored machine ``machine_id`` where it was left; the loaded one is kept."""
        ex = self.executor
        if ex is not None and ex.machine_id == machine_id:
            return await self.state()
        doc, problem = await self.store.read_checked(META, workspace_key(machine_id))
        if problem:
            raise LabError(f"machine {machine_id!r} cannot be opened: its workspace {problem}")
        if doc is None:
            raise LabError(f"no stored machine {machine_id!r}")
        records, problem = await self.store.read_checked(META, records_key(machine_id))
        if problem:
            raise LabError(f"machine {machine_id!r} cannot be opened: its records {problem}")
        ops: list[tuple[str, str, Any]] = []
        if ex is not None:
            await self.persist()
            ops.append((META, records_key(ex.machine_id), self.records))
        session = {"format": 1, "dsl": doc.dsl, "example": doc.example, "machine_id": machine_id,
                   "dataset": doc.dataset.model_dump(), "llm": self.llm_public(),
                   "series": {name: series.model_dump(by_alias=True)
                              for name, series in (doc.series or {}).items()},
                   "saved_at": time.time()}
        ops += [(META, SESSION_KEY, session), (META, DATASET_KEY, records or []),
                (META, records_key(machine_id), DELETE)]
        await self.storage.write_batch(ops)
        await self._reset_memory()
        await self._restore()
        return await self.state()

    async def delete_machine(self, machine_id: str) -> str:
        """Delete stored machine ``machine_id`` from this browser: its run and history, learnt
        code, saved versions, workspace and records, in one storage batch; a damaged one too.
        Deleting the loaded machine leaves nothing loaded (the LLM settings stay). Patterns
        saved from it stay: they belong to the library. ``{machine_id, title, deleted}``
        (``deleted`` counts the stored documents removed)."""
        from evomachine.app.store import machine_of
        from evomachine.storage import KNOWN_NAMESPACES

        if not isinstance(machine_id, str) or not machine_id:
            raise LabError("name the machine to delete by its id (machines() lists them)")
        ex = self.executor
        # The loaded machine, or the one the session names when its saved run is damaged
        # (nothing is in memory then, but the session and the data set are its).
        session = await self.storage.get(META, SESSION_KEY) if ex is None else None
        current = (ex.machine_id if ex is not None else
                   session.get("machine_id") if isinstance(session, dict) else None) == machine_id
        title = ex.machine.title if ex is not None and current else machine_id
        if ex is None or not current:
            doc, _ = await self.store.read_checked(META, workspace_key(machine_id))
            if doc is not None and doc.title:
                title = doc.title
        ops: list[tuple[str, str, Any]] = []
        for namespace in KNOWN_NAMESPACES:
            for key in await self.storage.keys(namespace):
                if machine_of(namespace, key) == machine_id:
                    ops.append((namespace, key, DELETE))
        if not ops and not current:
            raise LabError(f"no stored machine {machine_id!r}")
        deleted = len(ops)
        stamp = secrets.token_hex(6)  # other tabs see the session move and follow
        if current:  # nothing loaded afterwards; the LLM settings stay
            ops += [(META, DATASET_KEY, DELETE),
                    (META, SESSION_KEY, {**self._session(loaded=False), "stamp": stamp})]
        await self.storage.write_batch(ops)  # first: a failed write leaves the tab as it was
        if current:
            await self._reset_memory()
            self._stamp = stamp
        return dumps({"machine_id": machine_id, "title": title, "deleted": deleted})

    async def stash_for(self, machine_id: str) -> None:
        """Before loading machine ``machine_id``: keep the loaded one's records under its id
        when it is another machine (its run and workspace are already stored).

        ``machine_id``'s run starts again, so no saved version is where it is now: its head
        goes (the versions stay; the next one saved starts a new line)."""
        ex = self.executor
        ops: list[tuple[str, str, Any]] = [(META, records_key(machine_id), DELETE),
                                           (META, head_key(machine_id), DELETE)]
        if ex is not None and ex.machine_id != machine_id:
            await self.persist()
            ops.append((META, records_key(ex.machine_id), self.records))
        await self.storage.write_batch(ops)

    async def restore_workspace(self, machine_id: str) -> None:
        """After a restore: what the workspace of ``machine_id`` knows beyond the session."""
        doc, _ = await self.store.read_checked(META, workspace_key(machine_id))
        self.last_run_at = doc.last_run_at if doc is not None else None


def _row(machine_id: str, doc: dict[str, Any], *, current: bool) -> dict[str, Any]:
    dataset = doc.get("dataset") or {}
    return {"machine_id": machine_id, "title": doc.get("title") or machine_id,
            "current": current, "stages": doc.get("stages") or {},
            "step_count": doc.get("step_count") or 0, "records": dataset.get("count") or 0,
            "example": doc.get("example"), "last_run_at": doc.get("last_run_at"),
            "problem": None}
