"""A linear text classifier: an averaged margin perceptron trained in pure Python.

Features are those of naive Bayes (``runtime.features``: word uni-/bigrams and
character 3-5-grams of the normalised text), binary, weighted by their inverse
document frequency and divided by the text's length norm (``runtime.length_norm``,
close to the l2 norm of the feature vector): long and short texts weigh alike.
The vocabulary is the ``max_features`` features with the most mutual information
with the label (seen at least ``min_df`` times). Training makes ``epochs`` passes
in a seeded shuffle; an example whose class does not lead the strongest rival by
the margin moves each of its features towards its class and away from the rival.
The margin is ``margin`` times the examples' mean squared feature norm, so it
means the same on short names and long mails. Weights are integers (fixed
point), so the same examples and seed give the same weights on any machine; the
model is the average of the weights over every step (less overfit to the last
examples seen), rounded to 1/SCALE. Rows are sparse: per feature only the
classes with a non-zero weight, and only the largest weights overall. The raw
score is the lead of the best class over the runner-up.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from typing import Any

from evomachine.cooperate import checkpoint
from evomachine.evolution.synthesis.classifier import FeatureCache
from evomachine.evolution.synthesis.dataset import Example, label_key
from evomachine.evolution.synthesis.runtime import (
    length_norm,
    normalise,
    scaled_best,
    sparse_rows,
    summed,
    text_of,
)

SCALE = 100
UNIT = 1 << 16  # fixed-point unit of the training weights
IDF_DIGITS = 6  # idf is rounded so that a last-bit difference in math.log cannot matter


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
        text = normalise(text_of(input))
        found = summed(list(filter(None, map(self.rows.get, self.featurize(input)))),
                       (0,) * len(self.bias))
        best = scaled_best(found, self.bias, length_norm(text), SCALE)
        return self.labels[best[0]], best[1]

    def body_template(self) -> str:
        return "linear.py.j2"

    def body_context(self) -> dict[str, Any]:
        return {"labels": self.labels, "bias": self.bias, "weights": self.weights,
                "scale": SCALE, "zero": (0,) * len(self.bias)}


def train(xs: list[list[int]], amounts: list[list[int]], norms: list[float], ys: list[int],
          classes: int, size: int, *, epochs: int, margin: float, seed: int
          ) -> tuple[list[list[float]], list[float]]:
    """Averaged margin-perceptron ``(weights per feature id, bias per class)`` in units of UNIT.

    Example ``i`` holds feature ids ``xs[i]``; an update adds ``amounts[i][j]`` (its
    feature's idf squared over ``norms[i]``, in units) to feature ``xs[i][j]``, and a
    class's score is its summed weights over ``norms[i]`` plus its bias. A row is
    packed in one integer, a fixed-width field per class, so summing an example's
    rows is one C ``sum`` whatever the number of classes; the fields are wide
    enough that they never carry into each other.
    """
    steps = epochs * len(xs)
    largest = max((max(row) for row in amounts if row), default=1)
    longest = max(map(len, xs), default=0) + 1
    width = max((longest * steps * largest).bit_length(),
                (steps * steps * largest).bit_length()) + 2
    shifts = [label * width for label in range(classes)]
    half = 1 << (width - 1)
    offset = sum(half << shift for shift in shifts)  # makes every field non-negative
    mask = (1 << width) - 1
    packed = [0] * size
    summed_ = [0] * size  # each update times its step, for the average
    bias = [0] * classes
    bias_summed = [0] * classes
    order = list(range(len(xs)))
    rng = random.Random(seed)
    step = 1
    for _ in range(epochs):
        rng.shuffle(order)
        for index in order:
            x, y, norm = xs[index], ys[index], norms[index]
            checkpoint(len(x))
            total = sum([packed[feat] for feat in x], offset)
            scores = [((total >> shift & mask) - half) / norm + b
                      for shift, b in zip(shifts, bias, strict=True)]
            lead = scores[y]
            scores[y] = -math.inf
            rival = scores.index(max(scores))
            if lead - scores[rival] < margin:
                delta = (1 << shifts[y]) - (1 << shifts[rival])
                weighted = delta * step
                for feat, amount in zip(x, amounts[index], strict=True):
                    packed[feat] += delta * amount
                    summed_[feat] += weighted * amount
                bias[y] += UNIT
                bias[rival] -= UNIT
                bias_summed[y] += UNIT * step
                bias_summed[rival] -= UNIT * step
            step += 1

    def unpack(value: int) -> list[int]:
        value += offset
        return [(value >> shift & mask) - half for shift in shifts]

    # The mean over steps 1..T of the weight after each step is ((T + 1) w - sum t * update) / T.
    def mean(value: int, weighted: int) -> float:
        return ((steps + 1) * value - weighted) / steps

    weights = [[mean(w, u) for w, u in zip(unpack(value), unpack(weighted), strict=True)]
               for value, weighted in zip(packed, summed_, strict=True)]
    return weights, [mean(b, u) for b, u in zip(bias, bias_summed, strict=True)]


def fit_linear(
    examples: list[Example],
    labels: list[Any],
    *,
    max_features: int = 10000,
    max_weights: int | None = None,
    min_df: int = 2,
    epochs: int = 3,
    margin: float = 3.0,
    seed: int = 0,
    cache: FeatureCache | None = None,
) -> LinearModel:
    """Train on ``examples``; ``labels`` lists every class at least one example carries.

    Only the ``max_weights`` largest weights are kept (default two per feature):
    with many classes most are small, and the emitted table must stay well under
    the sandbox's source limit. Pass the same ``cache`` as other fits to extract
    each input's features once.
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
    kept = featurize.ranking(examples, xs, ys, classes,
                             min_df if len(examples) >= 20 else 1)[:max_features]
    ids = {feat: position for position, feat in enumerate(kept)}
    known = [[ids[feat] for feat in x if feat in ids] for x in xs]
    checkpoint(sum(map(len, xs)))
    df = [0] * len(kept)
    for x in known:
        for feat in x:
            df[feat] += 1
    total = len(examples)
    squared = [round(math.log((1 + total) / (1 + count)) + 1, IDF_DIGITS) ** 2 for count in df]
    norms = [length_norm(normalise(text_of(example.input))) for example in examples]
    checkpoint(sum(map(len, known)))
    amounts = [[round(UNIT * squared[feat] / norm) for feat in x]
               for x, norm in zip(known, norms, strict=True)]
    # A feature's value is its idf over the text's norm; an example's squared norm is the sum
    # of its squared values: its amounts over the norm once more.
    mean_square = math.fsum(sum(row) / norm for row, norm in zip(amounts, norms, strict=True)) \
        / (UNIT * total)
    weights, bias = train(known, amounts, norms, ys, classes, len(kept), epochs=epochs,
                          margin=margin * mean_square * UNIT, seed=seed)
    to_scale = SCALE / UNIT
    entries = [(at, label, round(weight * to_scale)) for at, row in enumerate(weights)
               for label, weight in enumerate(row)]
    checkpoint(len(weights) * classes)
    entries = [entry for entry in entries if entry[2]]
    limit = 2 * max_features if max_weights is None else max_weights
    if len(entries) > limit:
        entries.sort(key=lambda entry: -abs(entry[2]))  # stable: ties keep rank, then class
        entries = sorted(entries[:limit])
    table: dict[str, list[int]] = {}
    for at, label, weight in entries:
        table.setdefault(kept[at], []).extend((label, weight))
    return LinearModel(labels, tuple(round(b * to_scale) for b in bias), table,
                       featurize=featurize)
