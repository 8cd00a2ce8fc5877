"""Ground truth per task: the DSL says whose truth each field is; accuracy and answers follow."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from evomachine import EvolutionaryExecutor, SimulatedLLM, parse_machine
from evomachine.dsl import DSLError
from evomachine.dsl.truth import truth_fields
from evomachine.llm.base import LLMError, LLMRequest

PIPELINE = """machine "Language then topic"
Input doc { %s }
Task lang {
    prompt: "Language of: {{ input.text }}";
    output<"en" | "fr">;
    %s
}
Task topic {
    prompt: "Topic of: {{ input.text }}";
    output<"sport" | "food" | "tech">;
    %s
}
State done;
doc -> lang -> topic -> done;
done -> doc;
"""


def machine(input_attrs: str = "", lang: str = "", topic: str = ""):
    return parse_machine(PIPELINE % (input_attrs, lang, topic))


def records(n: int) -> list[dict]:
    langs, topics = ("en", "fr"), ("sport", "food", "tech")
    return [{"text": f"doc {i}", "lang": langs[i % 2], "label": topics[i % 3]} for i in range(n)]


def test_a_mapping_on_the_input_node_names_each_tasks_field():
    m = machine('ground_truth: { lang: "lang", topic: "label" };')
    assert truth_fields(m) == {"lang": "lang", "topic": "label"}


def test_a_task_may_name_its_own_field_and_the_input_string_goes_to_the_other_task():
    m = machine('ground_truth: "label";', lang='ground_truth: "lang";')
    assert truth_fields(m) == {"lang": "lang", "topic": "label"}
    both = machine(lang='ground_truth: "lang";', topic='ground_truth: "label";')
    assert truth_fields(both) == {"lang": "lang", "topic": "label"}


def test_one_field_on_a_one_task_machine_is_that_tasks_truth():
    text = ('machine "M"\nInput i { ground_truth: "label"; }\nTask t { output<"a" | "b">; }\n'
            "i -> t;\n")
    assert truth_fields(parse_machine(text)) == {"t": "label"}


def test_one_field_for_two_tasks_is_an_error_that_says_how_to_fix_it():
    with pytest.raises(DSLError) as caught:
        machine('ground_truth: "label";')
    error = caught.value
    assert error.line == 2
    assert "ambiguous" in error.message and "lang, topic" in error.message
    assert 'ground_truth: { lang: "...", topic: "label" }' in error.message


@pytest.mark.parametrize(("input_attrs", "lang", "needle"), [
    ('ground_truth: { lang: "lang", topc: "label" };', "", "'topc', which is not a task"),
    ('ground_truth: { lang: "lang" };', 'ground_truth: "language";', "two ground truths"),
    ('ground_truth: { lang: 3 };', "", "must name a record field"),
    ("ground_truth: [a, b];", "", "one field per task"),
    ("", "ground_truth: { x: 1 };", "names one record field"),
])
def test_malformed_or_conflicting_truths_are_dsl_errors(input_attrs, lang, needle):
    with pytest.raises(DSLError) as caught:
        machine(input_attrs, lang)
    assert any(needle in p.message for p in caught.value.errors), caught.value


def test_ground_truth_on_a_state_node_is_refused():
    text = 'machine "M"\nState s { ground_truth: "label"; }\n'
    with pytest.raises(DSLError, match="belongs on the Input node"):
        parse_machine(text)


async def test_each_task_is_answered_and_measured_from_its_own_truth():
    m = machine('ground_truth: { lang: "lang", topic: "label" };')
    data = records(60)
    llm = SimulatedLLM.from_records(data, truth_fields(m))
    seen: list[dict] = []
    real = llm.complete

    async def spy(request: LLMRequest):
        seen.append(request.input)
        return await real(request)

    llm.complete = spy  # type: ignore[method-assign]
    ex = EvolutionaryExecutor(m, llm=llm, inputs=data, auto_evolve=False)
    await ex.run(max_steps=4 * 60)
    metrics = ex.get_task_metrics()
    for task in ("lang", "topic"):
        assert metrics[task]["execution_count"] == 60
        assert metrics[task]["success_rate"] == 1.0
        assert metrics[task]["accuracy"] == 1.0
    assert seen and all(set(i) == {"text"} for i in seen)  # the truth never reaches a task


async def test_accuracy_is_per_task_when_the_model_errs():
    m = machine('ground_truth: { lang: "lang", topic: "label" };')
    data = records(300)
    llm = SimulatedLLM.from_records(data, truth_fields(m), accuracy=0.7, seed=3)
    ex = EvolutionaryExecutor(m, llm=llm, inputs=data, auto_evolve=False)
    await ex.run(max_steps=4 * 300)
    metrics = ex.get_task_metrics()
    for task in ("lang", "topic"):
        assert 0.6 <= metrics[task]["accuracy"] <= 0.8


async def test_a_per_task_model_refuses_a_task_it_has_no_truth_for():
    data = [{"text": r["text"], "lang": r["lang"]} for r in records(3)]
    llm = SimulatedLLM.from_records(data, {"lang": "lang"})
    request = LLMRequest(prompt="p", task="topic", input={"text": "doc 0"})
    with pytest.raises(LLMError, match="no ground truth for task 'topic'"):
        await llm.complete(request)
    ok = await llm.complete(LLMRequest(prompt="p", task="lang", input={"text": "doc 1"}))
    assert ok.text == "fr"


def test_a_record_without_a_tasks_field_is_named():
    with pytest.raises(ValueError, match="truth of task 'topic'"):
        SimulatedLLM.from_records([{"text": "x", "lang": "en"}], {"lang": "lang", "topic": "label"})


async def test_the_pending_truth_survives_a_saved_run_state():
    m = machine('ground_truth: { lang: "lang", topic: "label" };')
    data = records(5)
    llm = SimulatedLLM.from_records(data, truth_fields(m))
    ex = EvolutionaryExecutor(m, llm=llm, inputs=data, auto_evolve=False)
    await ex.step()  # the Input node
    state = ex.run_state()
    assert state["pending_truth"] == {"lang": "en", "topic": "sport"}
    again = EvolutionaryExecutor(m, llm=llm, inputs=data, auto_evolve=False)
    again.resume_run(json.loads(json.dumps(state)))
    await again.step()
    await again.step()
    assert again.get_task_metrics()["topic"]["accuracy"] == 1.0


@pytest.mark.needs_event_loop
def test_the_cli_reports_accuracy_for_both_tasks(tmp_path: Path):
    from evomachine import cli

    path = tmp_path / "pipeline.machine"
    path.write_text(PIPELINE % ('ground_truth: { lang: "lang", topic: "label" };', "", ""),
                    encoding="utf-8")
    data = tmp_path / "data.jsonl"
    data.write_text("\n".join(json.dumps(r) for r in records(100)), encoding="utf-8")
    out, err = io.StringIO(), io.StringIO()
    args = cli.build_parser().parse_args(["evolve", str(path), "--data", str(data), "--steps",
                                          "200", "--accuracy", "1", "--quiet"])
    assert cli.asyncio.run(cli.evolve(args, out, err)) == 0
    rows = {line.split()[0]: line.split() for line in out.getvalue().splitlines()}
    # (lang's answer is the parity of the number ending "doc N": learnt from its last digit)
    assert rows["lang"][2] == "50" and rows["topic"][2] == "50"
    assert rows["lang"][-1] == "100.0%" and rows["topic"][-1] == "100.0%"


def test_the_cli_label_option_takes_one_field_per_task():
    from evomachine import cli

    assert cli.parse_label("label") == "label"
    assert cli.parse_label("lang=lang, topic=label") == {"lang": "lang", "topic": "label"}
    with pytest.raises(cli.CLIError):
        cli.parse_label("lang=,topic=label")
