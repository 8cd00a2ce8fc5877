"""Which record field is the ground truth of which task.

A machine says it in one of three ways (they combine):

- ``Input data { ground_truth: "label"; }``: the field is the truth of the
  machine's one task (or of the one task that names no truth of its own);
- ``Input data { ground_truth: { lang: "lang", topic: "label" }; }``: per task;
- ``Task topic { ground_truth: "label"; }``: on the task itself.

An Input node hides every truth field from the tasks and hands each task its
own value, which is what accuracy is measured against and what the simulated
LLM answers from. A truth that could belong to several tasks, a task given two
different fields, or a name that is not a task is a DSL error.
"""

from __future__ import annotations

from collections.abc import Callable

from ..model import MachineData, Node
from .errors import DSLError, Problem
from .source_map import NodeSpan, Position, SourceMap

ATTRIBUTE = "ground_truth"
_NOWHERE: Position = (0, 0)


def truth_problems(machine: MachineData, source_map: SourceMap | None = None) -> list[Problem]:
    """Every problem with the machine's ``ground_truth`` attributes, placed where written."""
    return _resolve(machine, source_map)[1]


def truth_fields(machine: MachineData) -> dict[str, str]:
    """``{task: field}`` for every task with a ground truth; DSLError if it is ambiguous."""
    fields, problems = _resolve(machine, None)
    if problems:
        raise DSLError(problems)
    return fields


def _resolve(machine: MachineData, source_map: SourceMap | None
             ) -> tuple[dict[str, str], list[Problem]]:
    nodes = list(machine.iter_nodes())
    spans = source_map.nodes if source_map and len(source_map.nodes) == len(nodes) else None
    tasks = [n.name for n in nodes if n.kind == "task"]
    problems: list[Problem] = []
    fields: dict[str, str] = {}
    origin: dict[str, str] = {}

    def placer(index: int, node: Node) -> Callable[[str], None]:
        span: NodeSpan | None = spans[index] if spans else None
        where = span.attributes.get(ATTRIBUTE, span.position) if span else _NOWHERE

        def add(message: str) -> None:
            problems.append(Problem(*where, f"{message} (node '{node.name}')"))
        return add

    def assign(task: str, field: str, source: str, add: Callable[[str], None]) -> None:
        if task in fields and fields[task] != field:
            add(f"task '{task}' is given two ground truths: {fields[task]!r} ({origin[task]}) "
                f"and {field!r} ({source}); keep one")
            return
        fields[task], origin[task] = field, source

    shared: list[tuple[str, Callable[[str], None], str]] = []
    for index, node in enumerate(nodes):
        value = node.attr(ATTRIBUTE)
        if value is None or node.kind == "note":
            continue
        add = placer(index, node)
        if node.kind == "task":
            if not _is_field(value):
                add(f"a task's ground_truth names one record field, e.g. ground_truth: "
                    f'"label"; got {value!r}')
            else:
                assign(node.name, value, f"on Task {node.name}", add)
        elif node.kind == "input":
            if _is_field(value):
                shared.append((value, add, node.name))
            elif isinstance(value, dict) and value:
                for task, field in value.items():
                    if task not in tasks:
                        add(f"ground_truth names {task!r}, which is not a task "
                            f"(tasks: {', '.join(tasks) or 'none'})")
                    elif not _is_field(field):
                        add(f"ground_truth of task '{task}' must name a record field, "
                            f"got {field!r}")
                    else:
                        assign(task, field, f"on Input {node.name}", add)
            else:
                per_task = ", ".join(f'{t}: "..."' for t in tasks) or 'task: "label"'
                add(f'ground_truth is a record field ("label") or one field per task '
                    f"({{ {per_task} }}); got {value!r}")
        else:
            add("ground_truth belongs on the Input node (or on a Task), not on a "
                f"{node.type} node")
    for field, add, input_name in shared:
        open_tasks = [t for t in tasks if t not in fields]
        if len(open_tasks) == 1:
            assign(open_tasks[0], field, f"on Input {input_name}", add)
        elif len(open_tasks) > 1:
            example = ", ".join(f'{t}: "{field if i == len(open_tasks) - 1 else "..."}"'
                                for i, t in enumerate(open_tasks))
            add(f"ground_truth {field!r} is ambiguous: tasks {', '.join(open_tasks)} could each "
                f"be measured against it; say which field is whose, e.g. ground_truth: "
                f"{{ {example} }} (or ground_truth on each Task)")
    return fields, problems


def _is_field(value: object) -> bool:
    return isinstance(value, str) and bool(value.strip())


def hidden_fields(fields: dict[str, str]) -> frozenset[str]:
    """The record fields an Input node hides from tasks."""
    return frozenset(fields.values())
