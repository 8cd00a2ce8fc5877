"""A linear text classifier: an averaged margin perceptron trained in pure Python.

Features are those of naive Bayes (``runtime.features``: word uni-/bigrams and
character 3-5-grams of the normalised text), and so is the vocabulary: the
``max_features`` with the most mutual information with the label. Training
makes ``epochs`` passes in a seeded shuffle; an example whose class does not
lead the strongest rival by ``margin`` moves each of its features one step
towards its class and one away from the rival. Arithmetic is on integers, so
the same examples and seed give the same weights on any machine; the model
is the average of the weights over every step (less overfit to the last
examples seen), rounded to 1/SCALE. Rows are sparse: per feature only the
classes with a non-zero weight, and only the largest weights overall. The raw
score is the lead of the best class over the runner-up, in steps.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

from evomachine.evolution.synthesis.classifier import FeatureCache
from evomachine.evolution.synthesis.dataset import Example, label_key
from evomachine.evolution.synthesis.runtime import linear_predict, sparse_rows

SCALE = 100


@dataclass
class LinearModel:
    """Class labels, integer biases and sparse integer weights (both in units of 1/SCALE)."""

    labels: list[Any]
    bias: tuple[int, ...]
    weights: dict[str, list[int]]
    synthesizer: str = "linear"
    featurize: FeatureCache = field(default_factory=FeatureCache, repr=False)
    rows: dict[str, dict[int, int]] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.rows = sparse_rows(self.weights)

    def predict(self, input: Any) -> tuple[Any, float]:
        found = linear_predict(self.featurize(input), self.rows, self.bias, SCALE)
        return self.labels[found[0]], found[1]

    def body_template(self) -> str:
        return "linear.py.j2"

    def body_context(self) -> dict[str, Any]:
        return {"labels": self.labels, "bias": self.bias, "weights": self.weights,
                "scale": SCALE}


def train(xs: list[list[int]], ys: list[int], classes: int, size: int, *, epochs: int,
          margin: int, seed: int) -> list[list[int]]:
    """Averaged margin-perceptron weights, times SCALE, per feature id (dense rows).

    Every example also carries the bias, feature id ``size``. A row is packed in
    one integer, a fixed-width field per class, so summing an example's rows is
    one C ``sum`` whatever the number of classes, and an update is one addition
    per feature. The fields are wide enough that they never carry into each other.
    """
    steps = epochs * len(xs)
    longest = max(map(len, xs)) + 1
    width = max((longest * steps).bit_length(), (steps * steps).bit_length()) + 2
    shifts = [label * width for label in range(classes)]
    half = 1 << (width - 1)
    offset = sum(half << shift for shift in shifts)  # makes every field non-negative
    mask = (1 << width) - 1
    packed = [0] * (size + 1)
    summed = [0] * (size + 1)  # each update times its step, for the average
    order = list(range(len(xs)))
    rng = random.Random(seed)
    step = 1
    for _ in range(epochs):
        rng.shuffle(order)
        for index in order:
            x, y = xs[index], ys[index]
            total = sum([packed[feat] for feat in x], offset + packed[size])
            scores = [(total >> shift & mask) - half for shift in shifts]
            lead = scores[y]
            scores[y] = min(scores) - 1
            rival = scores.index(max(scores))
            if lead - scores[rival] < margin:
                delta = (1 << shifts[y]) - (1 << shifts[rival])
                weighted = delta * step
                for feat in x:
                    packed[feat] += delta
                    summed[feat] += weighted
                packed[size] += delta
                summed[size] += weighted
            step += 1

    def unpack(value: int) -> list[int]:
        value += offset
        return [(value >> shift & mask) - half for shift in shifts]

    # The mean over steps 1..T of the weight after each step is ((T + 1) w - sum t * update) / T,
    # rounded to 1/SCALE (half up) in integers.
    return [
        [(2 * ((steps + 1) * w - u) * SCALE + steps) // (2 * steps)
         for w, u in zip(unpack(value), unpack(weighted), strict=True)]
        for value, weighted in zip(packed, summed, strict=True)
    ]


def fit_linear(
    examples: list[Example],
    labels: list[Any],
    *,
    max_features: int = 2500,
    max_weights: int | None = None,
    min_df: int = 2,
    epochs: int = 5,
    margin: int = 300,
    seed: int = 0,
    cache: FeatureCache | None = None,
) -> LinearModel:
    """Train on ``examples``; ``labels`` lists every class at least one example carries.

    ``margin`` is in steps: each update moves the lead by twice the number of the
    example's known features plus two. Only the ``max_weights`` largest weights
    are kept (default four per feature): with many classes most are small, and
    the emitted table must stay well under the sandbox's source limit. Pass the
    same ``cache`` as other fits to extract each input's features once.
    """
    if epochs < 1:
        raise ValueError(f"epochs must be at least 1, got {epochs}")
    featurize = cache or FeatureCache()
    index = {label_key(label): position for position, label in enumerate(labels)}
    classes = len(labels)
    xs = [featurize(example.input) for example in examples]
    ys = [index[label_key(example.label)] for example in examples]
    if classes < 2 or not examples:
        return LinearModel(labels, tuple([0] * classes), {}, featurize=featurize)
    kept = featurize.ranking(examples, xs, ys, classes, min_df if len(examples) >= 20 else 1)
    kept = kept[:max_features]
    ids = {feat: position for position, feat in enumerate(kept)}
    known = [[ids[feat] for feat in x if feat in ids] for x in xs]
    averaged = train(known, ys, classes, len(kept), epochs=epochs, margin=margin, seed=seed)
    bias = averaged.pop()
    entries = [(at, label, weight) for at, row in enumerate(averaged)
               for label, weight in enumerate(row) if weight]
    limit = 4 * max_features if max_weights is None else max_weights
    if len(entries) > limit:
        entries.sort(key=lambda entry: -abs(entry[2]))  # stable: ties keep rank, then class
        entries = sorted(entries[:limit])
    weights: dict[str, list[int]] = {}
    for at, label, weight in entries:
        weights.setdefault(kept[at], []).extend((label, weight))
    return LinearModel(labels, tuple(bias), weights, featurize=featurize)
