"""Pure parts of synthesis: runtime helpers, the split, calibration."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evomachine.evolution.synthesis.calibration import (
    apply,
    cross_fitted_ece,
    expected_calibration_error,
    fit_calibration,
)
from evomachine.evolution.synthesis.dataset import Example, examples_from_records, split
from evomachine.evolution.synthesis.runtime import (
    calibrate,
    canonical,
    features,
    nb_predict,
    normalise,
    sorted_tokens,
    text_of,
)
from evomachine.history import ExecutionRecord


def test_normalise_folds_case_width_punctuation_and_space():
    assert normalise("  Hello,\tWORLD!!  ｆｕｌｌ  ") == "hello world full"
    assert sorted_tokens("b a b c") == "a b c"


def test_text_of_joins_mapping_values_in_key_order():
    assert text_of("plain") == "plain"
    assert text_of({"b": "second", "a": "first", "n": 3}) == "first second 3"
    assert text_of([1, "x"]) == canonical([1, "x"]) == '[1,"x"]'


def test_features_hold_words_bigrams_and_char_grams_once():
    found = features("ab cd ab")
    assert len(found) == len(set(found))
    assert {"w ab", "w cd", "b ab cd", "b cd ab", "c  ab", "c ab c", "c  ab c"} <= set(found)


def test_nb_predict_margin_and_first_class_tie_break():
    assert nb_predict(["x"], {"x": (0, 2.0)}, (0.0, 0.0), (-1.0, -1.0)) == (1, 2.0)
    assert nb_predict(["x"], {"x": (0.5, 0)}, (0.0, 0.0), (-1.0, -2.0)) == (0, 1.5)
    assert nb_predict(["y"], {"x": (0, 2.0)}, (0.0, 0.0), (-1.0, -1.0)) == (0, 0.0)
    assert nb_predict([], {}, (0.0,), (-1.0,)) == (0, 0.0)


def test_calibrate_steps_and_clamps_without_a_table():
    table = ((-1.0, 0.2), (0.5, 0.7), (2.0, 0.9))
    assert [calibrate(raw, table) for raw in (-5, -1, 0.4, 0.5, 3)] == [0.2, 0.2, 0.2, 0.7, 0.9]
    assert calibrate(3.0, ()) == 1.0 and calibrate(-2.0, ()) == 0.0


def test_examples_keep_only_successful_llm_answers():
    records = [
        ExecutionRecord(task="t", input="a", llm_output="x"),
        ExecutionRecord(task="t", input="b", llm_output=None, output="code said"),
        ExecutionRecord(task="t", input="c", llm_output="y", success=False),
    ]
    assert examples_from_records(records) == [Example("a", "x")]


@settings(max_examples=60, deadline=None)
@given(
    labels=st.lists(st.sampled_from("abcd"), min_size=2, max_size=80),
    fraction=st.floats(0.05, 0.95),
    seed=st.integers(0, 10),
)
def test_split_is_a_deterministic_stratified_partition(labels, fraction, seed):
    examples = [Example(index, label) for index, label in enumerate(labels)]
    train, held = split(examples, fraction, seed)
    assert (train, held) == split(examples, fraction, seed)
    assert train and held
    assert sorted([*train, *held]) == sorted(examples)
    for label in set(labels):
        count = labels.count(label)
        in_held = sum(example.label == label for example in held)
        if count >= 2:
            assert 1 <= in_held <= count - 1


def test_split_refuses_bad_arguments():
    with pytest.raises(ValueError, match="holdout_fraction"):
        split([Example(1, "a"), Example(2, "b")], 1.0, 0)
    with pytest.raises(ValueError, match="at least 2"):
        split([Example(1, "a")], 0.5, 0)


pairs_strategy = st.lists(st.tuples(st.floats(-5, 5, allow_nan=False), st.booleans()), max_size=200)


@settings(max_examples=80, deadline=None)
@given(pairs=pairs_strategy)
def test_calibration_is_monotone_and_strictly_inside_zero_one(pairs):
    table = fit_calibration(pairs)
    confidences = [bin.confidence for bin in table]
    assert confidences == sorted(confidences)
    assert all(0.0 < value < 1.0 for value in confidences)
    assert sum(bin.count for bin in table) == len(pairs)
    starts = [bin.start for bin in table]
    assert starts == sorted(starts)
    raws = sorted(score for score, _ in pairs)
    mapped = [apply(table, raw) for raw in raws]
    assert mapped == sorted(mapped)


def test_calibration_tracks_observed_agreement():
    # Scores 0..9; agreement rises with the score: 10% at 0 ... 100% at 9.
    pairs = [(float(score), i < (score + 1) * 10) for score in range(10) for i in range(100)]
    table = fit_calibration(pairs)
    assert len(table) == 10
    for bin in table:
        observed = bin.agreed / bin.count
        assert abs(bin.confidence - observed) < 0.02
    assert cross_fitted_ece(pairs) < 0.05


def test_calibration_pools_violations():
    pairs = [(0.0, True)] * 9 + [(0.0, False)] + [(1.0, True)] * 5 + [(1.0, False)] * 5
    table = fit_calibration(pairs, bins=2)
    assert len(table) == 1 and table[0].count == 20 and table[0].agreed == 14


def test_expected_calibration_error_is_zero_when_confidence_matches():
    assert expected_calibration_error([0.5] * 4, [True, False, True, False]) == 0.0
    assert math.isclose(expected_calibration_error([1.0] * 4, [False] * 4), 1.0)
