"""The example workloads: index, data sets, machines, and the properties the benchmarks rely on."""

from __future__ import annotations

import importlib.util
import itertools
import json
import math
import random
import re
import sys
from collections import Counter, defaultdict
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aio import IN_PYODIDE

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
if not (EXAMPLES / "index.json").exists() and IN_PYODIDE:
    pytest.skip("examples/ is not mounted inside Pyodide", allow_module_level=True)

MIN_RECORDS = 2400
BENCH_WINDOW = 2000  # the evolution benchmark's executions per workload
MAX_BYTES = 600_000


def _load_generate() -> ModuleType:
    spec = importlib.util.spec_from_file_location("examples_generate", EXAMPLES / "generate.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)  # puts examples/ on sys.path, so ``datagen`` imports
    return module


generate = _load_generate()
import datagen  # noqa: E402
from datagen import facts  # noqa: E402

INDEX: list[dict[str, Any]] = json.loads((EXAMPLES / "index.json").read_text(encoding="utf-8"))
NAMES = [entry["name"] for entry in INDEX]
BY_NAME = {entry["name"]: entry for entry in INDEX}


def records(name: str) -> list[dict[str, Any]]:
    path = EXAMPLES / BY_NAME[name]["data"]
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def input_text(entry: dict[str, Any], record: dict[str, Any]) -> str:
    return " | ".join(str(record[f]) for f in entry["input_fields"])


# --- index and files ---------------------------------------------------------------------------


def test_index_lists_every_example_and_only_those():
    on_disk = sorted(p.parent.name for p in EXAMPLES.glob("*/*.machine"))
    assert sorted(NAMES) == on_disk
    assert len(NAMES) == len(set(NAMES)) >= 4
    assert {"ticket-triage", "sentiment", "entity-normalisation", "fact-check"} <= set(NAMES)


@pytest.mark.parametrize("name", NAMES)
def test_index_entry_points_at_real_files(name):
    entry = BY_NAME[name]
    keys = {"name", "title", "description", "machine", "data", "records", "task"}
    assert keys | {"input_fields", "ground_truth", "labels"} <= set(entry)
    assert entry["machine"] == f"{name}/{name}.machine"
    for key in ("machine", "data", "readme"):
        assert (EXAMPLES / entry[key]).is_file(), f"{name}: {entry[key]} is missing"
    assert entry["title"] and entry["description"]
    assert len(entry["labels"]) == len(set(entry["labels"])) >= 2


def test_committed_files_match_the_generator():
    files = generate.render_all()
    assert generate.check(files, EXAMPLES) == []
    assert {f"{w.name}/data.jsonl" for w in datagen.WORKLOADS} <= set(files)


def test_check_reports_a_changed_file(tmp_path):
    files = {"a/data.jsonl": '{"x": 1}\n', "index.json": "[]\n"}
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "data.jsonl").write_text('{"x": 2}\n', encoding="utf-8")
    problems = generate.check(files, tmp_path)
    assert problems == [
        "a/data.jsonl: differs from the generator's output; run python examples/generate.py",
        "index.json: missing; run python examples/generate.py",
    ]


# --- data sets ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name", NAMES)
def test_record_count_matches_index_and_covers_a_benchmark_run(name):
    entry = BY_NAME[name]
    data = records(name)
    assert len(data) == entry["records"] >= MIN_RECORDS
    assert (EXAMPLES / entry["data"]).stat().st_size < MAX_BYTES


@pytest.mark.parametrize("name", NAMES)
def test_records_are_flat_with_ground_truth_in_the_label_set(name):
    entry = BY_NAME[name]
    expected_keys = {*entry["input_fields"], entry["ground_truth"]}
    labels = set(entry["labels"])
    for i, record in enumerate(records(name)):
        assert set(record) == expected_keys, f"{name} record {i}: keys {sorted(record)}"
        assert all(isinstance(v, str) and v.strip() for v in record.values()), f"{name} record {i}"
        assert record[entry["ground_truth"]] in labels, f"{name} record {i}: {record}"


@pytest.mark.parametrize("name", NAMES)
def test_labels_are_balanced_overall_and_in_the_benchmark_window(name):
    entry = BY_NAME[name]
    data = records(name)
    for window, tolerance in ((data, 0.05), (data[:BENCH_WINDOW], 0.25)):
        counts = Counter(r[entry["ground_truth"]] for r in window)
        fair = len(window) / len(entry["labels"])
        for label in entry["labels"]:
            assert abs(counts[label] - fair) <= tolerance * fair, f"{name}: {label} {counts[label]}"


@pytest.mark.parametrize("name", NAMES)
def test_inputs_are_mostly_unique_and_never_contradict(name):
    entry = BY_NAME[name]
    seen: dict[str, set[str]] = defaultdict(set)
    for record in records(name):
        seen[input_text(entry, record)].add(record[entry["ground_truth"]])
    total = entry["records"]
    assert len(seen) >= 0.97 * total, f"{name}: only {len(seen)} distinct inputs of {total}"
    contradictions = [text for text, labels in seen.items() if len(labels) > 1]
    assert contradictions == []


# --- machines ----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", NAMES)
def test_machine_parses_and_agrees_with_the_index(name):
    dsl = pytest.importorskip("evomachine.dsl", reason="the DSL parser is not importable")
    entry = BY_NAME[name]
    machine = dsl.parse_machine((EXAMPLES / entry["machine"]).read_text(encoding="utf-8"))
    assert machine.title == entry["title"]
    assert dsl.parse_machine(dsl.format_machine(machine)) == machine

    (source,) = [n for n in machine.iter_nodes() if n.kind == "input"]
    assert source.attr("source") == "data.jsonl"
    assert source.attr("ground_truth") == entry["ground_truth"]

    task = machine.find_node(entry["task"])
    assert task is not None and task.kind == "task"
    assert task.attributes["output"].type.literals == entry["labels"]
    assert task.attr("evolution_stage") == "llm_only"
    for field in entry["input_fields"]:
        assert f"input.{field}" in task.attr("prompt")

    edges = machine.outgoing(task.name)
    edge_labels = {e.label for e in edges}
    assert None in edge_labels or set(entry["labels"]) <= edge_labels, f"{name}: labels unrouted"
    for edge in edges:
        assert machine.outgoing(edge.target), f"{name}: {edge.target} does not loop back"

    # Loaded with its own data, the page warns of nothing: no missing field, no idle attribute.
    from evomachine.dsl.fields import missing_fields
    from evomachine.dsl.hints import text_hints

    assert missing_fields(machine, records(name)) == []
    assert text_hints((EXAMPLES / entry["machine"]).read_text(encoding="utf-8")) == []


@pytest.mark.parametrize("name", NAMES)
async def test_machine_runs_its_data_and_routes_by_label(name):
    dsl = pytest.importorskip("evomachine.dsl", reason="the DSL parser is not importable")
    executor_module = pytest.importorskip("evomachine.executor", reason="no executor yet")
    llm_module = pytest.importorskip("evomachine.llm", reason="no simulated LLM yet")
    entry = BY_NAME[name]
    data = records(name)[:40]
    machine = dsl.parse_machine((EXAMPLES / entry["machine"]).read_text(encoding="utf-8"))
    llm = llm_module.SimulatedLLM.from_records(data, entry["ground_truth"])
    executor = executor_module.MachineExecutor(machine, llm=llm, inputs=data)
    steps = await executor.run(max_steps=10 * len(data))
    assert executor.halted
    task_steps = [s for s in steps if s.node == entry["task"]]
    assert [s.error for s in task_steps] == [None] * len(data)
    assert [s.output for s in task_steps] == [r[entry["ground_truth"]] for r in data]
    routes = {e.label: e.target for e in machine.outgoing(entry["task"])}
    for step in task_steps:
        assert step.next == routes.get(step.output, routes.get(None)), step
    history = executor.histories[entry["task"]].recent
    assert [h.expected for h in history] == [r[entry["ground_truth"]] for r in data]


# --- fact-check: the surface must not give the answer away --------------------------------------


def test_fact_check_every_subject_and_object_is_true_and_false_equally_often():
    labelled = facts.build_labelled(random.Random(facts.WORKLOAD.seed), facts.WORKLOAD.count)
    assert [r for r, *_ in labelled] == records("fact-check")
    by_subject: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
    by_object: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
    for record, relation, subject, obj in labelled:
        by_subject[relation, subject][record["label"]] += 1
        by_object[relation, obj][record["label"]] += 1
    for key, counts in by_subject.items():
        assert counts["true"] == counts["false"] > 0, key
    for key, counts in by_object.items():
        assert counts["true"] == counts["false"] > 0, key


def test_fact_check_names_in_the_file_carry_no_label_signal():
    statements = [(r["statement"].lower(), r["label"]) for r in records("fact-check")]
    names = {name for pairs, _ in facts.RELATIONS.values() for pair in pairs for name in pair}
    skewed = {}
    for name in sorted(n for n in names if len(n) >= 4):
        pattern = re.compile(rf"(?<!\w){re.escape(name)}(?!\w)", re.IGNORECASE)
        lowered = name.lower()
        counts = Counter(
            label for text, label in statements if lowered in text and pattern.search(text)
        )
        if counts["true"] != counts["false"] or counts.total() < 8:
            skewed[name] = dict(counts)
    assert skewed == {}


def test_fact_check_negation_and_lead_ins_are_independent_of_the_label():
    data = records("fact-check")
    markers = (r"\bnot\b|n't", r"^(fact|quiz|apparently|i read)", r"\?$")
    for marker in markers:
        pattern = re.compile(marker, re.IGNORECASE)
        rate = {
            label: sum(bool(pattern.search(r["statement"])) for r in data if r["label"] == label)
            / sum(r["label"] == label for r in data)
            for label in ("true", "false")
        }
        assert abs(rate["true"] - rate["false"]) < 0.04, (marker, rate)


# --- learnability: a tiny naive Bayes stands in for the synthesizers ----------------------------


def _features(text: str, chars: bool) -> list[str]:
    text = text.lower()
    if chars:
        padded = f"  {text}  "
        return [padded[i : i + 3] for i in range(len(padded) - 2)]
    words = re.findall(r"[a-z0-9']+", text)
    return words + [f"{a} {b}" for a, b in itertools.pairwise(words)]


def naive_bayes_accuracy(
    name: str, chars: bool = False, train: int = 1500, test: int = 500
) -> float:
    entry = BY_NAME[name]
    data = records(name)
    truth = entry["ground_truth"]
    class_counts: Counter[str] = Counter()
    feature_counts: dict[str, Counter[str]] = defaultdict(Counter)
    for record in data[:train]:
        class_counts[record[truth]] += 1
        feature_counts[record[truth]].update(_features(input_text(entry, record), chars))
    vocabulary = len(set().union(*feature_counts.values()))
    totals = {label: counts.total() for label, counts in feature_counts.items()}

    def score(label: str, features: list[str]) -> float:
        counts, total = feature_counts[label], totals[label] + vocabulary
        return math.log(class_counts[label]) + sum(
            math.log((counts[f] + 1) / total) for f in features
        )

    held_out = data[train : train + test]
    hits = 0
    for record in held_out:
        features = _features(input_text(entry, record), chars)
        hits += max(class_counts, key=lambda label: score(label, features)) == record[truth]
    return hits / len(held_out)


@pytest.mark.parametrize(
    ("name", "chars", "low", "high"),
    [
        ("ticket-triage", False, 0.93, 1.0),
        ("sentiment", False, 0.80, 0.99),
        ("entity-normalisation", True, 0.85, 1.0),
        ("fact-check", False, 0.0, 0.65),
        ("spam-assassin", False, 0.93, 1.0),  # real mail: spam has a vocabulary of its own
    ],
)
def test_learnable_workloads_are_learnable_and_fact_check_is_not(name, chars, low, high):
    accuracy = naive_bayes_accuracy(name, chars)
    assert low <= accuracy <= high, f"{name}: naive Bayes accuracy {accuracy:.3f}"


# --- generator helpers -------------------------------------------------------------------------


@given(st.integers(min_value=2, max_value=80), st.integers())
def test_derangement_moves_every_index_in_short_cycles(n, seed):
    perm, cycles = facts.derangement(random.Random(seed), n)
    assert sorted(perm) == list(range(n))
    assert all(perm[i] != i for i in range(n))
    assert sorted(i for cycle in cycles for i in cycle) == list(range(n))
    for cycle in cycles:
        assert len(cycle) in (2, 3)
        assert [perm[i] for i in cycle] == cycle[1:] + cycle[:1]


@given(
    st.integers(min_value=0, max_value=500), st.integers(min_value=1, max_value=7), st.integers()
)
def test_balanced_labels_differ_by_at_most_one(count, k, seed):
    from datagen.common import balanced_labels

    labels = [f"l{i}" for i in range(k)]
    out = balanced_labels(random.Random(seed), labels, count)
    counts = Counter(out)
    assert len(out) == count
    assert max(counts.values(), default=0) - min((counts[lb] for lb in labels), default=0) <= 1
