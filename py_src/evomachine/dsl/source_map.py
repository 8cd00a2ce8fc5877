"""Source positions of a parsed machine, kept beside the model so ``==`` is unaffected."""

from __future__ import annotations

from dataclasses import dataclass, field

#: A 1-based (line, column) pair; (0, 0) when unknown.
Position = tuple[int, int]


@dataclass
class NodeSpan:
    """Where a node and its attributes were written (line, column pairs)."""

    name: str
    position: Position
    attributes: dict[str, Position] = field(default_factory=dict)


@dataclass
class EdgeSpan:
    source: Position
    target: Position


@dataclass
class SourceMap:
    """Source positions kept beside the model so ``==`` on models is unaffected.

    ``nodes`` follows :meth:`MachineData.iter_nodes` order; ``edges`` follows
    ``machine.edges``.
    """

    nodes: list[NodeSpan] = field(default_factory=list)
    edges: list[EdgeSpan] = field(default_factory=list)
