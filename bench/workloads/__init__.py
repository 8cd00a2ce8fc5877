"""Benchmark workloads: the bundled examples plus streams built from public data sets.

A :class:`Workload` is a machine, its records in execution order (each with
its ground-truth field), the answers the simulated LLM knows — one table, or
several that take over at given executions (drift) — and how a code-writing
LLM would answer a codegen request for it. ``bundled()`` reads
``examples/index.json``; ``real()`` builds the streams from the pinned
packages in :mod:`workloads.sources` (fetched into the cache on first use).
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from evomachine import LLMRequest
from evomachine.llm.simulated import canonical_key

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"

Record = dict[str, Any]
Codegen = Callable[[LLMRequest], str]


@dataclass
class Workload:
    """One benchmark workload.

    ``answers`` is a list of ``(from_execution, {input key: right answer})``:
    the LLM knows the first table from execution 0 and each later one from
    its start on. ``target`` names the issue's done-when target it is judged by
    (``""``: none). ``drifted`` holds the keys whose answer changes, for the
    stale-answer count.
    """

    name: str
    title: str
    machine: str
    records: list[Record]
    task: str
    ground_truth: str
    labels: list[str]
    input_fields: list[str]
    source: str
    target: str = ""
    codegen: Codegen | None = None
    answers: list[tuple[int, dict[str, str]]] = field(default_factory=list)
    drifted: dict[str, tuple[str, str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.answers:
            table: dict[str, str] = {}
            for record in self.records:
                table.setdefault(self.key(record), record[self.ground_truth])
            self.answers = [(0, table)]

    def key(self, record: Record) -> str:
        """The simulated LLM's lookup key for a record (its input, without the ground truth)."""
        return canonical_key({k: v for k, v in record.items() if k != self.ground_truth})

    def shape(self, executions: int | None = None) -> dict[str, Any]:
        """Distinct inputs and classes in the first ``executions`` records (all by default)."""
        records = self.records[:executions]
        return {"records": len(records),
                "distinct_inputs": len({self.key(r) for r in records}),
                "classes": len({r[self.ground_truth] for r in records})}


class Oracle:
    """The right answers of a workload as execution goes on: ``now`` is the execution index."""

    def __init__(self, workload: Workload):
        self.tables = sorted(workload.answers, key=lambda pair: pair[0])
        self.now = 0

    def __call__(self, request: LLMRequest) -> str:
        table = self.tables[0][1]
        for start, later in self.tables:
            if self.now >= start:
                table = later
        return table[canonical_key(request.input)]


# --- helpers for building workloads ---------------------------------------------------------


def machine_text(title: str, *, source: str, ground_truth: str, task: str, task_title: str,
                 prompt: str, labels: Sequence[str], input_node: str = "item",
                 routes: dict[str, str] | None = None, comment: str = "") -> str:
    """A machine in the examples' shape: Input -> Task -> a State per route -> back."""
    quoted = [json.dumps(label, ensure_ascii=False) for label in labels]
    literals = " | ".join(quoted) if len(quoted) <= 8 else "\n        | ".join(quoted)
    lines = [f"machine {json.dumps(title)}", ""]
    if comment:
        lines += [f"// {line}" for line in comment.splitlines()]
    lines += [
        f"Input {input_node} {{ source: {json.dumps(source)}; "
        f"ground_truth: {json.dumps(ground_truth)}; }}",
        "",
        f"Task {task} {json.dumps(task_title)} {{",
        f"    prompt: {json.dumps(prompt, ensure_ascii=False)};",
        f"    output<{literals}>;",
        '    evolution_stage: "llm_only";',
        "}",
        "",
    ]
    edges = [f"{input_node} -> {task};"]
    if routes:
        states = list(dict.fromkeys(routes.values()))
        lines += [f"State {s} {json.dumps(s.replace('_', ' ').capitalize())};" for s in states]
        edges += [f"{task} -{json.dumps(label, ensure_ascii=False)}-> {state};"
                  for label, state in routes.items()]
        edges += [f"{state} -> {input_node};" for state in states]
    else:
        lines.append('State done "Answered";')
        edges += [f"{task} -> done;", f"done -> {input_node};"]
    return "\n".join([*lines, "", *edges]) + "\n"


def zipf_stream(rng: random.Random, items: Sequence[Any], count: int,
                exponent: float = 1.0) -> list[Any]:
    """``count`` draws from ``items`` with Zipf weights over a random ranking of them."""
    ranked = list(items)
    rng.shuffle(ranked)
    weights = [1.0 / (rank + 1) ** exponent for rank in range(len(ranked))]
    return rng.choices(ranked, weights=weights, k=count)


def python_block(code: str) -> str:
    """A codegen answer as a model writes it: one fenced Python block."""
    return f"```python\n{code.strip()}\n```\n"


# --- the registry -----------------------------------------------------------------------------


def bundled(only: Sequence[str] | None = None) -> list[Workload]:
    """The examples of ``examples/index.json``, each with a labels-and-keywords code writer."""
    from workloads import codewriters

    entries = json.loads((EXAMPLES / "index.json").read_text(encoding="utf-8"))
    found = []
    for entry in entries:
        if only and entry["name"] not in only:
            continue
        records = [json.loads(line) for line in
                   (EXAMPLES / entry["data"]).read_text(encoding="utf-8").splitlines() if line]
        found.append(Workload(
            name=entry["name"], title=entry["title"],
            machine=(EXAMPLES / entry["machine"]).read_text(encoding="utf-8"),
            records=records, task=entry["task"], ground_truth=entry["ground_truth"],
            labels=list(entry["labels"]), input_fields=list(entry["input_fields"]),
            source=f"examples/{entry['name']}", target=BUNDLED_TARGETS.get(entry["name"], ""),
            codegen=codewriters.for_example(entry["name"], entry["labels"],
                                           entry["input_fields"][0]),
        ))
    return found


# The issue's done-when targets the bundled examples stand for.
BUNDLED_TARGETS = {"fact-check": "unlearnable", "spam-assassin": "spam"}


# name -> (module, builder function) of the workloads built from public data sets
REAL: dict[str, tuple[str, str]] = {
    "mail-stream": ("mail", "mail_stream"),
    "country-names": ("countries", "country_names"),
    "mail-folders": ("mail", "mail_folders"),
    "mail-drift": ("mail", "mail_drift"),
    "first-names": ("names", "first_names"),
    "name-shards": ("names", "name_shards"),
}


def real(only: Sequence[str] | None = None) -> list[Workload]:
    """The workloads built from public data sets (fetched into the cache on first use)."""
    import importlib

    found = []
    for name, (module, function) in REAL.items():
        if not only or name in only:
            found.append(getattr(importlib.import_module(f"workloads.{module}"), function)())
    return found
