"""Exact binomial confidence bounds, and the budget-safe confidence threshold.

Decisions rest on Clopper–Pearson bounds of a disagreement rate, never on a
point estimate: "k disagreements in n checks" is within a budget ``b`` at
level ``alpha`` when the one-sided upper bound is at most ``b``, which is
the same as ``P(X <= k | n, b) <= alpha`` (no root finding needed).
"""

from __future__ import annotations

import math
from collections.abc import Iterable

ALPHA = 0.05


def binom_cdf(k: int, n: int, p: float) -> float:
    """``P(X <= k)`` for ``X ~ Binomial(n, p)``, summed in log space (exact for n in the 1000s)."""
    if k < 0:
        return 0.0
    if k >= n or p <= 0.0:
        return 1.0
    if p >= 1.0:
        return 0.0
    log_p, log_q = math.log(p), math.log1p(-p)
    log_n = math.lgamma(n + 1)
    total = 0.0
    for i in range(k + 1):
        total += math.exp(log_n - math.lgamma(i + 1) - math.lgamma(n - i + 1)
                          + i * log_p + (n - i) * log_q)
    return min(1.0, total)


def within(k: int, n: int, budget: float, alpha: float = ALPHA) -> bool:
    """Whether the upper ``1 - alpha`` bound of ``k / n`` is at most ``budget`` (``n > 0``)."""
    return n > 0 and binom_cdf(k, n, budget) <= alpha


def beyond(k: int, n: int, budget: float, alpha: float = ALPHA) -> bool:
    """Whether the lower ``1 - alpha`` bound of ``k / n`` is above ``budget``."""
    return n > 0 and 1.0 - binom_cdf(k - 1, n, budget) <= alpha


def upper_bound(k: int, n: int, alpha: float = ALPHA) -> float:
    """One-sided Clopper–Pearson upper bound of a rate (1.0 without data)."""
    if n <= 0 or k >= n:
        return 1.0
    low, high = k / n, 1.0
    for _ in range(40):
        mid = (low + high) / 2
        if binom_cdf(k, n, mid) > alpha:
            low = mid
        else:
            high = mid
    return high


def lower_bound(k: int, n: int, alpha: float = ALPHA) -> float:
    """One-sided Clopper–Pearson lower bound of a rate (0.0 without data)."""
    if n <= 0 or k <= 0:
        return 0.0
    return 1.0 - upper_bound(n - k, n, alpha)


class Cut:
    """Where a model's calibrated confidence can be cut: answer at or above ``threshold``.

    ``answered`` inputs of ``total`` clear it, ``disagreed`` of them disagree
    with the LLM; ``upper`` is the bound on that disagreement rate.
    """

    __slots__ = ("answered", "disagreed", "threshold", "total", "upper")

    def __init__(self, threshold: float, answered: int, disagreed: int, total: int,
                 alpha: float = ALPHA):
        self.threshold = threshold
        self.answered = answered
        self.disagreed = disagreed
        self.total = total
        self.upper = upper_bound(disagreed, answered, alpha)

    @property
    def coverage(self) -> float:
        return self.answered / self.total if self.total else 0.0

    @staticmethod
    def describe_dict(cut: dict[str, float | int] | None) -> str:
        """:meth:`describe` of a cut saved with :meth:`as_dict` (``None``: no cut)."""
        if not cut:
            return "no confidence cut within the budget"
        return (f"answers {100 * float(cut['coverage']):.0f}% of {cut['total']} held-out inputs "
                f"at confidence >= {float(cut['threshold']):.3f}: {cut['disagreed']}/"
                f"{cut['answered']} disagree (upper bound {float(cut['upper_bound']):.3f})")

    def as_dict(self) -> dict[str, float | int]:
        return {"threshold": self.threshold, "coverage": round(self.coverage, 4),
                "answered": self.answered, "disagreed": self.disagreed, "total": self.total,
                "upper_bound": round(self.upper, 4)}


def safe_cut(pairs: Iterable[tuple[float, bool]], budget: float, *, alpha: float = ALPHA,
             min_answered: int = 20, floor: float = 0.0) -> Cut | None:
    """The widest cut whose disagreement stays within ``budget`` at level ``alpha``.

    ``pairs`` are ``(confidence, agreed)`` on held-out data. Only thresholds at
    or above ``floor`` are considered; a cut needs ``min_answered`` answers.
    ``None`` when no cut qualifies.
    """
    ordered = sorted(pairs, key=lambda pair: -pair[0])
    total = len(ordered)
    best: tuple[int, int, float] | None = None
    answered = disagreed = 0
    for index, (confidence, agreed) in enumerate(ordered):
        answered += 1
        disagreed += not agreed
        last_of_tie = index + 1 == total or ordered[index + 1][0] < confidence
        if not last_of_tie or confidence < floor or answered < min_answered:
            continue
        if within(disagreed, answered, budget, alpha):
            best = (answered, disagreed, confidence)
    if best is None:
        return None
    return Cut(best[2], best[0], best[1], total, alpha)
