"""What changed between two saved versions: machine structure, stages, code, metrics."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from ..model import Edge, MachineData, Node


class Change(BaseModel):
    """A value that differs: ``before`` in the first version, ``after`` in the second."""

    before: Any = None
    after: Any = None


class NodeChange(BaseModel):
    type: Change | None = None
    title: Change | None = None
    attributes_added: dict[str, Any] = Field(default_factory=dict)
    attributes_removed: list[str] = Field(default_factory=list)
    attributes_changed: dict[str, Change] = Field(default_factory=dict)
    annotations: Change | None = None


class MachineDiff(BaseModel):
    """The difference from version ``from_version`` to version ``to_version``."""

    from_version: str
    to_version: str
    title: Change | None = None
    nodes_added: list[str] = Field(default_factory=list)
    nodes_removed: list[str] = Field(default_factory=list)
    nodes_changed: dict[str, NodeChange] = Field(default_factory=dict)
    edges_added: list[str] = Field(default_factory=list)
    edges_removed: list[str] = Field(default_factory=list)
    edges_changed: dict[str, Change] = Field(default_factory=dict)
    stages: dict[str, Change] = Field(default_factory=dict)
    code_changed: list[str] = Field(default_factory=list)
    metrics: dict[str, Change] = Field(default_factory=dict)

    @property
    def is_empty(self) -> bool:
        return not any(getattr(self, name) for name in type(self).model_fields
                       if name not in ("from_version", "to_version"))


def _task_states(state: dict[str, Any]) -> dict[str, dict[str, Any]]:
    tasks = state.get("tasks")
    if not isinstance(tasks, dict):
        return {}
    return {str(name): value for name, value in tasks.items() if isinstance(value, dict)}


def stages_of(state: dict[str, Any]) -> dict[str, str]:
    """Task → stage from an executor snapshot.

    Reads ``stages`` (task → name or ``{"stage": ...}``), else ``tasks[*].stage``,
    else the tasks' ``evolution_stage`` attributes in the snapshot's machine.
    """
    stages = state.get("stages")
    found: dict[str, str] = {}
    if isinstance(stages, dict):
        for task, value in stages.items():
            stage = value.get("stage") if isinstance(value, dict) else value
            if isinstance(stage, str):
                found[str(task)] = stage
    if not found:
        found = {name: value["stage"] for name, value in _task_states(state).items()
                 if isinstance(value.get("stage"), str)}
    if not found and isinstance(state.get("machine"), dict):
        machine = MachineData.model_validate(state["machine"])
        for node in machine.tasks():
            found[node.name] = str(node.attr("evolution_stage", "llm_only"))
    return found


def code_of(state: dict[str, Any]) -> dict[str, Any]:
    """Task (or path) → generated code from a snapshot (``code`` or ``tasks[*].code``)."""
    code = state.get("code")
    if isinstance(code, dict):
        return dict(code)
    return {name: value.get("code") for name, value in _task_states(state).items()
            if value.get("code") is not None}


def edge_label(edge: Edge) -> str:
    """``source -label-> target`` (``source -> target`` without a label)."""
    middle = f" -{edge.label}-> " if edge.label is not None else " -> "
    return f"{edge.source}{middle}{edge.target}"


def _dump(value: Any) -> Any:
    return value.model_dump(mode="json") if isinstance(value, BaseModel) else value


def _node_change(a: Node, b: Node) -> NodeChange | None:
    change = NodeChange()
    if a.type != b.type:
        change.type = Change(before=a.type, after=b.type)
    if a.title != b.title:
        change.title = Change(before=a.title, after=b.title)
    for name in b.attributes.keys() - a.attributes.keys():
        change.attributes_added[name] = _dump(b.attributes[name])
    change.attributes_removed = sorted(a.attributes.keys() - b.attributes.keys())
    for name in sorted(a.attributes.keys() & b.attributes.keys()):
        if a.attributes[name] != b.attributes[name]:
            change.attributes_changed[name] = Change(before=_dump(a.attributes[name]),
                                                     after=_dump(b.attributes[name]))
    if a.annotations != b.annotations:
        change.annotations = Change(before=[_dump(x) for x in a.annotations],
                                    after=[_dump(x) for x in b.annotations])
    return change if change != NodeChange() else None


def _machine_diff(diff: MachineDiff, a: MachineData, b: MachineData) -> None:
    if a.title != b.title:
        diff.title = Change(before=a.title, after=b.title)
    nodes_a = {n.name: n for n in a.iter_nodes()}
    nodes_b = {n.name: n for n in b.iter_nodes()}
    diff.nodes_added = sorted(nodes_b.keys() - nodes_a.keys())
    diff.nodes_removed = sorted(nodes_a.keys() - nodes_b.keys())
    for name in sorted(nodes_a.keys() & nodes_b.keys()):
        change = _node_change(nodes_a[name], nodes_b[name])
        if change is not None:
            diff.nodes_changed[name] = change
    edges_a = {edge_label(e): e for e in a.edges}
    edges_b = {edge_label(e): e for e in b.edges}
    diff.edges_added = sorted(edges_b.keys() - edges_a.keys())
    diff.edges_removed = sorted(edges_a.keys() - edges_b.keys())
    for name in sorted(edges_a.keys() & edges_b.keys()):
        if edges_a[name] != edges_b[name]:
            diff.edges_changed[name] = Change(before=_dump(edges_a[name]),
                                              after=_dump(edges_b[name]))


def _changed(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Change]:
    return {k: Change(before=a.get(k), after=b.get(k))
            for k in sorted(a.keys() | b.keys()) if a.get(k) != b.get(k)}


def diff_states(from_version: str, to_version: str, a: dict[str, Any], b: dict[str, Any],
                metrics_a: dict[str, Any] | None = None,
                metrics_b: dict[str, Any] | None = None) -> MachineDiff:
    """Compare two executor snapshots (``export_state`` dicts)."""
    diff = MachineDiff(from_version=from_version, to_version=to_version)
    if isinstance(a.get("machine"), dict) and isinstance(b.get("machine"), dict):
        _machine_diff(diff, MachineData.model_validate(a["machine"]),
                      MachineData.model_validate(b["machine"]))
    diff.stages = _changed(stages_of(a), stages_of(b))
    code_a, code_b = code_of(a), code_of(b)
    diff.code_changed = sorted(k for k in code_a.keys() | code_b.keys()
                               if code_a.get(k) != code_b.get(k))
    diff.metrics = _changed(metrics_a or {}, metrics_b or {})
    return diff
