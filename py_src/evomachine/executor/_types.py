"""What the executor returns and the per-task setup it compiles once."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from evomachine.llm.answers import output_schema_for
from evomachine.model import Edge, Node
from evomachine.prompts import Prompt, compile_prompt


class ExecutionError(RuntimeError):
    """The machine cannot go on from ``node`` (no edge fits, unknown node or task)."""

    def __init__(self, node: str | None, message: str):
        super().__init__(message)
        self.node = node


@dataclass(frozen=True, slots=True)
class StepResult:
    """One step: the node that ran, what it produced and where the machine goes next.

    ``next`` is ``None`` when the machine halted after this step. ``error`` is
    the reason a task execution failed (the machine then moved on as
    documented in :meth:`MachineExecutor.step`).
    """

    node: str
    output: Any
    next: str | None
    error: str | None = None


@dataclass(frozen=True, slots=True)
class TaskResult:
    """``confidence`` is the code's calibrated confidence, ``None`` for the LLM."""

    output: Any
    confidence: float | None
    used_llm: bool
    stage: str
    latency_ms: float
    cost: float
    success: bool = True
    error: str | None = None


@dataclass(slots=True)
class TaskSpec:
    """A task's compiled setup: prompt template, output schema, model options."""

    name: str
    node: Node
    prompt: Prompt
    schema: dict[str, Any] | None
    model: str | None
    max_tokens: int | None

    @classmethod
    def from_node(cls, node: Node) -> TaskSpec:
        max_tokens = node.attr("max_tokens")
        model = node.attr("model")
        return cls(
            name=node.name,
            node=node,
            prompt=compile_prompt(node.name, node.attr("prompt")),
            schema=output_schema_for(node),
            model=str(model) if model is not None else None,
            max_tokens=int(max_tokens) if isinstance(max_tokens, int | float) else None,
        )


def label_of(output: Any) -> str | None:
    """The edge label an output selects: strings as they are, other JSON values as JSON."""
    if output is None:
        return None
    if isinstance(output, str):
        return output
    try:
        return json.dumps(output, sort_keys=True)
    except (TypeError, ValueError):
        return str(output)


def choose_edge(node: Node, edges: list[Edge], output: Any) -> Edge | None:
    """The edge to follow from ``node`` after it produced ``output``.

    The first edge whose label equals the output wins, else the first
    unlabelled edge; a non-task node with a single edge follows it whatever
    its label. No edge at all means the machine halts (``None``). Anything
    else raises :class:`ExecutionError` naming the node, the output and the
    labels on offer.
    """
    if not edges:
        return None
    label = label_of(output)
    if label is not None:
        for edge in edges:
            if edge.label == label:
                return edge
    for edge in edges:
        if edge.label is None:
            return edge
    if node.kind != "task" and len(edges) == 1:
        return edges[0]
    labels = ", ".join(repr(e.label) for e in edges)
    raise ExecutionError(
        node.name,
        f"node {node.name!r}: no outgoing edge matches output {output!r} "
        f"(edge labels: {labels}); add an edge labelled {label!r} or an unlabelled edge",
    )
