"""Two saved versions side by side, per task: the figures each kept and its chart series.

Mixed into ``Lab``. A version keeps a summary per task when it is saved
(:func:`evomachine.app.views.version_summary`: stage, executions, LLM-call rate,
agreement, accuracy, cost) and the page's chart series beside it; this puts
them next to each other so the page can show a table and overlaid charts.
Versions are named by their label (else when they were saved), never by id alone.
"""

from __future__ import annotations

import time
from typing import Any

from evomachine.app.errors import LabError
from evomachine.app.lab_state import LabState
from evomachine.app.views import dumps

FIGURES = ("stage", "executions", "llm_call_rate", "agreement", "accuracy", "total_cost",
           "cost_per_execution")


def version_name(info: dict[str, Any]) -> str:
    """A version's label, else when it was saved (UTC), for people."""
    if info.get("label"):
        return str(info["label"])
    saved = info.get("created_at")
    if isinstance(saved, int | float):
        return "saved " + time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(saved))
    return f"version …{str(info.get('id', ''))[-6:]}"


class CompareMixin(LabState):
    """``compare`` for the page (see ``Lab``)."""

    async def compare(self, v1: str, v2: str) -> str:
        """``{a, b, tasks: {task: {a, b}}, series: {task: {a, b}}}`` for versions ``v1``, ``v2``.

        ``a``/``b`` are ``{id, name, created_at}``; a task's figures are ``None`` in a
        version that did not have the task; ``series`` holds each version's chart points.
        """
        ex = self._require()
        versions = {v["id"]: v for v in await self._versions()}
        missing = [v for v in (v1, v2) if v not in versions]
        if missing:
            raise LabError(f"no saved version {missing[0]!r} of {ex.machine_id!r}")
        infos = [versions[v1], versions[v2]]
        extras = [await self.store.load_version_extra(ex.machine_id, v) or {} for v in (v1, v2)]
        names = list(dict.fromkeys([*infos[0].get("metrics", {}), *infos[1].get("metrics", {})]))
        tasks = {}
        series = {}
        for task in names:
            pair = [info.get("metrics", {}).get(task) for info in infos]
            tasks[task] = {side: ({k: figures.get(k) for k in FIGURES} if figures else None)
                           for side, figures in zip("ab", pair, strict=True)}
            series[task] = {side: ((extra.get("series") or {}).get(task) or {}).get("points") or []
                            for side, extra in zip("ab", extras, strict=True)}
        return dumps({
            **{side: {"id": info["id"], "name": version_name(info),
                      "created_at": info.get("created_at")}
               for side, info in zip("ab", infos, strict=True)},
            "tasks": tasks, "series": series,
        })
