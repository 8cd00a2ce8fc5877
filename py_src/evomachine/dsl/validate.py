"""Semantic checks on a parsed machine, each problem placed at its source position.

Checks: edge endpoints name declared nodes, node names are unique, an
``evolution_stage`` is one the engine knows, ``llm_threshold`` and
``confidence_threshold`` lie in [0, 1], a ``prompt`` compiles as a jinja2
template (sandboxed environment), and a Task's declared output type uses
string literals or known type names, and ``ground_truth`` says unambiguously
whose truth each field is (:mod:`evomachine.dsl.truth`). ``Note`` nodes are
free text and skipped.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from ..ladder import STAGES
from ..model import Identifier, MachineData, Node
from .errors import Problem
from .source_map import NodeSpan, Position, SourceMap
from .truth import truth_problems

THRESHOLDS = ("llm_threshold", "confidence_threshold")
#: Type names a Task's ``output<...>`` may use besides string literals (case-insensitive).
KNOWN_OUTPUT_TYPES = frozenset(
    (
        "string",
        "str",
        "text",
        "number",
        "int",
        "integer",
        "float",
        "boolean",
        "bool",
        "object",
        "dict",
        "json",
        "list",
        "array",
        "any",
    )
)
_NOWHERE: Position = (0, 0)


def validate_machine(machine: MachineData, source_map: SourceMap | None = None) -> list[Problem]:
    """Every semantic problem in ``machine``; positions come from ``source_map`` when given."""
    nodes = list(machine.iter_nodes())
    spans = source_map.nodes if source_map and len(source_map.nodes) == len(nodes) else None
    edge_spans = (
        source_map.edges if source_map and len(source_map.edges) == len(machine.edges) else None
    )
    problems: list[Problem] = []

    seen: dict[str, Position] = {}
    for i, node in enumerate(nodes):
        where = spans[i].position if spans else _NOWHERE
        if node.name in seen:
            first = seen[node.name]
            at = f" (first declared at line {first[0]})" if first[0] else ""
            problems.append(
                Problem(*where, f"node '{node.name}' is declared twice{at}: rename one")
            )
        else:
            seen[node.name] = where
        if node.kind != "note":
            _check_node(node, spans[i] if spans else None, problems)

    for i, edge in enumerate(machine.edges):
        for role, name in (("source", edge.source), ("target", edge.target)):
            if name not in seen:
                span = edge_spans[i] if edge_spans else None
                where = (span.source if role == "source" else span.target) if span else _NOWHERE
                problems.append(
                    Problem(
                        *where,
                        f"edge {role} '{name}' is not a declared node: "
                        f"declare it (for example 'State {name};') or fix the name",
                    )
                )
    problems.extend(truth_problems(machine, source_map))
    return problems


def _check_node(node: Node, span: NodeSpan | None, problems: list[Problem]) -> None:
    def at(attribute: str) -> Position:
        if span is None:
            return _NOWHERE
        return span.attributes.get(attribute, span.position)

    def add(attribute: str, message: str) -> None:
        problems.append(Problem(*at(attribute), f"{message} (node '{node.name}')"))

    stage = _plain(node, "evolution_stage")
    if stage is not None and stage not in STAGES:
        add("evolution_stage", f"unknown evolution_stage {stage!r}: use one of {', '.join(STAGES)}")

    for name in THRESHOLDS:
        raw = _plain(node, name)
        if raw is not None and not _in_unit_interval(raw):
            add(name, f"{name} must be a number between 0 and 1, got {raw!r}")

    prompt = node.attributes.get("prompt")
    if prompt is not None and prompt.value is not None:
        if not isinstance(prompt.value, str):
            add("prompt", "prompt must be a string (a jinja2 template)")
        else:
            error = template_error(prompt.value)
            if error:
                add("prompt", f"prompt is not a valid template: {error}")

    output = node.attributes.get("output")
    if node.kind == "task" and output is not None and output.type is not None:
        for kind, text in output.type.parts:
            if kind == "name" and text.lower() not in KNOWN_OUTPUT_TYPES:
                add(
                    "output",
                    f"unknown output type '{text}': use string literals such as "
                    f'<"yes" | "no"> or one of {", ".join(sorted(KNOWN_OUTPUT_TYPES))}',
                )


def _plain(node: Node, name: str) -> Any:
    attribute = node.attributes.get(name)
    if attribute is None or attribute.value is None:
        return None
    value = attribute.value
    return value.name if isinstance(value, Identifier) else value


def _in_unit_interval(raw: Any) -> bool:
    if isinstance(raw, bool):
        return False
    if isinstance(raw, str):
        try:
            raw = float(raw.strip())
        except ValueError:
            return False
    if not isinstance(raw, int | float):
        return False
    return 0 <= raw <= 1


@lru_cache(maxsize=512)
def template_error(source: str) -> str | None:
    """Why ``source`` does not compile as a sandboxed jinja2 template, or None if it does."""
    from ..prompt_budget import template_too_long

    if too_long := template_too_long(source):
        return too_long
    if "{" not in source:
        return None  # no jinja syntax at all: nothing can fail
    from jinja2 import TemplateSyntaxError

    from ..nesting import NestingError, check_template

    try:
        environment = template_environment()
        check_template(source, environment)  # deep expressions exhaust Pyodide's stack
        environment.compile(source)
    except NestingError as error:
        return str(error)
    except TemplateSyntaxError as error:
        return f"{error.message} (template line {error.lineno})"
    except Exception as error:  # jinja can fail in other ways on odd input; report, never crash
        return f"{type(error).__name__}: {error}"
    return None


@lru_cache(maxsize=1)
def template_environment() -> Any:
    """The sandboxed environment prompts are checked (and parsed for their fields) with."""
    from jinja2.sandbox import SandboxedEnvironment

    return SandboxedEnvironment()
