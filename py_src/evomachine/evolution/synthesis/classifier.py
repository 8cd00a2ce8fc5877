"""A naive Bayes text classifier trained in pure Python and emitted as literals.

Features are the distinct word uni-/bigrams and character 3-5-grams of the
normalised input text (``runtime.features``). Training counts in how many
documents of each class a feature occurs (multinomial NB on binarised
counts) and keeps the ``max_features`` features with the most mutual
information with the label. Weights are stored sparsely: per feature only
the classes it was seen with, as the excess over a per-class "unseen"
log-probability, so forty classes cost little more than three.
The raw score is the log-odds margin between the two best classes (it does
not saturate the way posterior probabilities do).
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from evomachine.cooperate import checkpoint
from evomachine.evolution.synthesis.dataset import Example, label_key
from evomachine.evolution.synthesis.ranking import ranking_and_counts
from evomachine.evolution.synthesis.runtime import (
    canonical,
    features,
    nb_predict,
    normalise,
    sparse_rows,
    text_of,
)

DIGITS = 4


class FeatureCache:
    """Features per input (keyed by its canonical JSON), shared by fits and predictions,
    and feature rankings per training set (naive Bayes and linear fit the same folds)."""

    def __init__(self) -> None:
        self.found: dict[str, list[str]] = {}
        self.rankings: dict[tuple[int, ...], tuple[Any, ...]] = {}

    def _ranked(self, examples: list[Example], xs: list[list[str]], ys: list[int],
                classes: int, min_df: int) -> tuple[Any, ...]:
        key = (id(examples), len(examples), classes, min_df)
        cached = self.rankings.get(key)
        if cached is None or cached[0] is not examples:
            cached = self.rankings[key] = (examples,
                                           *ranking_and_counts(xs, ys, classes, min_df))
        return cached

    def ranking(self, examples: list[Example], xs: list[list[str]], ys: list[int],
                classes: int, min_df: int) -> list[str]:
        """:func:`~evomachine.evolution.synthesis.ranking.ranked_features` of these examples,
        computed once per example list (naive Bayes and linear fit the same folds)."""
        return self._ranked(examples, xs, ys, classes, min_df)[1]

    def class_counts(self, examples: list[Example], xs: list[list[str]], ys: list[int],
                     classes: int, min_df: int) -> list[Counter[str]]:
        """Per class, how many of its examples hold each feature (from the ranking's pass)."""
        return self._ranked(examples, xs, ys, classes, min_df)[2]

    def __call__(self, input: Any) -> list[str]:
        key = canonical(input)
        cached = self.found.get(key)
        if cached is None:
            cached = self.found[key] = features(normalise(text_of(input)))
        checkpoint(len(cached) // 8 + 8)  # counted alike for a hit (its canonical JSON) and a miss
        return cached


@dataclass
class NaiveBayesModel:
    """Class labels, rounded log-priors, unseen log-probabilities and sparse feature weights."""

    labels: list[Any]
    priors: tuple[float, ...]
    unseen: tuple[float, ...]
    weights: dict[str, list[float]]
    synthesizer: str = "naive_bayes"
    featurize: FeatureCache = field(default_factory=FeatureCache, repr=False)
    rows: dict[str, dict[int, float]] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.rows = sparse_rows(self.weights)

    def predict(self, input: Any) -> tuple[Any, float]:
        found = nb_predict(self.featurize(input), self.rows, self.priors, self.unseen)
        return self.labels[found[0]], found[1]

    def body_template(self) -> str:
        return "naive_bayes.py.j2"

    def body_context(self) -> dict[str, Any]:
        return {
            "labels": self.labels, "priors": self.priors, "unseen": self.unseen,
            "weights": self.weights,
        }


def mutual_information(df: list[int], class_docs: list[int], total: int) -> float:
    """MI between a feature's presence and the class, from per-class document frequencies."""
    present = sum(df)
    absent = total - present
    score = 0.0
    for in_class, docs in zip(df, class_docs, strict=True):
        for joint, marginal in ((in_class, present), (docs - in_class, absent)):
            if joint:
                score += joint / total * math.log(joint * total / (marginal * docs))
    return score


def fit_naive_bayes(
    examples: list[Example],
    labels: list[Any],
    *,
    max_features: int = 2500,
    min_df: int = 2,
    alpha: float = 0.5,
    cache: FeatureCache | None = None,
) -> NaiveBayesModel:
    """Train on ``examples``; ``labels`` lists every class at least one example carries.

    Pass the same ``cache`` to several fits over overlapping examples to
    extract each input's features once.
    """
    featurize = cache or FeatureCache()
    index = {label_key(label): position for position, label in enumerate(labels)}
    classes = len(labels)
    xs = [featurize(example.input) for example in examples]
    ys = [index[label_key(example.label)] for example in examples]
    class_docs = [ys.count(label) for label in range(classes)]
    total = len(examples)
    min_df = min_df if total >= 20 else 1
    kept = featurize.ranking(examples, xs, ys, classes, min_df)[:max_features] \
        if classes > 1 else []
    counts = featurize.class_counts(examples, xs, ys, classes, min_df)
    df = {feat: [counts[label][feat] for label in range(classes)] for feat in kept}
    checkpoint(len(kept) * classes)
    mass = [sum(df[feat][label] for feat in kept) + alpha * len(kept) for label in range(classes)]
    weights: dict[str, list[float]] = {}
    for feat in kept:
        row: list[float] = []
        for label, count in enumerate(df[feat]):
            if count:
                row += [label, round(math.log((count + alpha) / alpha), DIGITS)]
        weights[feat] = row
        checkpoint(classes)
    unseen = tuple(round(math.log(alpha / value), DIGITS) for value in mass)
    priors = tuple(
        round(math.log((docs + 1) / (total + classes)), DIGITS) for docs in class_docs
    )
    return NaiveBayesModel(labels, priors, unseen, weights, featurize=featurize)
