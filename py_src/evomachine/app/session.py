"""The lab's session in storage: save it, come back to it, repair it, follow other tabs.

Mixed into ``Lab``. :meth:`SessionMixin.persist` flushes the executor and saves
the session (``meta/lab/session``) with the loaded machine's workspace;
:meth:`SessionMixin._restore` comes back to it when the page opens. A damaged
stored document never stops the page from opening: ``Lab.problems`` names it
and :meth:`SessionMixin.repair` drops just the damaged ones. Another tab's save
changes the session's stamp, and :meth:`SessionMixin.sync` then reloads.
"""

from __future__ import annotations

import secrets
from typing import Any

from evomachine.app.errors import LabError, LLMConfigError
from evomachine.app.lab_state import LabState
from evomachine.app.series import SeriesBook
from evomachine.app.store import DATASET_KEY, SESSION_KEY
from evomachine.app.views import dumps
from evomachine.storage import keys
from evomachine.storage.keys import workspace_key

EMPTY_DATASET: dict[str, Any] = {"name": None, "count": 0, "fields": []}


class SessionMixin(LabState):
    """Saving and restoring the session of ``self.storage`` (see ``Lab``)."""

    async def persist(self, *, dataset_changed: bool = False) -> str:
        """Flush the executor and save the session, so a reload comes back here."""
        ex = self.executor
        if ex is not None:
            for task in ex.stages():
                series = self.series.task(task)
                metrics = ex.task_metrics(task)
                if metrics["execution_count"] > series.last["executions"]:
                    series.sample(metrics)
            from evomachine.evolution.snapshot import StateConflictError

            try:
                await ex.flush()
            except StateConflictError as conflict:
                await self._follow()
                raise LabError(
                    f"another tab saved machine {ex.machine_id!r} while this tab was changing it, "
                    "so this tab's unsaved steps were dropped (nothing of the other tab's was "
                    f"overwritten) and it now shows the other tab's state. ({conflict})") from None
        stamp = secrets.token_hex(6)
        workspace = self.workspace()
        await self.store.save_session(
            {**self._session(), "stamp": stamp}, self.records if dataset_changed else None,
            [] if workspace is None else [("meta", workspace_key(ex.machine_id), workspace)])
        self._stamp = stamp
        return dumps({"saved": True})

    def _session(self, *, loaded: bool = True) -> dict[str, Any]:
        """The session document for what is loaded (``loaded=False``: for nothing loaded,
        with the same LLM settings)."""
        if not loaded:
            return {"format": 1, "dsl": "", "example": None, "machine_id": None,
                    "dataset": dict(EMPTY_DATASET), "llm": self.llm_public(), "series": {}}
        return {"format": 1, "dsl": self.dsl, "example": self.example,
                "machine_id": self.executor.machine_id if self.executor else None,
                "dataset": self.dataset, "llm": self.llm_public(),
                "series": self.series.export()}

    async def sync(self) -> str:
        """Catch up with another tab: reload what it saved since this tab last saved or loaded.

        The page calls this before every change it makes (holding the origin-wide
        Web Lock, so no other tab writes meanwhile) and when another tab announces
        a change. Returns ``{changed}``: whether this tab reloaded.
        """
        moved = await self.store.session_stamp() != self._stamp
        ex = self.executor
        if not moved and ex is not None and not ex.persisted.adopt:
            from evomachine.evolution.snapshot import stored_revision

            moved = await stored_revision(self.storage, ex.machine_id) != ex.persisted.revision
        if moved:
            await self._follow()
        return dumps({"changed": moved})

    async def _follow(self) -> None:
        """Drop what this tab holds and load what is stored (another tab's latest state)."""
        await self._reset_memory()
        await self._restore()

    async def _restore(self) -> None:
        """Come back to the stored session; a damaged document becomes a named problem.

        Nothing stored stops the page from opening: each document that cannot
        be used is listed in :attr:`problems` (with what to drop to get going
        again) and the rest is restored. A saved run that is missing or damaged
        is never silently replaced by a fresh one at step 0.
        """
        self.problems = []
        session, problem = await self.store.read_checked("meta", SESSION_KEY)
        refused = None
        if problem:
            session, refused = await self._session_without_llm(), problem
            problem = None if session is not None else problem
        self._stamp = session.stamp if session is not None else None
        if problem:
            self._problem(f"meta/{SESSION_KEY}", problem, "session")
            return
        if session is None:
            return
        from evomachine.app.llm_config import parse_config

        # Settings this build refuses (a base URL holding a key, say) cost the settings, not
        # the machine: it comes back with the simulated LLM, and the LLM panel says why.
        try:
            config = self._parse_llm(session.llm)
        except LLMConfigError as error:
            config, refused = parse_config(None), str(error).splitlines()[0]
        if not session.dsl:  # nothing loaded: the settings come back all the same
            self._settings_alone(config)
            self._note_refused_llm(refused)
            return
        records, problem = await self.store.read_checked("meta", DATASET_KEY)
        if problem:
            self._problem(f"meta/{DATASET_KEY}", problem, "dataset")
        self.records = records or []
        self.dsl, self.example = session.dsl, session.example
        self.dataset = session.dataset.model_dump() if records is not None else dict(EMPTY_DATASET)
        self.series = SeriesBook.from_export(
            {name: series.model_dump(by_alias=True) for name, series in
             (session.series or {}).items()})
        self.llm_config = config  # kept (and exported) even if the machine text is damaged
        try:
            machine = self._parse(self.dsl)
        except LabError as error:
            self._problem(f"meta/{SESSION_KEY}", str(error).splitlines()[0], "session")
            return
        client = self._client(config, machine)
        self._note_refused_llm(refused)
        machine_id = session.machine_id
        if not machine_id:
            self.executor = self._new_executor(machine, client)
            return
        problems = await self._check_run(machine_id)
        if not problems:
            from evomachine.evolution import EvolutionaryExecutor

            try:
                self.executor = await EvolutionaryExecutor.restore(
                    self.storage, machine_id, llm=client, inputs=self.records)
                await self.restore_workspace(machine_id)
            except Exception as error:
                problems = await self.store.damaged_history(machine_id) or [
                    (f"state/{machine_id}",
                     f"cannot be restored ({type(error).__name__}: {error})")]
        for document, what in problems:
            self._problem(document, what, "run", machine_id)

    def _note_refused_llm(self, refused: str | None) -> None:
        if refused:
            self.llm_note = (f"the saved LLM settings were not used ({refused}); the simulated "
                             "LLM answers until you enter yours again")

    async def _session_without_llm(self) -> Any:
        """The stored session read without its LLM settings, when only those are refused
        (``None`` when it is damaged otherwise)."""
        from evomachine.app.schema import check_entry

        try:
            raw = await self.storage.get("meta", SESSION_KEY)
            if not isinstance(raw, dict) or raw.get("llm") is None:
                return None
            return check_entry("meta", SESSION_KEY, {**raw, "llm": None})
        except Exception:  # unreadable, or damaged beyond its LLM settings
            return None

    async def _check_run(self, machine_id: str) -> list[tuple[str, str]]:
        """What is wrong with the saved run of ``machine_id`` (its state and history index)."""
        from evomachine.app.schema import missing_history

        doc, problem = await self.store.read_checked("state", machine_id)
        if problem:
            return [(f"state/{machine_id}", problem)]
        if doc is None:
            return [(f"state/{machine_id}", f"is missing: the saved run of machine "
                     f"{machine_id!r} is gone")]
        present = set(await self.storage.keys(keys.HISTORY, keys.history_prefix(machine_id)))
        return missing_history(machine_id, doc, present)

    def _problem(self, document: str, problem: str, fix: str,
                 machine_id: str | None = None) -> None:
        self.problems.append({"document": document, "problem": problem, "fix": fix,
                              "machine_id": machine_id})

    async def repair(self) -> str:
        """Drop the damaged documents :attr:`problems` names (only those) and restore again.

        A damaged session is deleted (no machine is loaded afterwards); a damaged
        data set is deleted (the machine stays, with no records); a damaged or
        missing saved run is deleted with its history records, and the machine
        starts again from its first step. Versions and patterns stay.
        """
        from evomachine.storage import DELETE

        if not self.problems:
            return await self.state()
        fixes = {p["fix"] for p in self.problems}
        runs = sorted({p["machine_id"] for p in self.problems if p["fix"] == "run"})
        ops: list[tuple[str, str, Any]] = []
        if "session" in fixes:
            ops.append(("meta", SESSION_KEY, DELETE))
        else:
            session = dict(await self.storage.get("meta", SESSION_KEY) or {})
            if "dataset" in fixes:
                ops.append(("meta", DATASET_KEY, DELETE))
                session["dataset"] = dict(EMPTY_DATASET)
            if runs:
                session["machine_id"] = None
            ops.append(("meta", SESSION_KEY, session))
        for machine_id in runs:
            ops += [(keys.STATE, machine_id, DELETE), (keys.META, keys.revision_key(machine_id),
                                                       DELETE)]
            stored = await self.storage.keys(keys.HISTORY, keys.history_prefix(machine_id))
            ops += [(keys.HISTORY, key, DELETE) for key in stored]
        await self.storage.write_batch(ops)
        await self._reset_memory()
        await self._restore()
        return await self.state()

    async def _reset_memory(self) -> None:
        """Drop what is loaded; the LLM settings (and a key given this session) stay. Requests
        the dropped executor sent ahead and that have not finished are cancelled."""
        if self.executor is not None:
            self.executor.prefetch.cancel_unfinished()
        self.executor, self.dsl, self.example = None, "", None
        self.records, self.series = [], SeriesBook()
        self.problems = []
        self._stamp = None
        self.dataset = dict(EMPTY_DATASET)
        self.last_run_at = None
