"""Synthetic execution histories for the synthesis tests (no tests of its own)."""

from __future__ import annotations

import random

from evomachine.evolution.synthesis import TaskSpec
from evomachine.history import ExecutionRecord

KEYWORDS = {
    "billing": ["invoice", "refund", "charge", "payment", "card"],
    "tech": ["error", "crash", "login", "bug", "install"],
    "sales": ["pricing", "demo", "quote", "plan", "upgrade"],
}
FILLER = [
    "please", "help", "me", "with", "my", "account", "today", "thanks", "the", "a", "is", "it",
]
ROUTE = TaskSpec(
    name="route",
    prompt="Route this ticket: {{ input.text }}",
    output_schema={"enum": list(KEYWORDS)},
)


def record(text: str, answer: object, **extra: object) -> ExecutionRecord:
    return ExecutionRecord(task="route", input={"text": text}, llm_output=answer, **extra)


def keyword_records(count: int, *, accuracy: float = 1.0, seed: int = 0) -> list[ExecutionRecord]:
    """Tickets whose class shows in two keywords among filler.

    The LLM answers the true class ``accuracy`` of the time, another class otherwise.
    """
    rng = random.Random(seed)
    labels = list(KEYWORDS)
    records = []
    for _ in range(count):
        label = rng.choice(labels)
        words = [rng.choice(FILLER) for _ in range(6)]
        words += [rng.choice(KEYWORDS[label]) for _ in range(2)]
        rng.shuffle(words)
        answer = label if rng.random() < accuracy else rng.choice([x for x in labels if x != label])
        records.append(record(" ".join(words), answer, expected=label))
    return records


def repeat_records(count: int, *, distinct: int = 30, seed: int = 0) -> list[ExecutionRecord]:
    """A few exact texts asked again and again, with arbitrary (not keyword-learnable) answers."""
    rng = random.Random(seed)
    pool = [f"ticket {rng.randrange(10**9)} ref {rng.randrange(10**6)}" for _ in range(distinct)]
    answers = {text: rng.choice(list(KEYWORDS)) for text in pool}
    return [record(text, answers[text]) for text in (rng.choice(pool) for _ in range(count))]


def messy_repeat_records(count: int, *, distinct: int = 30, seed: int = 0) -> list[ExecutionRecord]:
    """Like ``repeat_records`` but each ask varies case, spacing and punctuation."""
    rng = random.Random(seed)
    pool = [f"order {rng.randrange(10**6)} status {rng.randrange(10**6)}" for _ in range(distinct)]
    answers = {text: rng.choice(list(KEYWORDS)) for text in pool}
    records = []
    for _ in range(count):
        text = rng.choice(pool)
        shown = "".join(char.upper() if rng.random() < 0.3 else char for char in text)
        shown = shown.replace(" ", rng.choice([" ", "  ", " \t"]))
        shown += rng.choice(["", "!", "?", " ."])
        records.append(record(shown, answers[text]))
    return records
