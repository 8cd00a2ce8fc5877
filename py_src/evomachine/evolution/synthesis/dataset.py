"""Examples to learn from: the LLM's successful answers, split into train and held-out."""

from __future__ import annotations

import random
from collections.abc import Iterable
from typing import Any, NamedTuple

from evomachine.evolution.synthesis.runtime import canonical
from evomachine.history import ExecutionRecord


class Example(NamedTuple):
    """One task input and the answer the LLM gave for it."""

    input: Any
    label: Any


def examples_from_records(records: Iterable[ExecutionRecord]) -> list[Example]:
    """Successful records where the LLM answered, in the order given."""
    return [
        Example(record.input, record.llm_output)
        for record in records
        if record.success and record.llm_output is not None
    ]


def label_key(label: Any) -> str:
    """A hashable identity for a label (labels may be lists or dicts)."""
    return canonical(label)


def distinct_labels(examples: Iterable[Example]) -> list[Any]:
    """Labels in order of first appearance, one per identity."""
    seen: dict[str, Any] = {}
    for example in examples:
        seen.setdefault(label_key(example.label), example.label)
    return list(seen.values())


def split(
    examples: list[Example], holdout_fraction: float, seed: int
) -> tuple[list[Example], list[Example]]:
    """A deterministic train / held-out split, stratified by label.

    Each label keeps about ``holdout_fraction`` of its examples for held-out
    (at least one when it has two or more); the held-out set is never empty
    and train keeps at least one example.
    """
    if not 0.0 < holdout_fraction < 1.0:
        raise ValueError(f"holdout_fraction must be between 0 and 1, got {holdout_fraction}")
    if len(examples) < 2:
        raise ValueError(f"need at least 2 examples to split, got {len(examples)}")
    rng = random.Random(seed)
    by_label: dict[str, list[int]] = {}
    for index, example in enumerate(examples):
        by_label.setdefault(label_key(example.label), []).append(index)
    heldout: set[int] = set()
    for key in sorted(by_label):
        indices = by_label[key]
        rng.shuffle(indices)
        take = round(len(indices) * holdout_fraction)
        if len(indices) >= 2:
            take = min(max(take, 1), len(indices) - 1)
        heldout.update(indices[:take])
    if not heldout:
        heldout.add(rng.randrange(len(examples)))
    if len(heldout) == len(examples):
        heldout.discard(min(heldout))
    train = [example for index, example in enumerate(examples) if index not in heldout]
    held = [example for index, example in enumerate(examples) if index in heldout]
    return train, held


def folds(examples: list[Example], k: int, seed: int) -> list[tuple[list[Example], list[Example]]]:
    """``k`` deterministic (train, held-out) pairs, stratified by label; each example is
    held out exactly once. Small histories use these instead of one split, so every
    example both trains and measures, and the estimate is not one small held-out set's luck.
    """
    if k < 2 or len(examples) < k:
        raise ValueError(f"need k >= 2 and at least k examples, got k={k}, {len(examples)}")
    rng = random.Random(seed)
    by_label: dict[str, list[int]] = {}
    for index, example in enumerate(examples):
        by_label.setdefault(label_key(example.label), []).append(index)
    fold_of: dict[int, int] = {}
    position = 0
    for key in sorted(by_label):
        indices = by_label[key]
        rng.shuffle(indices)
        for index in indices:
            fold_of[index] = position % k
            position += 1
    return [
        ([e for i, e in enumerate(examples) if fold_of[i] != fold],
         [e for i, e in enumerate(examples) if fold_of[i] == fold])
        for fold in range(k)
    ]
