"""SimulatedLLM: determinism, accuracy and error statistics, data-set lookups."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evomachine import LLMError, LLMRequest, SimulatedLLM
from evomachine.llm import LLMClient, parse_answer
from evomachine.llm.simulated import canonical_key, estimate_tokens, perturb

LABELS = ["billing", "tech", "sales"]
ENUM = {"enum": LABELS}


def records(count: int = 300) -> list[dict]:
    rng = random.Random(7)
    return [
        {"id": i, "text": f"ticket {i} words {rng.randint(0, 9999)}", "label": rng.choice(LABELS)}
        for i in range(count)
    ]


def request_for(record: dict, **extra) -> LLMRequest:
    data = {k: v for k, v in record.items() if k != "label"}
    return LLMRequest(prompt=f"Route: {data['text']}", task="route", input=data,
                      output_schema=ENUM, **extra)


async def answers(llm: SimulatedLLM, rows: list[dict]) -> list:
    out = []
    for row in rows:
        try:
            out.append((await llm.complete(request_for(row))).model_dump())
        except LLMError as error:
            out.append(("error", error.reason))
    return out


def test_is_an_llm_client():
    assert isinstance(SimulatedLLM({}), LLMClient)


async def test_from_records_finds_every_label():
    rows = records()
    llm = SimulatedLLM.from_records(rows, "label")
    for row in rows:
        response = await llm.complete(request_for(row))
        assert response.text == row["label"]
        assert response.model == "simulated"


async def test_from_records_with_key_fields_ignores_other_fields():
    rows = records(50)
    llm = SimulatedLLM.from_records(rows, "label", key_fields=["text"])
    row = rows[3]
    request = LLMRequest(prompt="p", task="route", input={"text": row["text"], "extra": 1})
    assert (await llm.complete(request)).text == row["label"]


async def test_label_in_the_input_is_ignored_on_lookup():
    rows = records(20)
    llm = SimulatedLLM.from_records(rows, "label")
    request = LLMRequest(prompt="p", task="route", input=rows[0])
    assert (await llm.complete(request)).text == rows[0]["label"]


async def test_duplicate_inputs_take_the_majority_label():
    rows = [{"text": "x", "label": "a"}, {"text": "x", "label": "b"}, {"text": "x", "label": "b"}]
    llm = SimulatedLLM.from_records(rows, "label")
    assert (await llm.complete(LLMRequest(prompt="", task="t", input={"text": "x"}))).text == "b"


def test_from_records_names_a_record_without_label():
    with pytest.raises(ValueError, match="record 1 has no label field 'label'"):
        SimulatedLLM.from_records([{"text": "a", "label": "x"}, {"text": "b"}], "label")


async def test_non_string_labels_come_back_as_json_text():
    llm = SimulatedLLM.from_records([{"q": "2+2", "answer": 4}], "answer")
    response = await llm.complete(LLMRequest(prompt="", task="t", input={"q": "2+2"}))
    assert response.text == "4"


async def test_mapping_keyed_by_plain_string_input():
    llm = SimulatedLLM({"hello": "greeting"})
    response = await llm.complete(LLMRequest(prompt="hello", task="t", input="hello"))
    assert response.text == "greeting"


async def test_unknown_input_raises_unless_default():
    request = LLMRequest(prompt="", task="route", input={"text": "never seen"})
    with pytest.raises(LLMError, match="no answer for task 'route'"):
        await SimulatedLLM({}).complete(request)
    assert (await SimulatedLLM({}, default="tech").complete(request)).text == "tech"


async def test_function_answers_see_the_request():
    llm = SimulatedLLM(lambda request: request.input["text"].upper())
    response = await llm.complete(LLMRequest(prompt="", task="t", input={"text": "abc"}))
    assert response.text == "ABC"


async def test_same_seed_repeats_exactly_and_other_seeds_differ():
    rows = records(200)
    options = dict(accuracy=0.7, error_rate=0.1, latency_ms=(300, 100))
    first = await answers(SimulatedLLM.from_records(rows, "label", seed=11, **options), rows)
    second = await answers(SimulatedLLM.from_records(rows, "label", seed=11, **options), rows)
    other = await answers(SimulatedLLM.from_records(rows, "label", seed=12, **options), rows)
    assert first == second
    assert first != other


async def test_order_of_calls_does_not_change_each_inputs_answer():
    rows = records(100)
    forward = SimulatedLLM.from_records(rows, "label", seed=3, accuracy=0.5)
    backward = SimulatedLLM.from_records(rows, "label", seed=3, accuracy=0.5)
    a = await answers(forward, rows)
    b = await answers(backward, list(reversed(rows)))
    assert a == list(reversed(b))


async def test_repeated_questions_are_independent_draws():
    llm = SimulatedLLM({}, default="billing", accuracy=0.5, seed=1)
    request = LLMRequest(prompt="", task="t", input="same", output_schema=ENUM)
    texts = {(await llm.complete(request)).text for _ in range(40)}
    assert "billing" in texts and len(texts) > 1


async def test_consistent_model_gives_each_input_the_same_answer_every_time():
    llm = SimulatedLLM({}, default="billing", accuracy=0.5, seed=1, consistent=True)
    for value in range(30):
        request = LLMRequest(prompt="", task="t", input=value, output_schema=ENUM)
        assert len({(await llm.complete(request)).text for _ in range(10)}) == 1
    assert llm.calls == 300


async def test_consistent_model_keeps_its_accuracy_across_inputs_and_seeds():
    rows = records(2000)
    llm = SimulatedLLM.from_records(rows, "label", accuracy=0.8, seed=5, consistent=True)
    again = SimulatedLLM.from_records(rows, "label", accuracy=0.8, seed=6, consistent=True)
    first = [(await llm.complete(request_for(row))).text for row in rows]
    other = [(await again.complete(request_for(row))).text for row in rows]
    assert abs(sum(t == r["label"] for t, r in zip(first, rows, strict=True)) / 2000 - 0.8) < 0.04
    assert first != other
    assert [(await llm.complete(request_for(row))).text for row in rows] == first


async def test_consistent_is_off_by_default_and_described():
    assert SimulatedLLM({}).consistent is False
    assert SimulatedLLM({}, consistent=True).describe()["consistent"] is True
    assert "consistent=True" in repr(SimulatedLLM({}, consistent=True))


async def test_billed_sums_the_cost_of_every_response_by_purpose():
    llm = SimulatedLLM({}, default="tech", price=(3.0, 15.0), codegen=lambda r: "def solve(x): 1")
    assert llm.billed == 0.0 and llm.calls_by_purpose == {}
    costs = [(await llm.complete(LLMRequest(prompt="x" * n, task="t", input=n))).cost
             for n in (40, 400, 4000)]
    codegen = await llm.complete(LLMRequest(prompt="code", task="t", purpose="codegen"))
    assert llm.billed == pytest.approx(sum(costs) + codegen.cost)
    assert llm.calls_by_purpose == {"task": 3, "codegen": 1}


async def test_failed_calls_are_counted_but_not_billed():
    llm = SimulatedLLM({}, default="tech", price=(3.0, 15.0), error_rate=1.0)
    with pytest.raises(LLMError):
        await llm.complete(LLMRequest(prompt="x" * 400, task="t", input="a"))
    declined = SimulatedLLM({}, price=(3.0, 15.0))
    with pytest.raises(LLMError, match="writes no code"):
        await declined.complete(LLMRequest(prompt="code", task="t", purpose="codegen"))
    assert (llm.calls, llm.billed, declined.calls, declined.billed) == (1, 0.0, 1, 0.0)


async def test_accuracy_and_error_rate_statistics():
    rows = records(2000)
    llm = SimulatedLLM.from_records(rows, "label", accuracy=0.8, error_rate=0.1, seed=5)
    right = wrong = errors = 0
    for row in rows:
        try:
            text = (await llm.complete(request_for(row))).text
        except LLMError as error:
            assert error.retryable
            errors += 1
            continue
        assert text in LABELS  # wrong answers stay inside the enum
        if text == row["label"]:
            right += 1
        else:
            wrong += 1
    assert abs(errors / len(rows) - 0.1) < 0.03
    assert abs(right / (right + wrong) - 0.8) < 0.04
    assert llm.calls == len(rows)


async def test_wrong_answers_without_enum_are_perturbed_but_same_kind():
    llm = SimulatedLLM(lambda request: request.input, accuracy=0.0, seed=2)
    for value, schema in [("42", {"type": "number"}), ("true", {"type": "boolean"}),
                          ("billing", None)]:
        text = (await llm.complete(LLMRequest(prompt="", task="t", input=value))).text
        assert text != value
        if schema is not None:
            parse_answer(text, schema)  # still a valid number / boolean


async def test_latency_is_recorded_not_slept_and_within_jitter():
    llm = SimulatedLLM({}, default="x", latency_ms=(500.0, 100.0))
    latencies = [
        (await llm.complete(LLMRequest(prompt="", task="t", input=i))).latency_ms
        for i in range(200)
    ]
    assert all(400.0 <= value <= 600.0 for value in latencies)
    assert abs(sum(latencies) / len(latencies) - 500.0) < 15.0
    # nothing was slept: this whole test runs without a loop in Pyodide, where sleeping would fail


async def test_tokens_and_cost_from_text_length_and_price():
    llm = SimulatedLLM({}, default="tech", price=(3.0, 15.0))
    response = await llm.complete(LLMRequest(prompt="x" * 400, task="t", input="a"))
    assert (response.input_tokens, response.output_tokens) == (100, 1)
    assert response.cost == pytest.approx((100 * 3.0 + 1 * 15.0) / 1e6)


async def test_codegen_without_a_writer_raises_and_with_one_answers():
    request = LLMRequest(prompt="write code", task="route", purpose="codegen")
    with pytest.raises(LLMError, match="writes no code"):
        await SimulatedLLM({}).complete(request)
    llm = SimulatedLLM({}, codegen=lambda r: "def execute(input, context):\n    return {}\n")
    assert (await llm.complete(request)).text.startswith("def execute")


@pytest.mark.parametrize("bad", [dict(accuracy=1.5), dict(error_rate=-0.1),
                                 dict(latency_ms=(-1.0, 0.0))])
def test_invalid_knobs_are_rejected(bad):
    with pytest.raises(ValueError):
        SimulatedLLM({}, **bad)


def test_describe_and_repr_show_settings():
    llm = SimulatedLLM({}, accuracy=0.9, seed=4)
    assert "accuracy=0.9" in repr(llm)
    assert llm.describe()["seed"] == 4 and llm.describe()["provider"] == "simulated"


@pytest.mark.needs_event_loop
async def test_sleep_true_really_waits():
    import time
    llm = SimulatedLLM({}, default="x", latency_ms=30.0, sleep=True)
    start = time.perf_counter()
    await llm.complete(LLMRequest(prompt="", task="t", input=1))
    assert time.perf_counter() - start >= 0.025


def test_canonical_key_ignores_key_order_and_projects_fields():
    assert canonical_key({"b": 1, "a": 2}) == canonical_key({"a": 2, "b": 1})
    assert canonical_key({"a": 1, "b": 2}, ["a"]) == canonical_key({"a": 1, "c": 3}, ["a"])


def test_estimate_tokens():
    assert estimate_tokens("") == 0 and estimate_tokens("a") == 1 and estimate_tokens("a" * 9) == 3


@settings(max_examples=200)
@given(st.text(max_size=20), st.integers(0, 2**32))
def test_property_perturb_always_differs(text, seed):
    assert perturb(text, random.Random(seed)) != text
