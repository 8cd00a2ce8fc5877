"""The record fields a machine's prompts and ground truth read, and the ones a data set lacks."""

from __future__ import annotations

import json
from pathlib import Path

from evomachine.app.lab import Lab
from evomachine.dsl import parse_machine
from evomachine.dsl.fields import fields_read, missing_fields
from evomachine.storage import MemoryStorage

ROOT = Path(__file__).resolve().parents[2]
TRIAGE = (ROOT / "examples/ticket-triage/ticket-triage.machine").read_text()


def machine(prompt: str, truth: str = "") -> object:
    return parse_machine(f'''machine "m"
Input data {{ {truth} }}
Task t {{ prompt: "{prompt}"; output<"a" | "b">; }}
data -> t;
''')


def test_attribute_and_item_reads_are_found_in_order_and_once():
    m = machine('{{ input.text }} {{ input[\\"from\\"] }} {{ input.text|upper }} {{ other.x }}',
                'ground_truth: "label";')
    assert fields_read(m) == {"text": ["task t's prompt"], "from": ["task t's prompt"],
                              "label": ["the ground truth of t"]}


def test_reads_inside_blocks_count_and_nothing_is_run():
    m = machine('{% if input.subject %}{{ input.subject }}{% endif %}'
                '{% for w in input.words %}{{ w }}{% endfor %}{{ input.n * 999999999 }}')
    assert list(fields_read(m)) == ["subject", "words", "n"]


def test_a_data_set_missing_a_read_field_is_named_with_its_reader():
    m = parse_machine(TRIAGE)
    assert missing_fields(m, [{"text": "x", "label": "tech"}]) == []
    assert missing_fields(m, [{"body": "x"}]) == [
        "no record has the field 'text', which task route's prompt reads",
        "no record has the field 'label', which the ground truth of route reads"]
    # a field some records have is not missing (optional fields are the prompt's business)
    assert missing_fields(m, [{"body": "x", "label": "a"}, {"text": "y", "label": "b"}]) == []


def test_a_prompt_without_input_reads_nothing():
    assert fields_read(machine("Answer a or b.")) == {}


async def test_the_lab_says_it_with_the_data_set():
    lab = Lab(MemoryStorage())
    bodies = '{"body": "my bill", "label": "billing"}\n'
    state = json.loads(await lab.load(TRIAGE, bodies, "b.jsonl"))
    assert state["dataset"]["missing"] == [
        "no record has the field 'text', which task route's prompt reads"]
    texts = '{"text": "my bill", "label": "billing"}\n'
    state = json.loads(await lab.load(TRIAGE, texts, "t.jsonl"))
    assert state["dataset"]["missing"] == []


def test_a_field_read_twice_names_both_readers():
    m = machine("{{ input.label }}", 'ground_truth: "label";')
    assert missing_fields(m, [{"text": "x"}]) == [
        "no record has the field 'label', which task t's prompt and the ground truth of t read"]
