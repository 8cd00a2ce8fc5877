"""Calibrated confidence: raw model scores → observed agreement with the LLM on held-out data.

``fit_calibration`` sorts held-out (raw score, agreed) pairs, groups equal
scores, merges groups into about ``bins`` equal-count bins, then pools
adjacent violators so confidence never falls as the raw score rises. Each
bin's confidence is ``(agreed + 1) / (count + 2)`` (the pooling compares
these smoothed values): never exactly 0 or 1 on finite evidence.
``cross_fitted_ece`` fits on one half and measures on the other, so the
reported error is not flattered by in-sample fitting.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from evomachine.evolution.synthesis.runtime import calibrate
from evomachine.evolution.synthesis.spec import CalibrationBin

Pair = tuple[float, bool]
DIGITS = 4


def group_scores(pairs: Sequence[Pair]) -> list[list[float]]:
    """``[start, end, count, agreed]`` per distinct raw score, ascending."""
    groups: list[list[float]] = []
    for score, agreed in sorted(pairs, key=lambda pair: pair[0]):
        if groups and groups[-1][0] == score:
            groups[-1][2] += 1
            groups[-1][3] += agreed
        else:
            groups.append([score, score, 1, int(agreed)])
    return groups


def quantile_bins(groups: list[list[float]], total: int, bins: int) -> list[list[float]]:
    """Merge consecutive score groups until each bin holds about ``total / bins`` examples."""
    size = max(1, total / bins)
    merged: list[list[float]] = []
    for group in groups:
        if merged and merged[-1][2] < size:
            last = merged[-1]
            last[1], last[2], last[3] = group[1], last[2] + group[2], last[3] + group[3]
        else:
            merged.append(list(group))
    if len(merged) > 1 and merged[-1][2] < size / 2:
        last = merged.pop()
        prev = merged[-1]
        prev[1], prev[2], prev[3] = last[1], prev[2] + last[2], prev[3] + last[3]
    return merged


def smoothed(block: list[float]) -> float:
    """Agreement counting one extra agreement and one extra disagreement."""
    return (block[3] + 1) / (block[2] + 2)


def pool_adjacent_violators(blocks: list[list[float]]) -> list[list[float]]:
    """Pool neighbouring bins while a later bin's smoothed agreement is below an earlier one's."""
    pooled: list[list[float]] = []
    for block in blocks:
        pooled.append(list(block))
        while len(pooled) > 1 and smoothed(pooled[-2]) > smoothed(pooled[-1]):
            last = pooled.pop()
            prev = pooled[-1]
            prev[1], prev[2], prev[3] = last[1], prev[2] + last[2], prev[3] + last[3]
    return pooled


def fit_calibration(pairs: Sequence[Pair], *, bins: int | None = None) -> list[CalibrationBin]:
    """A monotone step function from raw score to agreement; empty input gives an empty table.

    By default one bin per 50 held-out answers (10 to 40 bins): with more evidence the
    error budget can cut closer to where the model is sure.
    """
    if not pairs:
        return []
    bins = bins or max(10, min(40, len(pairs) // 50))
    blocks = pool_adjacent_violators(quantile_bins(group_scores(pairs), len(pairs), bins))
    return [
        CalibrationBin(
            start=math.floor(start * 10**DIGITS) / 10**DIGITS,
            end=round(end, DIGITS),
            count=int(count),
            agreed=int(agreed),
            confidence=round(smoothed([start, end, count, agreed]), DIGITS),
        )
        for start, end, count, agreed in blocks
    ]


def as_table(calibration: list[CalibrationBin]) -> tuple[tuple[float, float], ...]:
    """The ``(start, confidence)`` pairs a generated module carries."""
    return tuple((bin.start, bin.confidence) for bin in calibration)


def apply(calibration: list[CalibrationBin], raw: float) -> float:
    return calibrate(raw, as_table(calibration))


def expected_calibration_error(
    confidences: Sequence[float], agreed: Sequence[bool], bins: int = 10
) -> float:
    """Mean |confidence - agreement| over equal-width confidence bins, weighted by their size."""
    if not confidences:
        return 0.0
    groups: dict[int, list[tuple[float, bool]]] = {}
    for confidence, ok in zip(confidences, agreed, strict=True):
        groups.setdefault(min(bins - 1, int(confidence * bins)), []).append((confidence, ok))
    error = 0.0
    for chunk in groups.values():
        mean_conf = sum(conf for conf, _ in chunk) / len(chunk)
        mean_agree = sum(ok for _, ok in chunk) / len(chunk)
        error += len(chunk) * abs(mean_conf - mean_agree)
    return round(error / len(confidences), 4)


def cross_fitted_ece(pairs: Sequence[Pair], *, bins: int = 10) -> float:
    """ECE with the calibration fitted on alternate halves of ``pairs``, measured on the other."""
    if len(pairs) < 4:
        table = fit_calibration(pairs, bins=bins)
        confidences = [apply(table, score) for score, _ in pairs]
        return expected_calibration_error(confidences, [ok for _, ok in pairs], bins)
    halves = (pairs[0::2], pairs[1::2])
    confidences = []
    agreed: list[bool] = []
    for fit_half, test_half in (halves, halves[::-1]):
        table = fit_calibration(fit_half, bins=bins)
        confidences += [apply(table, score) for score, _ in test_half]
        agreed += [ok for _, ok in test_half]
    return expected_calibration_error(confidences, agreed, bins)
