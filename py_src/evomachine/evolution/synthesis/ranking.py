"""Features ranked by mutual information with the class, shared by the text students."""

from __future__ import annotations

import math
from collections import Counter
from itertools import chain

from evomachine.cooperate import checkpoint

MI_DIGITS = 12


def ranked_features(xs: list[list[str]], ys: list[int], classes: int, min_df: int) -> list[str]:
    """Features seen in at least ``min_df`` examples, most mutual information with the class first.

    See :func:`ranking_and_counts`.
    """
    return ranking_and_counts(xs, ys, classes, min_df)[0]


def ranking_and_counts(xs: list[list[str]], ys: list[int], classes: int, min_df: int
                       ) -> tuple[list[str], list[Counter[str]]]:
    """Features seen in at least ``min_df`` examples, most mutual information with the class
    first; and per class, how many of its examples hold each feature (``xs`` rows hold
    distinct features).

    With ``k`` of a class's ``d`` examples holding a feature seen in ``P`` of ``N``
    examples (``A = N - P`` without it), N * MI = N log N - P log P - A log A plus,
    for every class that has the feature, k log k + (d - k) log(d - k) - d log d.
    That last part depends on (k, d) alone, so the cost follows the (feature,
    class) pairs seen, one table lookup each. Ties keep the order features are
    first met, class by class; scores are rounded so that a last-bit difference
    in ``math.log`` between platforms cannot reorder them.
    """
    total = len(xs)
    members: list[list[int]] = [[] for _ in range(classes)]
    for index, y in enumerate(ys):
        members[y].append(index)
    xlogx = [0.0, *(n * math.log(n) for n in range(1, total + 1))]
    pairs: dict[str, float] = {}
    seen: dict[str, int] = {}
    per_class = [Counter(chain.from_iterable(xs[i] for i in indices)) for indices in members]
    checkpoint(sum(map(len, per_class)))
    for indices, counts in zip(members, per_class, strict=True):
        d = len(indices)
        gain = [xlogx[k] + xlogx[d - k] - xlogx[d] for k in range(d + 1)]
        pairs_get, seen_get = pairs.get, seen.get
        for feat, k in counts.items():
            pairs[feat] = pairs_get(feat, 0.0) + gain[k]
            seen[feat] = seen_get(feat, 0) + k
        checkpoint(len(counts))
    checkpoint(len(seen))
    whole = xlogx[total]
    score = {
        feat: round((whole - xlogx[df] - xlogx[total - df] + pairs[feat]) / total, MI_DIGITS)
        for feat, df in seen.items() if df >= min_df
    }
    return sorted(score, key=lambda feat: -score[feat]), per_class
