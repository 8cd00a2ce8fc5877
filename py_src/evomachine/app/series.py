"""Chart series over executions, sampled as a run goes: one point every few executions.

A point is ``[executions, cost_per_execution, llm_call_rate, agreement,
llm_only_cost_per_execution]`` where cost, LLM-call rate and what the same
executions would have cost with the LLM answering each are measured over the
interval since the previous point (so a stage change shows as a step, not a slow
drift of a running mean) and agreement is the executor's measured agreement
window (``None`` before checks). Points saved before the last column existed
have four.
Series stay bounded: past ``max_points`` every other point is dropped and the
sampling interval doubles.
"""

from __future__ import annotations

from typing import Any

MAX_POINTS = 400
FIRST_EVERY = 5


class TaskSeries:
    """One task's points and stage changes."""

    def __init__(self, every: int = FIRST_EVERY, max_points: int = MAX_POINTS):
        self.every = every
        self.max_points = max_points
        self.points: list[list[Any]] = []
        self.changes: list[dict[str, Any]] = []
        self.last: dict[str, Any] = {"executions": 0, "cost": 0.0, "llm_calls": 0,
                                       "llm_only": 0.0}
        self.stage: str | None = None

    def due(self, executions: int) -> bool:
        return executions - self.last["executions"] >= self.every

    def sample(self, metrics: dict[str, Any]) -> None:
        """Add a point from a task's ``get_task_metrics()`` entry."""
        executions = int(metrics["execution_count"])
        cost = float(metrics["performance_metrics"]["total_cost"])
        calls = int(metrics["llm_calls"])
        span = executions - self.last["executions"]
        if span <= 0:
            return
        agreement = metrics.get("agreement_rate")
        # priced as each execution ran, where the engine keeps it: a refitted price must not
        # re-price the executions of earlier intervals into this one
        estimate = metrics.get("llm_only_cost_accrued", metrics.get("llm_only_cost_estimate"))
        llm_only = float(estimate) if estimate is not None else None
        before = self.last.get("llm_only")  # None: unknown (a series saved before it was kept)
        self.points.append([
            executions,
            (cost - self.last["cost"]) / span,
            (calls - self.last["llm_calls"]) / span,
            None if agreement is None else round(float(agreement), 4),
            None if llm_only is None or before is None else (llm_only - before) / span,
        ])
        self.last = {"executions": executions, "cost": cost, "llm_calls": calls,
                     "llm_only": llm_only}
        if len(self.points) > self.max_points:
            self.points = self.points[1::2] if len(self.points) % 2 == 0 else self.points[::2]
            self.every *= 2

    def observe_stage(self, stage: str, executions: int) -> None:
        """Record a stage change at ``executions`` (the first stage seen is not a change)."""
        if self.stage is not None and stage != self.stage:
            self.changes.append({"at": executions, "from": self.stage, "to": stage})
        self.stage = stage

    def export(self) -> dict[str, Any]:
        return {"every": self.every, "points": self.points, "changes": self.changes,
                "last": self.last, "stage": self.stage}

    @classmethod
    def from_export(cls, data: dict[str, Any]) -> TaskSeries:
        series = cls(int(data.get("every", FIRST_EVERY)))
        series.points = [list(p) for p in data.get("points", [])]
        series.changes = [dict(c) for c in data.get("changes", [])]
        saved = data.get("last", {})
        series.last = {**series.last, **saved}
        if "llm_only" not in saved:  # saved before it was kept: the next interval has none
            series.last["llm_only"] = None
        series.stage = data.get("stage")
        return series


class SeriesBook:
    """Series of every task of the loaded machine."""

    def __init__(self) -> None:
        self.tasks: dict[str, TaskSeries] = {}

    def task(self, name: str) -> TaskSeries:
        if name not in self.tasks:
            self.tasks[name] = TaskSeries()
        return self.tasks[name]

    def export(self) -> dict[str, Any]:
        return {name: series.export() for name, series in self.tasks.items()}

    @classmethod
    def from_export(cls, data: dict[str, Any] | None) -> SeriesBook:
        book = cls()
        for name, saved in (data or {}).items():
            book.tasks[name] = TaskSeries.from_export(saved)
        return book
