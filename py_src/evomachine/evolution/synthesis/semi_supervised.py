"""Naive Bayes that also learns from the inputs the LLM never labelled (EM, Nigam et al. 2000).

Once code answers most inputs, the LLM labels only the rest: a few hundred answers, while
the task has seen thousands of inputs. Those unlabelled inputs still show which features
go together. Starting from naive Bayes on the LLM's answers, each round gives every
unlabelled input its class probabilities under the current model (E-step) and refits
the counts from the answers plus the unlabelled inputs weighted by ``weight`` times their
probabilities (M-step). The result is an ordinary :class:`NaiveBayesModel` (rounded
weights, the same template and JavaScript export): only its counts differ. Sums are
``math.fsum`` and probabilities rounded, so every Python and platform gets the same model.
"""

from __future__ import annotations

import math
import operator
from collections import Counter
from typing import Any

from evomachine.cooperate import checkpoint
from evomachine.evolution.synthesis.classifier import DIGITS, FeatureCache, NaiveBayesModel
from evomachine.evolution.synthesis.dataset import Example, label_key
from evomachine.evolution.synthesis.runtime import class_scores

# Soft counts below this are left out of the emitted weights (they would round to
# almost nothing and bloat the table).
SMALLEST_COUNT = 0.05
PROBABILITY_DIGITS = 6  # E-step probabilities rounded so every platform gets the same counts


def _weights(counts: dict[str, list[float]], docs: list[float], kept: list[str],
             alpha: float) -> tuple[tuple[float, ...], tuple[float, ...], dict[str, list[float]]]:
    classes = len(docs)
    mass = [alpha * len(kept)] * classes
    for feat in kept:
        row = counts.get(feat)
        if row:
            for label in range(classes):
                mass[label] += row[label]
    weights: dict[str, list[float]] = {}
    for feat in kept:
        entry: list[float] = []
        for label, count in enumerate(counts.get(feat) or ()):
            if count >= SMALLEST_COUNT:
                entry += [label, round(math.log((count + alpha) / alpha), DIGITS)]
        weights[feat] = entry
    total = sum(docs)
    unseen = tuple(round(math.log(alpha / value), DIGITS) for value in mass)
    priors = tuple(round(math.log((value + 1) / (total + classes)), DIGITS) for value in docs)
    return priors, unseen, weights


def fit_naive_bayes_em(
    examples: list[Example],
    labels: list[Any],
    unlabelled: list[Any],
    *,
    max_features: int = 2500,
    extra_features: int | None = None,
    min_df: int = 2,
    alpha: float = 0.5,
    weight: float = 0.3,
    rounds: int = 3,
    cache: FeatureCache | None = None,
) -> NaiveBayesModel:
    """Naive Bayes on ``examples`` refined by ``rounds`` of EM over ``unlabelled`` inputs.

    The features: the ``max_features`` the answers rank highest (as :func:`fit_naive_bayes`
    keeps them), then up to ``extra_features`` (default ``max_features``) more that at least
    two unlabelled inputs hold, most frequent first: features the few answers have not
    met yet, which EM can place.
    """
    featurize = cache or FeatureCache()
    index = {label_key(label): position for position, label in enumerate(labels)}
    classes = len(labels)
    xs = [featurize(example.input) for example in examples]
    ys = [index[label_key(example.label)] for example in examples]
    floor = min_df if len(examples) >= 20 else 1
    kept = featurize.ranking(examples, xs, ys, classes, floor)[:max_features] \
        if classes > 1 else []
    rows = [featurize(input) for input in unlabelled]
    kept = kept + more_features(rows, set(kept),
                                max_features if extra_features is None else extra_features)
    base = featurize.class_counts(examples, xs, ys, classes, floor)
    counts = {feat: [float(base[label][feat]) for label in range(classes)] for feat in kept}
    docs = [float(ys.count(label)) for label in range(classes)]
    model = NaiveBayesModel(labels, *_weights(counts, docs, kept, alpha), featurize=featurize,
                            synthesizer="naive_bayes")
    holders = inverted(rows, set(kept))
    for _ in range(rounds if classes > 1 and rows else 0):
        shares = [[weight * p for p in posterior(model, input)] for input in unlabelled]
        checkpoint(len(shares) * classes)
        columns = [[share[label] for share in shares] for label in range(classes)]
        soft = {}
        for feat in kept:
            held = holders.get(feat)
            row = counts[feat]
            if held:
                pick = operator.itemgetter(*held)
                picked = [pick(column) for column in columns]
                if len(held) == 1:
                    picked = [(value,) for value in picked]
                row = [count + math.fsum(values) for count, values in zip(row, picked, strict=True)]
            soft[feat] = row
        checkpoint(sum(map(len, holders.values())))
        soft_docs = [count + math.fsum(column) for count, column in zip(docs, columns, strict=True)]
        model = NaiveBayesModel(labels, *_weights(soft, soft_docs, kept, alpha),
                                featurize=featurize, synthesizer="naive_bayes")
    return model


def more_features(rows: list[list[str]], have: set[str], limit: int) -> list[str]:
    """Up to ``limit`` features not in ``have`` that two or more ``rows`` hold, most frequent
    first (ties: first met first)."""
    df: Counter[str] = Counter()
    for row in rows:
        df.update(row)
    ranked = [feat for feat, count in df.most_common() if count >= 2 and feat not in have]
    return ranked[:limit]


def inverted(rows: list[list[str]], kept: set[str]) -> dict[str, list[int]]:
    """For each kept feature, the indices of the ``rows`` holding it."""
    holders: dict[str, list[int]] = {}
    for at, row in enumerate(rows):
        for feat in row:
            if feat in kept:
                holders.setdefault(feat, []).append(at)
    return holders


def posterior(model: NaiveBayesModel, input: Any) -> list[float]:
    """Class probabilities of ``input`` under ``model`` (rounded, see PROBABILITY_DIGITS)."""
    scores, found = class_scores(model.featurize(input), model.rows, model.priors)
    scores = [score + found * unseen for score, unseen in zip(scores, model.unseen, strict=True)]
    top = max(scores)
    exps = [math.exp(score - top) for score in scores]
    norm = sum(exps)
    return [round(value / norm, PROBABILITY_DIGITS) for value in exps]
