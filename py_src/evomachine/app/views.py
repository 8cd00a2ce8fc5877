"""Plain-JSON views of the lab for the page: machine graph, task cards, code, versions."""

from __future__ import annotations

import json
import math
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from evomachine.model import MachineData


def dumps(value: Any) -> str:
    """JSON for the page: non-finite floats become ``null``, unknown objects their ``str``."""
    return json.dumps(_finite(value), default=_default, ensure_ascii=False, allow_nan=False)


def _default(value: Any) -> Any:
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json")
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    return str(value)


def _finite(value: Any) -> Any:
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(k): _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value


def machine_graph(machine: MachineData) -> dict[str, Any]:
    """Nodes (name, type, kind, title) and edges (source, target, label) for the diagram."""
    return {
        "title": machine.title,
        "nodes": [{"name": n.name, "type": n.type, "kind": n.kind, "title": n.title}
                  for n in machine.iter_nodes() if n.kind != "note"],
        "edges": [{"source": e.source, "target": e.target, "label": e.label}
                  for e in machine.edges],
    }




#: At most this many node names go to the editor (a pasted 7 MB machine has 80,000).
MAX_NODE_NAMES = 2000


def dsl_names(machine: MachineData | None) -> dict[str, list[str]]:
    """Names the editor completes: the machine's nodes (the first :data:`MAX_NODE_NAMES`), and
    attribute names the engine reads or the machine uses (``machine`` is None when the text
    does not parse)."""
    from evomachine.dsl.hints import read_attributes

    attributes = set(read_attributes())
    nodes: list[str] = []
    if machine is not None:
        for node in machine.iter_nodes():
            if len(nodes) < MAX_NODE_NAMES:
                nodes.append(node.name)
            attributes.update(node.attributes)
    return {"nodes": nodes, "attributes": sorted(attributes)}


def task_card(name: str, metrics: dict[str, Any], state: Any) -> dict[str, Any]:
    """A task's card: its metrics, what its code is and how it was chosen, and why it is there."""
    from evomachine.why import why

    last = getattr(state, "last_synthesis", None) or {}
    return {
        **metrics,
        "task": name,
        "why": why(metrics, last, getattr(state, "policy", None)),
        "code": {
            "version": metrics.get("code_version"),
            "path": metrics.get("code_path"),
            "synthesizer": metrics.get("synthesizer"),
            "heldout_agreement": metrics.get("heldout_agreement"),
            "available": bool(getattr(state, "code", None)),
            "last_synthesis": last,
        },
    }


def version_summary(metrics: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The few numbers a version keeps per task (for listing and diffs)."""
    summary = {}
    for task, m in metrics.items():
        performance = m.get("performance_metrics", {})
        summary[task] = {
            "stage": m.get("stage"),
            "executions": m.get("execution_count"),
            "success_rate": _round(m.get("success_rate")),
            "llm_call_rate": _round(m.get("llm_call_rate")),
            "agreement": _round(m.get("agreement_rate")),
            "cost_per_execution": _round(performance.get("cost_per_execution"), 6),
            "accuracy": _round(m.get("accuracy")),
            "total_cost": _round(performance.get("total_cost"), 6),
            "code_version": m.get("code_version"),
        }
    return summary


def _round(value: Any, digits: int = 4) -> Any:
    return round(value, digits) if isinstance(value, float) else value


def flatten_diff(diff: dict[str, Any]) -> list[dict[str, Any]]:
    """A ``MachineDiff`` dump as rows ``{what, before, after}`` for a simple table."""
    rows: list[dict[str, Any]] = []
    for key in ("nodes_added", "nodes_removed", "edges_added", "edges_removed", "code_changed"):
        for item in diff.get(key) or []:
            rows.append({"what": f"{key.replace('_', ' ')}: {item}", "before": None, "after": None})
    if diff.get("title"):
        rows.append({"what": "title", **diff["title"]})
    for node, change in (diff.get("nodes_changed") or {}).items():
        for attr, value in (change.get("attributes_changed") or {}).items():
            rows.append({"what": f"{node}.{attr}", **value})
        for attr, value in (change.get("attributes_added") or {}).items():
            rows.append({"what": f"{node}.{attr} added", "before": None, "after": value})
        for attr in change.get("attributes_removed") or []:
            rows.append({"what": f"{node}.{attr} removed", "before": None, "after": None})
    for edge, value in (diff.get("edges_changed") or {}).items():
        rows.append({"what": f"edge {edge}", **value})
    for task, value in (diff.get("stages") or {}).items():
        rows.append({"what": f"stage of {task}", **value})
    for task, value in (diff.get("metrics") or {}).items():
        before, after = value.get("before") or {}, value.get("after") or {}
        if isinstance(before, dict) and isinstance(after, dict):
            for field in sorted(before.keys() | after.keys()):
                if before.get(field) != after.get(field):
                    rows.append({"what": f"{task}: {field}", "before": before.get(field),
                                 "after": after.get(field)})
        else:
            rows.append({"what": f"metrics of {task}", "before": before, "after": after})
    return rows
