"""k-fold cross-fitting for small histories."""

from __future__ import annotations

from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_synthesis_data import ROUTE, keyword_records

from evomachine.evolution.synthesis import synthesize
from evomachine.evolution.synthesis.dataset import Example, folds
from evomachine.evolution.synthesis.select import CROSS_FIT_BELOW


@settings(max_examples=60, deadline=None)
@given(labels=st.lists(st.sampled_from("abc"), min_size=4, max_size=60),
       k=st.integers(2, 4), seed=st.integers(0, 50))
def test_every_example_is_held_out_exactly_once(labels, k, seed):
    examples = [Example({"i": i}, label) for i, label in enumerate(labels)]
    if len(examples) < k:
        return
    rounds = folds(examples, k, seed)
    assert len(rounds) == k
    held = [example.input["i"] for _, heldout in rounds for example in heldout]
    assert sorted(held) == list(range(len(examples)))
    for train, heldout in rounds:
        assert len(train) + len(heldout) == len(examples)
        assert not {id(e) for e in train} & {id(e) for e in heldout}
    # stratified: each label's examples spread over the folds within one of each other
    for label in set(labels):
        per_fold = [sum(e.label == label for e in heldout) for _, heldout in rounds]
        assert max(per_fold) - min(per_fold) <= 1


def test_too_few_examples_for_k_folds_is_an_error():
    with pytest.raises(ValueError):
        folds([Example({}, "a")], 2, 0)


async def test_small_histories_are_scored_on_every_example_and_large_ones_on_a_split():
    small = await synthesize(ROUTE, keyword_records(120), synthesizers=["naive_bayes"])
    assert small.heldout_size == 120
    assert small.scores["naive_bayes"]["cross_fitted_folds"] == 4
    large = await synthesize(ROUTE, keyword_records(CROSS_FIT_BELOW + 40),
                             synthesizers=["naive_bayes"])
    assert large.heldout_size < CROSS_FIT_BELOW
    assert large.scores["naive_bayes"]["cross_fitted_folds"] == 0
    assert Counter(s["selected"] for s in large.scores.values())[True] == 1
