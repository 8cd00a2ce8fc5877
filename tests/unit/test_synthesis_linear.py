"""The linear synthesizer: what it learns, that it is deterministic, and that its module agrees."""

from __future__ import annotations

import math
import random
from itertools import pairwise

import pytest
from test_synthesis_data import ROUTE, keyword_records

from evomachine.evolution.synthesis import TaskSpec, synthesize
from evomachine.evolution.synthesis.calibration import fit_calibration
from evomachine.evolution.synthesis.classifier import (
    FeatureCache,
    fit_naive_bayes,
    mutual_information,
)
from evomachine.evolution.synthesis.dataset import Example, examples_from_records
from evomachine.evolution.synthesis.linear import UNIT, fit_linear, train
from evomachine.evolution.synthesis.lookup import all_labels
from evomachine.evolution.synthesis.ranking import ranked_features
from evomachine.evolution.synthesis.render import render_module
from evomachine.evolution.synthesis.select import Evaluation, fitters, verify

LETTERS = "abcdefghijklmnopqrstuvwxyz"


def messy_codes(count: int, *, codes: int = 30, seed: int = 0) -> list[Example]:
    """Random letter codes asked with typos, case changes and a little wrapping text."""
    rng = random.Random(seed)
    names: list[str] = []
    while len(names) < codes:
        name = "".join(rng.choice(LETTERS) for _ in range(rng.randint(5, 8)))
        if name not in names:
            names.append(name)
    examples = []
    for _ in range(count):
        name = rng.choice(names)
        chars = list(name)
        for _ in range(rng.randint(0, 2)):  # drop, double, swap or replace a letter
            at = rng.randrange(len(chars))
            kind = rng.randrange(4)
            if kind == 0 and len(chars) > 3:
                del chars[at]
            elif kind == 1:
                chars.insert(at, chars[at])
            elif kind == 2 and at + 1 < len(chars):
                chars[at], chars[at + 1] = chars[at + 1], chars[at]
            else:
                chars[at] = rng.choice(LETTERS)
        text = "".join(chars)
        text = text.upper() if rng.random() < 0.3 else text
        wrap = rng.choice(["{}", "{}", "code {}", "{} please", "re: {}", "{}!!"])
        examples.append(Example({"text": wrap.format(text)}, name.upper()))
    return examples


def agreement(model, heldout: list[Example]) -> float:
    return sum(model.predict(example.input)[0] == example.label for example in heldout) / len(
        heldout
    )


def test_learns_a_separable_keyword_task():
    examples = examples_from_records(keyword_records(400))
    train_set, heldout = examples[:300], examples[300:]
    model = fit_linear(train_set, all_labels(train_set))
    assert agreement(model, heldout) == 1.0
    assert all(model.predict(example.input)[1] > 0 for example in heldout)
    assert 0 < len(model.weights) <= 10000


def test_beats_naive_bayes_on_messy_codes():
    """On average over six data sets (one in six may go either way by an example or two)."""
    linear_total = bayes_total = 0.0
    for seed in range(6):
        examples = messy_codes(600, seed=seed)
        train_set, heldout = examples[:450], examples[450:]
        labels = all_labels(examples)
        cache = FeatureCache()
        linear = agreement(fit_linear(train_set, labels, cache=cache), heldout)
        assert linear > 0.9, f"seed {seed}: linear {linear:.3f}"
        linear_total += linear
        bayes_total += agreement(fit_naive_bayes(train_set, labels, cache=cache), heldout)
    assert linear_total / 6 >= bayes_total / 6 + 0.01, (linear_total / 6, bayes_total / 6)


def test_two_fits_are_identical_and_the_seed_matters():
    examples = messy_codes(300, seed=4)
    labels = all_labels(examples)
    first, second = fit_linear(examples, labels), fit_linear(examples, labels)
    assert (first.weights, first.bias) == (second.weights, second.bias)
    assert list(first.weights) == list(second.weights)  # same order, same emitted text
    other = fit_linear(examples, labels, seed=1)
    assert (other.weights, other.bias) != (first.weights, first.bias)


def test_weights_are_integers_and_rows_sparse():
    examples = messy_codes(300, seed=5)
    model = fit_linear(examples, all_labels(examples))
    for row in model.weights.values():
        assert row and len(row) % 2 == 0
        assert all(isinstance(value, int) for value in row)
        assert all(row[at + 1] != 0 for at in range(0, len(row), 2))
    assert all(isinstance(value, int) for value in model.bias)


def test_max_weights_keeps_the_largest():
    examples = messy_codes(400, codes=40, seed=6)
    labels = all_labels(examples)
    full = fit_linear(examples, labels, max_weights=10**9)
    small = fit_linear(examples, labels, max_weights=500)
    kept = [abs(row[at]) for row in small.weights.values() for at in range(1, len(row), 2)]
    everything = sorted(
        (abs(row[at]) for row in full.weights.values() for at in range(1, len(row), 2)),
        reverse=True,
    )
    assert len(kept) == 500 < len(everything)
    assert min(kept) == everything[499]


def reference_train(xs, amounts, norms, ys, classes, size, *, epochs, margin, seed):
    """The same averaged margin perceptron on plain lists, one class at a time, exact means."""
    weights = [[0] * classes for _ in range(size)]
    sums = [[0] * classes for _ in range(size)]
    bias = [0] * classes
    bias_sums = [0] * classes
    order = list(range(len(xs)))
    rng = random.Random(seed)
    step = 1
    for _ in range(epochs):
        rng.shuffle(order)
        for index in order:
            x, y, norm = xs[index], ys[index], norms[index]
            scores = [sum(weights[feat][label] for feat in x) / norm + bias[label]
                      for label in range(classes)]
            rivals = [label for label in range(classes) if label != y]
            rival = max(rivals, key=lambda label: (scores[label], -label))
            if scores[y] - scores[rival] < margin:
                for feat, amount in zip(x, amounts[index], strict=True):
                    weights[feat][y] += amount
                    weights[feat][rival] -= amount
                    sums[feat][y] += step * amount
                    sums[feat][rival] -= step * amount
                bias[y] += UNIT
                bias[rival] -= UNIT
                bias_sums[y] += step * UNIT
                bias_sums[rival] -= step * UNIT
            step += 1
    steps = step - 1

    def mean(value, weighted):
        return ((steps + 1) * value - weighted) / steps

    return ([[mean(w, u) for w, u in zip(row, acc, strict=True)]
             for row, acc in zip(weights, sums, strict=True)],
            [mean(b, u) for b, u in zip(bias, bias_sums, strict=True)])


@pytest.mark.parametrize(("classes", "margin"), [(2, 5), (3, 300), (7, 40)])
def test_packed_training_equals_the_plain_perceptron(classes, margin):
    rng = random.Random(classes)
    size = 30
    xs = [sorted(rng.sample(range(size), rng.randint(0, 8))) for _ in range(60)]
    amounts = [[rng.randint(1, 90) for _ in x] for x in xs]
    norms = [math.sqrt(rng.randint(3, 40)) for _ in xs]
    ys = [rng.randrange(classes) for _ in xs]
    got = train(xs, amounts, norms, ys, classes, size, epochs=3, margin=margin * UNIT, seed=2)
    want = reference_train(xs, amounts, norms, ys, classes, size, epochs=3, margin=margin * UNIT,
                           seed=2)
    assert got == want
    assert any(value < 0 for row in got[0] for value in row)


def test_long_and_short_texts_weigh_alike():
    """A label carried by one word is learnt whatever the length of the text around it."""
    rng = random.Random(3)
    filler = ["lorem", "ipsum", "dolor", "sit", "amet", "consectetur", "adipiscing", "elit"]
    examples = []
    for _ in range(300):
        label = rng.choice(["red", "blue"])
        words = [rng.choice(filler) for _ in range(rng.choice([1, 2, 40, 60]))]
        words.insert(rng.randrange(len(words) + 1), label + "ish")
        examples.append(Example({"text": " ".join(words)}, label))
    model = fit_linear(examples[:200], ["red", "blue"])
    assert agreement(model, examples[200:]) == 1.0


def test_features_are_ranked_by_mutual_information():
    examples = messy_codes(200, codes=5, seed=7)
    labels = all_labels(examples)
    index = {label: position for position, label in enumerate(labels)}
    cache = FeatureCache()
    xs = [cache(example.input) for example in examples]
    ys = [index[example.label] for example in examples]
    ranked = ranked_features(xs, ys, len(labels), 2)
    class_docs = [ys.count(label) for label in range(len(labels))]
    counts: dict[str, list[int]] = {}
    for x, y in zip(xs, ys, strict=True):
        for feat in x:
            counts.setdefault(feat, [0] * len(labels))[y] += 1
    assert set(ranked) == {feat for feat, row in counts.items() if sum(row) >= 2}
    scores = [mutual_information(counts[feat], class_docs, len(xs)) for feat in ranked]
    assert all(a >= b - 1e-9 for a, b in pairwise(scores))
    assert math.isclose(scores[0], max(scores))


async def test_the_module_answers_like_the_model_on_every_heldout_input():
    examples = messy_codes(500, seed=8)
    train_set, heldout = examples[:380], examples[380:]
    spec = TaskSpec(name="code", output_schema={"enum": all_labels(examples)})
    model = fitters(2500)["linear"](train_set, all_labels(examples))
    evaluation = Evaluation(model, heldout)
    calibration = fit_calibration(evaluation.pairs)
    code = render_module(spec, model, version="v1", calibration=calibration,
                         trained_on=len(train_set), heldout_agreement=evaluation.agreement,
                         heldout_size=len(heldout))
    module = await verify(code, "generated/code_v1.py", model, [e.input for e in heldout],
                          calibration, None)
    assert {"predict", "execute", "get_confidence"} <= set(module.functions)
    result = module.execute(heldout[0].input, {})
    assert result["metadata"]["synthesizer"] == "linear"
    assert result["output"] == model.predict(heldout[0].input)[0]
    assert "SCALE = 100" in code and "ROWS = sparse_rows(json.loads(" in code


async def test_synthesize_offers_the_linear_candidate():
    result = await synthesize(ROUTE, keyword_records(300, accuracy=0.9), verify_inputs=10)
    score = result.scores["linear"]
    assert score["heldout_agreement"] > 0.8
    assert score["n_heldout"] == 300
    only = await synthesize(ROUTE, keyword_records(300), synthesizers=["linear"])
    assert only.synthesizer == "linear" and set(only.scores) == {"linear"}
    assert only.module.execute({"text": "refund my invoice please"}, {})["output"] == "billing"
