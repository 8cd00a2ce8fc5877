"""Warnings on a machine that parses: task attributes that would do nothing as written, and
answers a task may give that no edge takes.

A task's attributes override its evolution policy by name (``EvolutionPolicy.for_task``),
so a misspelt one (``max_disagrement``) or one that 0.2's error budget replaced
(``hybrid_min_heldout``) is silently ignored and the task runs with the defaults. These are
warnings, not errors: the machine loads and runs. Other names (a ``description``, your own
metadata) are left alone unless they are one typo away from a name the engine reads.
"""

from __future__ import annotations

from difflib import get_close_matches

from ..model import MachineData
from .errors import Problem
from .source_map import SourceMap

#: Attributes the engine reads on a node, besides every ``EvolutionPolicy`` field.
NODE_ATTRIBUTES = ("prompt", "output", "evolution_stage", "code_path", "model", "max_tokens",
                   "ground_truth", "source")


def read_attributes() -> frozenset[str]:
    """Every attribute name the engine reads on a task."""
    from evomachine.evolution.policy import EvolutionPolicy

    return frozenset((*NODE_ATTRIBUTES, *EvolutionPolicy.model_fields))


def attribute_hints(machine: MachineData, source_map: SourceMap | None = None,
                    text: str | None = None) -> list[Problem]:
    """One warning per task attribute that has no effect: retired in 0.2, or a typo. With
    the machine's ``text``, each sits on the attribute's name, else on its value."""
    from evomachine.evolution.policy import RETIRED

    known = read_attributes()
    lines = text.splitlines() if text is not None else []
    nodes = list(machine.iter_nodes())
    spans = source_map.nodes if source_map and len(source_map.nodes) == len(nodes) else None
    hints: list[Problem] = []
    for index, node in enumerate(nodes):
        if node.kind != "task":
            continue
        for name in node.attributes:
            if name in known:
                continue
            if name in RETIRED:
                message = (f"'{name}' has no effect since 0.2: the task's error budget "
                           "max_disagreement (the disagreement with the LLM it accepts, "
                           "default 0.1) decides instead")
            elif close := get_close_matches(name, known, n=1, cutoff=0.85):
                message = f"unknown attribute '{name}' has no effect: did you mean '{close[0]}'?"
            else:
                continue
            span = spans[index] if spans else None
            line, column = span.attributes.get(name, span.position) if span else (0, 0)
            if 0 < line <= len(lines) and (found := lines[line - 1].rfind(name, 0, column)) >= 0:
                column = found + 1
            hints.append(Problem(line, column, f"{message} (task '{node.name}')"))
    return hints


def edge_hints(machine: MachineData, source_map: SourceMap | None = None) -> list[Problem]:
    """One warning per task whose declared answers (``output<"a" | "b">``) include some no edge
    leaving it takes, with no unlabelled edge to take the rest: such an answer stops the run
    ("no outgoing edge matches"). A task with no edge at all ends the machine: no warning."""
    nodes = list(machine.iter_nodes())
    spans = source_map.nodes if source_map and len(source_map.nodes) == len(nodes) else None
    hints: list[Problem] = []
    for index, node in enumerate(nodes):
        attribute = node.attributes.get("output") if node.kind == "task" else None
        answers = attribute.type.literals if attribute is not None and attribute.type else []
        labels = [edge.label for edge in machine.edges if edge.source == node.name]
        if not answers or not labels or None in labels:
            continue
        untaken = [answer for answer in answers if answer not in labels]  # literals are str
        if untaken:
            line, column = spans[index].position if spans else (0, 0)
            hints.append(Problem(line, column, (
                f"task '{node.name}' can answer {', '.join(map(repr, untaken))}, but no edge "
                f"leaving it is labelled so and none is unlabelled: that answer stops the run")))
    return hints


def text_hints(text: str) -> list[Problem]:
    """:func:`attribute_hints` and :func:`edge_hints` of a machine's text, placed at line and
    column (none when the text does not parse: its errors say more)."""
    from .errors import DSLError
    from .parser import parse_document

    try:
        machine, source_map = parse_document(text)
    except DSLError:
        return []
    return attribute_hints(machine, source_map, text) + edge_hints(machine, source_map)
