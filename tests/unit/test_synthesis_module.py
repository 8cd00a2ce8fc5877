"""The rendered module: loads through the sandbox, agrees with the in-process model, reads well."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_synthesis_data import ROUTE, keyword_records, messy_repeat_records, repeat_records

from aio import run
from evomachine.evolution.synthesis import SynthesisError, synthesize
from evomachine.evolution.synthesis.calibration import apply
from evomachine.evolution.synthesis.dataset import examples_from_records, split
from evomachine.evolution.synthesis.render import check_module, environment, runtime_source
from evomachine.evolution.synthesis.select import CROSS_FIT_BELOW
from evomachine.sandbox import load_module

CASES = {
    "naive_bayes": lambda: keyword_records(400, accuracy=0.95),
    "linear": lambda: keyword_records(400, accuracy=0.95),
    "exact_lookup": lambda: repeat_records(200),
    "normalized_lookup": lambda: messy_repeat_records(200),
}


@pytest.mark.parametrize("synthesizer", list(CASES))
async def test_module_loads_and_agrees_on_every_heldout_input(synthesizer):
    records = CASES[synthesizer]()
    result = await synthesize(ROUTE, records, synthesizers=[synthesizer], seed=2)
    assert result.synthesizer == synthesizer
    module = load_module(result.code, result.code_path_hint)
    examples = examples_from_records(records)
    _, heldout = split(examples, 0.25, 2)
    # small histories are scored by cross-fitting: every example is held out once
    assert result.heldout_size == (len(examples) if len(examples) < CROSS_FIT_BELOW
                                   else len(heldout))
    final = await final_model(records, synthesizer)
    for example in heldout:
        answer = module.execute(example.input, {})
        output, raw = final.predict(example.input)
        assert answer["output"] == output
        assert answer["confidence"] == apply(result.calibration, raw)
        assert module.get_confidence(example.input) == answer["confidence"]
        assert answer["metadata"]["synthesizer"] == synthesizer
        assert answer["metadata"]["version"] == "v1"


async def final_model(records, synthesizer):
    """The winner refitted on all examples, as ``synthesize(seed=2)`` does before rendering."""
    from evomachine.evolution.synthesis.select import fitters, ordered_labels

    examples = examples_from_records(records)
    return fitters(2500, seed=2)[synthesizer](examples, ordered_labels(ROUTE, examples))


async def test_module_is_typed_and_documented():
    result = await synthesize(ROUTE, keyword_records(200), version="v7")
    code = result.code
    assert code.startswith('"""Generated code for task route, version v7.')
    assert f"Synthesizer: {result.synthesizer}." in code
    assert "Trained on 200 " in code
    assert "OUTPUT_VALUES = ('billing', 'tech', 'sales')" in code
    assert "def execute(input: dict, context: dict) -> dict:" in code
    assert "def get_confidence(input: dict) -> float:" in code
    assert "import typing" not in code
    assert result.code_path_hint == "generated/route_v7.py"


async def test_confidence_is_not_a_constant_and_lower_where_wrong():
    records = keyword_records(1200, accuracy=0.95, seed=5)
    result = await synthesize(ROUTE, records)
    module = load_module(result.code, result.code_path_hint)
    right, wrong = [], []
    for item in records[:600]:
        answer = module.execute(item.input, {})
        (right if answer["output"] == item.llm_output else wrong).append(answer["confidence"])
    assert wrong and max(wrong) < 1.0
    assert len({*right, *wrong}) > 1
    assert sum(wrong) / len(wrong) <= sum(right) / len(right)


async def test_the_module_is_deterministic():
    records = keyword_records(300, accuracy=0.9)
    first = await synthesize(ROUTE, records)
    second = await synthesize(ROUTE, records)
    assert first.code == second.code
    module = load_module(first.code, first.code_path_hint)
    item = records[0].input
    assert module.execute(item, {}) == module.execute(item, {})


def test_templates_load_from_package_resources():
    env = environment()
    assert {"module.py.j2", "exact_lookup.py.j2", "normalized_lookup.py.j2",
            "naive_bayes.py.j2", "linear.py.j2", "llm_code.py.j2"} <= set(env.list_templates())
    imports, helpers = runtime_source()
    assert imports.splitlines() == [
        "import json", "import math", "import re", "import unicodedata"]
    assert "def features(" in helpers and "BEGIN EMITTED" not in helpers


def test_check_module_names_the_file_and_line():
    with pytest.raises(SynthesisError, match=r"generated/x_v1.py:2: .*"):
        check_module("x = 1\ndef broken(:\n", "generated/x_v1.py")


async def test_result_carries_the_loaded_module_but_does_not_serialize_it():
    records = keyword_records(200)
    result = await synthesize(ROUTE, records)
    assert result.module.execute(records[0].input, {})["output"] in ROUTE.output_values
    dumped = result.model_dump()
    assert "module" not in dumped and dumped["code"] == result.code


@pytest.fixture(scope="module")
def keyword_module():
    """A naive Bayes module and its in-process twin, built once for the property test."""
    records = keyword_records(300, accuracy=0.9)
    result = run(synthesize(ROUTE, records, synthesizers=["naive_bayes"]))
    examples = examples_from_records(records)
    from evomachine.evolution.synthesis.select import fitters, ordered_labels

    model = fitters(2500)["naive_bayes"](examples, ordered_labels(ROUTE, examples))
    return result, model


@settings(max_examples=40, deadline=None)
@given(text=st.text(max_size=80) | st.sampled_from(["refund my card", "Login ERROR!!", "ｄｅｍｏ"]))
def test_module_matches_the_model_on_arbitrary_text(keyword_module, text):
    result, model = keyword_module
    answer = result.module.execute({"text": text}, {})
    output, raw = model.predict({"text": text})
    assert answer["output"] == output
    assert answer["metadata"]["raw_score"] == raw
    assert answer["confidence"] == apply(result.calibration, raw)
