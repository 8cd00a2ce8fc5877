"""Lookup synthesizers: the LLM's most common answer for an input seen before.

``exact_lookup`` keys on the canonical JSON of the input. ``normalized_lookup``
keys on the normalised text (NFKC, case-folded, punctuation dropped,
whitespace collapsed) and falls back to its sorted distinct words. A miss
answers the most common label with raw score -1.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from evomachine.evolution.synthesis.dataset import Example, distinct_labels, label_key
from evomachine.evolution.synthesis.runtime import (
    canonical,
    lookup_predict,
    normalise,
    sorted_tokens,
    text_of,
)

Table = dict[str, tuple[int, float]]


@dataclass
class LookupModel:
    """Lookup tables, most specific first, over a shared label list."""

    synthesizer: str
    labels: list[Any]
    tables: list[Table]
    default: int

    def predict(self, input: Any) -> tuple[Any, float]:
        if self.synthesizer == "exact_lookup":
            found = lookup_predict(self.tables[0], canonical(input), self.default)
            return self.labels[found[0]], found[1]
        text = normalise(text_of(input))
        found = lookup_predict(self.tables[0], text, self.default)
        if found[1] >= 0:
            return self.labels[found[0]], 1.0 + found[1]
        found = lookup_predict(self.tables[1], sorted_tokens(text), self.default)
        return self.labels[found[0]], found[1]

    def body_template(self) -> str:
        return f"{self.synthesizer}.py.j2"

    def body_context(self) -> dict[str, Any]:
        return {"labels": self.labels, "tables": self.tables, "default": self.default}


def build_table(examples: list[Example], key: Callable[[Any], str], index: dict[str, int]) -> Table:
    """Key → (index of the most common label, its share of the votes, rounded)."""
    votes: dict[str, Counter[int]] = {}
    for example in examples:
        votes.setdefault(key(example.input), Counter())[index[label_key(example.label)]] += 1
    table: Table = {}
    for text, counter in votes.items():
        best = min(counter, key=lambda label: (-counter[label], label))
        table[text] = (best, round(counter[best] / sum(counter.values()), 4))
    return table


def majority(examples: list[Example], index: dict[str, int]) -> int:
    counts = Counter(index[label_key(example.label)] for example in examples)
    return min(counts, key=lambda label: (-counts[label], label))


def fit_exact(examples: list[Example], labels: list[Any]) -> LookupModel:
    """Exact lookup on the canonical JSON of the input."""
    index = {label_key(label): position for position, label in enumerate(labels)}
    table = build_table(examples, canonical, index)
    return LookupModel("exact_lookup", labels, [table], majority(examples, index))


def fit_normalized(examples: list[Example], labels: list[Any]) -> LookupModel:
    """Lookup on normalised text, then on its sorted distinct words."""
    index = {label_key(label): position for position, label in enumerate(labels)}
    texts = [Example(normalise(text_of(example.input)), example.label) for example in examples]
    return LookupModel(
        "normalized_lookup",
        labels,
        [build_table(texts, str, index), build_table(texts, sorted_tokens, index)],
        majority(examples, index),
    )


def all_labels(*groups: list[Example]) -> list[Any]:
    """Every distinct label across the groups, in first-seen order."""
    return distinct_labels(example for group in groups for example in group)
