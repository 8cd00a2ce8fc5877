"""A run to share: one self-contained HTML file (stages, charts, per-task tables, code).

:func:`report_context` gathers what the report shows from an
:class:`~evomachine.evolution.EvolutionaryExecutor`; :func:`render_html` fills
``templates/report.html.j2`` with it. The file needs nothing else: CSS sits in
a ``<style>``, charts are inline SVG computed here, and there is no script.
Everything from the run (machine title, inputs, outputs, generated code) is
hostile text: the template autoescapes it, and a Content-Security-Policy
``<meta>`` forbids scripts and fetches in case anything slipped through.
"""

from __future__ import annotations

import functools
import itertools
import json
from datetime import UTC, datetime
from importlib import resources
from typing import Any

import jinja2

CHART_W, CHART_H, PAD = 560, 150, 28
MAX_POINTS = 60  # buckets a chart derived from the history shows
RECENT_ROWS = 20  # executions a task's table shows, newest first
SHORT = 120  # characters of an input or output a table cell shows
MAX_CODE = 200_000  # characters of a task's generated code the report holds


@functools.cache
def environment() -> jinja2.Environment:
    """The report's template environment: autoescaped, strict about missing names."""
    folder = resources.files("evomachine").joinpath("templates")
    source = folder.joinpath("report.html.j2").read_text(encoding="utf-8")
    env = jinja2.Environment(
        loader=jinja2.DictLoader({"report.html.j2": source}),
        undefined=jinja2.StrictUndefined,
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["pct"] = lambda v: "—" if v is None else f"{100 * float(v):.1f}%"
    env.filters["money"] = lambda v: "—" if v is None else f"${float(v):.4f}"
    return env


def short(value: Any) -> str:
    """``value`` as one line of text, cut to :data:`SHORT` characters."""
    if value is None:
        return ""
    text = value if isinstance(value, str) else json.dumps(value, default=str, sort_keys=True)
    return text if len(text) <= SHORT else text[: SHORT - 1] + "…"


def when(timestamp: Any) -> str:
    """A mutation's time as UTC text (``""`` when it has none)."""
    try:
        return datetime.fromtimestamp(float(timestamp), tz=UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    except (TypeError, ValueError, OverflowError, OSError):
        return ""


def history_points(records: list[Any]) -> tuple[list[list[Any]], list[dict[str, Any]]]:
    """Chart points ``[executions, None, llm_call_rate, accuracy]`` and stage changes.

    Derived from a task's kept executions (oldest first) in up to
    :data:`MAX_POINTS` buckets: the share answered by the LLM and, where the
    truth is known, the share correct. Stage changes are where the recorded
    stage differs from the previous record's.
    """
    points: list[list[Any]] = []
    changes: list[dict[str, Any]] = []
    if not records:
        return points, changes
    size = max(1, -(-len(records) // MAX_POINTS))
    for start in range(0, len(records), size):
        bucket = records[start:start + size]
        llm = sum(1 for r in bucket if r.answered_by == "llm") / len(bucket)
        judged = [r for r in bucket if r.expected is not None]
        correct = (sum(1 for r in judged if r.output == r.expected) / len(judged)
                   if judged else None)
        points.append([bucket[-1].seq, None, llm, correct])
    for before, after in itertools.pairwise(records):
        if after.stage != before.stage:
            changes.append({"at": after.seq, "from": before.stage, "to": after.stage})
    return points, changes


def chart(points: list[list[Any]], changes: list[dict[str, Any]],
          lines: tuple[tuple[int, str, str], ...]) -> dict[str, Any]:
    """Coordinates of an SVG chart: rates in [0, 1] against executions, stage changes as rules.

    ``lines`` is ``(point column, label, css class)`` per polyline.
    """
    xs = [float(p[0]) for p in points] + [float(c["at"]) for c in changes]
    low, high = (min(xs), max(xs)) if xs else (0.0, 1.0)
    span = (high - low) or 1.0

    def x(value: float) -> float:
        return round(PAD + (value - low) / span * (CHART_W - 2 * PAD), 1)

    def y(value: float) -> float:
        return round(CHART_H - PAD - max(0.0, min(1.0, value)) * (CHART_H - 2 * PAD), 1)

    series = []
    for column, label, css in lines:
        coords = [f"{x(float(p[0]))},{y(float(p[column]))}" for p in points
                  if p[column] is not None]
        if coords:
            series.append({"label": label, "css": css, "points": " ".join(coords)})
    return {"width": CHART_W, "height": CHART_H, "pad": PAD, "series": series,
            "top": y(1.0), "bottom": y(0.0), "left": PAD, "right": CHART_W - PAD,
            "low": int(low), "high": int(high),
            "rules": [{"x": x(float(c["at"])), "to": str(c["to"]), "at": int(c["at"])}
                      for c in changes]}


def task_section(executor: Any, name: str, saved: dict[str, Any] | None) -> dict[str, Any]:
    """One task's metrics, chart, newest executions and generated code."""
    metrics = executor.task_metrics(name)
    state = executor.tasks[name]
    history = executor.histories.get(name)
    records = sorted(history.recent, key=lambda r: r.seq) if history is not None else []
    if saved and saved.get("points"):
        points, changes = saved["points"], saved.get("changes", [])
        lines = ((2, "LLM-call rate", "llm"), (3, "agreement", "agree"))
        source = "sampled over the whole run"
    else:
        points, changes = history_points(records)
        lines = ((2, "LLM-call rate", "llm"), (3, "accuracy", "agree"))
        source = f"over the {len(records)} newest executions kept"
    rows = [{"seq": r.seq, "stage": r.stage, "by": r.answered_by, "input": short(r.input),
             "output": short(r.output), "expected": short(r.expected),
             "correct": None if r.expected is None else r.output == r.expected,
             "error": short(r.error)} for r in reversed(records[-RECENT_ROWS:])]
    perf = metrics.get("performance_metrics", {})
    code, code_cut = state.code, None
    if code and len(code) > MAX_CODE:  # a big lookup table: the page's .py download has it all
        code, code_cut = code[:MAX_CODE], len(code)
    return {
        "name": name, "stage": state.stage, "metrics": metrics, "rows": rows,
        "executions": metrics.get("execution_count", 0), "cost": perf.get("total_cost"),
        "chart": chart(points, changes, lines), "chart_source": source, "code": code,
        "code_cut": code_cut,
        "code_name": f"{executor.machine_id}_{name}_{state.version_name or 'v0'}.py",
    }


def mutation_row(mutation: dict[str, Any]) -> dict[str, Any]:
    """One row of "Stages over time": a stage change, or what else happened (a roll back, a
    pattern imported), said in the Why column, with "—" where a column does not apply."""
    data = mutation.get("data") or {}
    kind = mutation.get("type")
    row = {"when": when(mutation.get("timestamp")), "task": data.get("task") or "—",
           "from": "—", "to": "—", "reason": data.get("reason", "")}
    if kind == "task_evolution":
        return {**row, "from": data.get("from_stage"), "to": data.get("to_stage")}
    if kind == "rollback":
        return {**row, "reason": f"rolled back to version {data.get('to_version')}"}
    if kind == "pattern_import":
        return {**row, "to": data.get("installed_stage") or "—",
                "reason": f"imported pattern {data.get('pattern')} {data.get('version')}"}
    return {**row, "reason": row["reason"] or str(kind)}


def report_context(executor: Any, series: dict[str, Any] | None = None,
                   run: dict[str, Any] | None = None) -> dict[str, Any]:
    """What the report shows. ``series`` is the lab's sampled chart series per task
    (:meth:`evomachine.app.series.SeriesBook.export`); without it charts come from
    the kept history. ``run`` holds extra facts as ``{label: value}`` (steps, LLM)."""
    from evomachine import __version__

    mutations = [mutation_row(m) for m in executor.get_mutations()]
    tasks = [task_section(executor, name, (series or {}).get(name)) for name in executor.tasks]
    facts = {label: ", ".join(f"{k}: {v}" for k, v in value.items())
             if isinstance(value, dict) else value for label, value in (run or {}).items()}
    return {"title": executor.machine.title, "machine_id": executor.machine_id,
            "version": __version__, "run": facts, "mutations": mutations,
            "tasks": tasks}


def render_html(executor: Any, series: dict[str, Any] | None = None,
                run: dict[str, Any] | None = None) -> str:
    """The whole report as one HTML document."""
    context = report_context(executor, series, run)
    return environment().get_template("report.html.j2").render(**context)
