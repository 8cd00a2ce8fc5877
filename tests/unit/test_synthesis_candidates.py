"""Each synthesizer on data built for it, and held-out selection of the right winner."""

from __future__ import annotations

import pytest
from test_synthesis_data import (
    ROUTE,
    keyword_records,
    messy_repeat_records,
    record,
    repeat_records,
)

from evomachine.evolution.synthesis import SynthesisError, TaskSpec, synthesize
from evomachine.evolution.synthesis.classifier import fit_naive_bayes
from evomachine.evolution.synthesis.dataset import Example, examples_from_records
from evomachine.evolution.synthesis.lookup import all_labels, fit_exact, fit_normalized


def test_exact_lookup_answers_the_majority_and_reports_misses():
    train = [Example({"text": "a"}, "x"), Example({"text": "a"}, "x"), Example({"text": "a"}, "y"),
             Example({"text": "b"}, "y"), Example({"text": "c"}, "y")]
    model = fit_exact(train, all_labels(train))
    assert model.predict({"text": "a"}) == ("x", 0.6667)
    assert model.predict({"text": "b"}) == ("y", 1.0)
    assert model.predict({"text": "A"}) == ("y", -1.0)  # miss: the majority label


def test_normalized_lookup_sees_through_case_space_punctuation_and_order():
    train = [Example({"text": "Reset my PASSWORD!"}, "tech"), Example({"text": "fee"}, "billing")]
    model = fit_normalized(train, all_labels(train))
    assert model.predict({"text": "reset   my password"}) == ("tech", 2.0)
    assert model.predict({"text": "password my reset."}) == ("tech", 1.0)
    assert model.predict({"text": "something else"})[1] == -1.0


def test_naive_bayes_learns_keyword_classes():
    examples = examples_from_records(keyword_records(600))
    train, test = examples[:450], examples[450:]
    model = fit_naive_bayes(train, all_labels(train))
    right = sum(model.predict(example.input)[0] == example.label for example in test)
    assert right / len(test) > 0.95
    assert 0 < len(model.weights) <= 2500


def test_naive_bayes_keeps_at_most_max_features():
    examples = examples_from_records(keyword_records(300))
    model = fit_naive_bayes(examples, all_labels(examples), max_features=50)
    assert len(model.weights) == 50


async def test_keyword_data_selects_the_classifier():
    result = await synthesize(ROUTE, keyword_records(800), verify_inputs=0)
    assert result.synthesizer == "naive_bayes"
    assert result.heldout_agreement > 0.95
    scores = result.scores
    assert scores["naive_bayes"]["heldout_agreement"] > scores["exact_lookup"]["heldout_agreement"]
    # cross-fitted: every example is held out once, each fold trains on the other three
    assert result.heldout_size == 800 and result.train_size == 600


async def test_exact_repeats_select_the_exact_lookup():
    result = await synthesize(ROUTE, repeat_records(400), verify_inputs=0)
    # It ties with the normalised lookup: the simpler one wins.
    assert result.synthesizer == "exact_lookup"
    assert result.heldout_agreement == 1.0
    assert result.scores["exact_lookup"]["coverage"] == 1.0
    assert result.scores["normalized_lookup"]["heldout_agreement"] == 1.0


async def test_messy_repeats_select_the_normalized_lookup():
    result = await synthesize(ROUTE, messy_repeat_records(400), verify_inputs=0)
    assert result.synthesizer == "normalized_lookup"
    assert result.heldout_agreement == 1.0
    assert result.scores["exact_lookup"]["heldout_agreement"] < 0.9


async def test_noisy_labels_give_calibrated_confidence_below_one():
    result = await synthesize(ROUTE, keyword_records(1000, accuracy=0.95, seed=3), verify_inputs=0)
    assert result.synthesizer == "naive_bayes"
    assert 0.9 < result.heldout_agreement < 0.99
    confidences = [bin.confidence for bin in result.calibration]
    assert confidences == sorted(confidences)
    assert max(confidences) < 1.0
    assert result.scores["naive_bayes"]["calibration_error"] < 0.08


async def test_scores_report_every_candidate():
    result = await synthesize(ROUTE, keyword_records(200), verify_inputs=0)
    assert set(result.scores) == {"exact_lookup", "normalized_lookup", "naive_bayes", "linear"}
    for score in result.scores.values():
        keys = {"heldout_agreement", "coverage", "n_train", "n_heldout", "calibration_error"}
        assert keys <= set(score)
    selected = [name for name, score in result.scores.items() if score["selected"]]
    assert selected == [result.synthesizer]


async def test_the_split_is_deterministic_by_seed():
    records = keyword_records(300, accuracy=0.9)
    first = await synthesize(ROUTE, records, seed=4, verify_inputs=0)
    again = await synthesize(ROUTE, records, seed=4, verify_inputs=0)
    assert first.code == again.code and first.scores.keys() == again.scores.keys()


async def test_too_little_history_is_a_clear_error():
    with pytest.raises(SynthesisError, match="at least 4"):
        await synthesize(ROUTE, [record("a", "tech"), record("b", "sales")])


async def test_unknown_synthesizer_is_refused():
    with pytest.raises(ValueError, match="unknown synthesizer"):
        await synthesize(ROUTE, keyword_records(20), synthesizers=["magic"])


async def test_two_thousand_records_synthesize_into_a_bounded_module():
    # How long it takes is measured in bench/ (synthesis_ms per workload), not asserted here.
    records = keyword_records(2000, accuracy=0.95)
    result = await synthesize(ROUTE, records, verify_inputs=0)
    assert result.heldout_size == 2000 and result.heldout_agreement > 0.9
    assert len(result.code) < 300_000


async def test_non_text_labels_and_inputs_work():
    spec = TaskSpec(name="score", output_schema={"type": "integer"})
    records = [record(f"item {i % 7}", i % 7 * 10) for i in range(60)]
    result = await synthesize(spec, records, verify_inputs=0)
    assert result.heldout_agreement == 1.0
    assert "OUTPUT_TYPE = 'int'" in result.code


async def test_many_classes_keep_the_module_small():
    import random

    rng = random.Random(9)
    names = [f"company{index:02d}" for index in range(40)]
    records = []
    for _ in range(1500):
        name = rng.choice(names)
        noisy = "".join(char.upper() if rng.random() < 0.2 else char for char in name)
        records.append(record(f"{noisy} {rng.choice(['inc', 'ltd', 'hq', ''])}", name))
    spec = TaskSpec(name="normalise", output_schema={"enum": names})
    result = await synthesize(spec, records)
    assert result.heldout_agreement > 0.95
    assert len(result.code) < 300_000
