"""Warnings for task attributes that do nothing: retired by 0.2's error budget, or a typo."""

from __future__ import annotations

import json

from evomachine.app.lab import Lab
from evomachine.dsl import parse_machine
from evomachine.dsl.hints import attribute_hints, text_hints
from evomachine.evolution.policy import RETIRED, EvolutionPolicy
from evomachine.storage import MemoryStorage

MACHINE = '''machine "m"
Input data { ground_truth: "label"; }
Task t {
    prompt: "{{ input.text }}";
    output<"a" | "b">;
    hybrid_min_heldout: 0.9;
    max_disagrement: 0.05;
    description: "my own note";
    audit_rate: 0.02;
}
State s { hybrid_min_heldout: 0.9; }
data -> t -> s;
'''


def test_retired_and_misspelt_task_attributes_are_named_where_written():
    hints = text_hints(MACHINE)
    assert [(h.line, h.column) for h in hints] == [(6, 5), (7, 5)]
    assert "'hybrid_min_heldout' has no effect since 0.2" in hints[0].message
    assert "max_disagreement" in hints[0].message and "(task 't')" in hints[0].message
    assert hints[1].message == ("unknown attribute 'max_disagrement' has no effect: did you "
                                "mean 'max_disagreement'? (task 't')")


def test_they_really_have_no_effect_and_other_names_are_left_alone():
    machine = parse_machine(MACHINE)
    [task] = [n for n in machine.iter_nodes() if n.name == "t"]
    policy = EvolutionPolicy().for_task(task)
    assert policy.max_disagreement == EvolutionPolicy().max_disagreement  # the typo did nothing
    assert policy.audit_rate == 0.02
    assert all("description" not in h.message for h in attribute_hints(machine))
    assert RETIRED.isdisjoint(EvolutionPolicy.model_fields)


def test_a_text_that_does_not_parse_has_errors_not_hints():
    assert text_hints('machine "m"\nTask t { prompt: "x" }\n') == []


async def test_check_gives_them_as_warnings_and_the_machine_loads():
    lab = Lab(MemoryStorage())
    checked = json.loads(await lab.check(MACHINE))
    assert checked["ok"] is True and checked["errors"] == []
    assert [w["line"] for w in checked["warnings"]] == [6, 7]
    state = json.loads(await lab.load(MACHINE, '{"text": "x", "label": "a"}\n', "d.jsonl"))
    assert state["loaded"] is True
    assert json.loads(await lab.check("machine"))["warnings"] == []
