"""The record fields a machine reads, and which of them a data set lacks.

A prompt's missing variable renders empty (:mod:`evomachine.prompts`), so a data
set without the field a prompt names runs, and sends the LLM a prompt with a hole
in it. :func:`missing_fields` says so when the data is loaded, before anything is
paid for. It reads ``input.text`` and ``input["text"]`` in task prompts (found in
the template's syntax tree, never by running it) and the ground truth fields.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import lru_cache
from typing import Any

from evomachine.model import MachineData

#: Records looked at for the fields a data set has (as ``describe_records`` does).
SAMPLE = 200


def fields_read(machine: MachineData) -> dict[str, list[str]]:
    """``{field: [what reads it]}``: ``"task route's prompt"``, ``"ground truth of route"``."""
    from evomachine.dsl.errors import DSLError
    from evomachine.dsl.truth import truth_fields

    readers: dict[str, list[str]] = {}
    for node in machine.iter_nodes():
        if node.kind != "task":
            continue
        prompt = node.attributes.get("prompt")
        if prompt is not None and isinstance(prompt.value, str):
            for field in _template_fields(prompt.value):
                readers.setdefault(field, []).append(f"task {node.name}'s prompt")
    try:
        truths = truth_fields(machine)
    except DSLError:
        truths = {}
    for task, field in truths.items():
        readers.setdefault(field, []).append(f"the ground truth of {task}")
    return readers


def missing_fields(machine: MachineData, records: Iterable[Mapping[str, Any]]) -> list[str]:
    """One sentence per field the machine reads that no record (of the first 200) has."""
    have: set[str] = set()
    for count, record in enumerate(records):
        if count >= SAMPLE:
            break
        have.update(record)
    return [f"no record has the field {field!r}, which {' and '.join(readers)} "
            f"{'reads' if len(readers) == 1 else 'read'}"
            for field, readers in fields_read(machine).items() if field not in have]


@lru_cache(maxsize=512)
def _template_fields(source: str) -> tuple[str, ...]:
    """The ``input`` fields a template names, in order; none when it does not parse."""
    if "input" not in source:
        return ()
    from jinja2 import nodes

    from evomachine.dsl.validate import template_environment, template_error

    if template_error(source) is not None:
        return ()  # the machine's own check reports it
    found: dict[str, None] = {}
    for node in template_environment().parse(source).find_all((nodes.Getattr, nodes.Getitem)):
        if not (isinstance(node.node, nodes.Name) and node.node.name == "input"):
            continue
        if isinstance(node, nodes.Getattr):
            found[node.attr] = None
        elif isinstance(node.arg, nodes.Const) and isinstance(node.arg.value, str):
            found[node.arg.value] = None
    return tuple(found)
