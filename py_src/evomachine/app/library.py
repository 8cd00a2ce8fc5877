"""The lab's versions (save, list, diff, rollback) and pattern library, mixed into ``Lab``.

Both live in :mod:`evomachine.persistence`; these methods add what the page
needs on top: per-version DSL text and chart series (so a rollback restores
them), compact per-task summaries to list and diff, and JSON for the page.
"""

from __future__ import annotations

from typing import Any

from evomachine.app.errors import LabError
from evomachine.app.lab_state import LabState
from evomachine.app.series import SeriesBook
from evomachine.app.views import dumps, flatten_diff, version_summary


class LibraryMixin(LabState):
    """Versions and patterns of ``self.executor`` in ``self.storage`` (see ``Lab``)."""

    def _persistence(self) -> Any:
        from evomachine.persistence import MachinePersistence

        return MachinePersistence(self.storage)

    async def _versions(self) -> list[dict[str, Any]]:
        ex = self.executor
        infos = await self._persistence().list_versions(ex.machine_id)
        head = await self._persistence().head(ex.machine_id)
        ran = {task: m.get("execution_count") for task, m in ex.get_task_metrics().items()}

        def at(info: Any) -> bool:  # the machine is where this version left it: no step since
            saved = {task: (m or {}).get("executions") for task, m in info.metrics.items()}
            return info.id == head and saved == ran

        return [{**info.model_dump(mode="json"), "head": info.id == head, "at": at(info)}
                for info in infos]

    async def save_version(self, label: str | None = None) -> str:
        """Save the executor as a new version; returns ``{id, versions}``."""
        ex = self._require()
        summary = version_summary(ex.get_task_metrics())
        version = await self._persistence().save_version(ex, ex.machine_id, summary,
                                                          label=label or None)
        await self.store.save_version_extra(ex.machine_id, version,
                                            {"dsl": self.dsl, "series": self.series.export()})
        await self.persist()
        return dumps({"id": version, "versions": await self._versions()})

    async def rollback(self, version: str) -> str:
        """Go back to ``version``: stages, code, history, position and charts."""
        from evomachine.persistence import VersionDamagedError, VersionNotFoundError

        ex = self._require()
        try:
            await self._persistence().rollback(ex, ex.machine_id, version)
        except (VersionNotFoundError, VersionDamagedError) as error:
            raise LabError(str(error)) from None
        ex.set_inputs(self.records, skip=ex.input_cursor)
        extra = await self.store.load_version_extra(ex.machine_id, version) or {}
        if extra.get("dsl"):
            self.dsl = extra["dsl"]
        else:
            from evomachine.dsl import format_machine

            self.dsl = format_machine(ex.machine)
        self.series = SeriesBook.from_export(extra.get("series"))
        await self.persist()
        return await self.state()

    async def diff(self, v1: str, v2: str) -> str:
        """What changed between two versions, as a dump and as table rows."""
        ex = self._require()
        diff = (await self._persistence().diff(ex.machine_id, v1, v2)).model_dump(mode="json")
        return dumps({"diff": diff, "rows": flatten_diff(diff)})

    async def patterns(self, query: str = "") -> str:
        """The pattern library (best matches of ``query`` first), without the code; with a
        machine loaded, each says which of its tasks it ``fits`` (can be imported into)."""
        if not await self.storage.keys("patterns"):
            return "[]"  # and persistence (pydantic) stays unloaded on a first visit
        from evomachine.persistence import PatternLibrary

        library = PatternLibrary(self.storage)
        found = await (library.search(query) if query.strip() else library.list_patterns())
        tasks = self.executor.machine.tasks() if self.executor is not None else None

        def fits(pattern: Any) -> dict[str, Any]:  # nothing loaded: nothing to fit
            return {} if tasks is None else {
                "fits": [t.name for t in tasks if library.misfit(pattern, t) is None]}

        return dumps([p.model_dump(mode="json", exclude={"code"})
                      | {"lines": p.code.count("\n")} | fits(p) for p in found])

    async def save_pattern(self, task: str, name: str, description: str = "") -> str:
        """Keep ``task``'s current code in the pattern library as ``name``."""
        from evomachine.persistence import Pattern, PatternLibrary

        ex = self._require()
        state = ex.tasks.get(task)
        if state is None or not state.code:
            raise LabError(f"task {task!r} has no generated code yet: run until it reaches "
                           "hybrid, then save it as a pattern")
        m = ex.task_metrics(task)
        spec = ex.task_spec(task)
        pattern = Pattern(
            name=name.strip() or f"{ex.machine_id}-{task}", description=description,
            version=state.version_name or "v1", code=state.code,
            performance_metrics={
                "avg_execution_time_ms": m["performance_metrics"]["avg_execution_time_ms"],
                "success_rate": m["success_rate"],
                "cost_per_execution": m["performance_metrics"]["cost_per_execution"],
                "execution_count": m["execution_count"]},
            trained_on={"machine_id": ex.machine_id, "task_name": task,
                        "training_samples": ex.histories[task].seen},
            output_schema=spec.schema, stage=state.stage, synthesizer=state.synthesizer)
        saved = await PatternLibrary(self.storage).save_pattern(pattern)
        return dumps(saved.model_dump(mode="json", exclude={"code"}))

    async def import_pattern(self, name: str, task: str, version: str | None = None) -> str:
        """Install a pattern's code into ``task`` (re-checked on the task's own history)."""
        from evomachine.persistence import PatternLibrary, PatternNotFoundError

        ex = self._require()
        try:
            result = await PatternLibrary(self.storage).import_pattern(ex, name, task, version)
        except (PatternNotFoundError, ValueError) as error:
            raise LabError(str(error)) from None
        self.series.task(task).observe_stage(ex.stages()[task], ex.histories[task].seen)
        await self.persist()
        return dumps(result)

