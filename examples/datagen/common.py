"""Helpers shared by the workload generators: the workload record, noise, JSONL.

Everything here is deterministic given a ``random.Random``: no set or dict
ordering that depends on hashing, no clock, no environment.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

Record = dict[str, Any]


@dataclass(frozen=True)
class Workload:
    """One example: its machine text, its records and what the page shows about it."""

    name: str
    title: str
    description: str
    task: str
    input_fields: tuple[str, ...]
    ground_truth: str
    labels: tuple[str, ...]
    seed: int
    count: int
    build_records: Callable[[random.Random, int], list[Record]]
    build_machine: Callable[[], str]
    notes: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def records(self) -> list[Record]:
        """The data set, always the same for the same seed and count."""
        return self.build_records(random.Random(self.seed), self.count)

    def machine(self) -> str:
        return self.build_machine()


def balanced_labels(rng: random.Random, labels: Sequence[str], count: int) -> list[str]:
    """``count`` labels, as even as ``count`` allows, in a shuffled order."""
    out = [labels[i % len(labels)] for i in range(count)]
    rng.shuffle(out)
    return out


def pick(rng: random.Random, options: Sequence[str]) -> str:
    return options[rng.randrange(len(options))]


def maybe(rng: random.Random, probability: float, text: str) -> str:
    return text if rng.random() < probability else ""


_KEYBOARD_NEIGHBOURS = {
    "a": "qs", "b": "vn", "c": "xv", "d": "sf", "e": "wr", "f": "dg", "g": "fh", "h": "gj",
    "i": "uo", "j": "hk", "k": "jl", "l": "k", "m": "n", "n": "bm", "o": "ip", "p": "o",
    "q": "w", "r": "et", "s": "ad", "t": "ry", "u": "yi", "v": "cb", "w": "qe", "x": "zc",
    "y": "tu", "z": "x",
}  # fmt: skip


def typo(rng: random.Random, word: str) -> str:
    """One realistic typo in ``word``: a swap, a drop, a double or a neighbouring key."""
    if len(word) < 4 or not word.isalpha():
        return word
    i = rng.randrange(1, len(word) - 1)
    kind = rng.randrange(4)
    if kind == 0:
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    if kind == 1:
        return word[:i] + word[i + 1 :]
    if kind == 2:
        return word[:i] + word[i] + word[i:]
    near = _KEYBOARD_NEIGHBOURS.get(word[i].lower())
    if not near:
        return word
    return word[:i] + pick(rng, near) + word[i + 1 :]


def add_typos(rng: random.Random, text: str, rate: float) -> str:
    """Put a typo in each word with probability ``rate``."""
    words = text.split(" ")
    return " ".join(typo(rng, w) if rng.random() < rate else w for w in words)


def messy_text(rng: random.Random, text: str, typo_rate: float = 0.03) -> str:
    """Typos, sometimes all lower case, sometimes no final punctuation or doubled spaces."""
    text = add_typos(rng, text, typo_rate)
    roll = rng.random()
    if roll < 0.15:
        text = text.lower()
    elif roll < 0.18:
        text = text.upper()
    if rng.random() < 0.12:
        text = text.rstrip(".!")
    if rng.random() < 0.08:
        text = text.replace(". ", ".  ", 1)
    return text


def sentence_case(text: str) -> str:
    return text[:1].upper() + text[1:] if text else text


def join_sentences(parts: Sequence[str]) -> str:
    return " ".join(p.strip() for p in parts if p and p.strip())


def to_jsonl(records: Sequence[Record]) -> str:
    """One compact JSON object a line, keys in the order the generator wrote them."""
    return "".join(
        json.dumps(r, ensure_ascii=False, separators=(", ", ": ")) + "\n" for r in records
    )


def unique_records(
    rng: random.Random,
    count: int,
    make: Callable[[random.Random, int], Record],
    key: str,
    attempts: int = 20,
) -> list[Record]:
    """``count`` records from ``make(rng, i)``, retrying a few times when ``key`` repeats.

    A repeat is kept after ``attempts`` tries, so a small share of duplicates
    can remain, as in real traffic.
    """
    seen: set[str] = set()
    out: list[Record] = []
    for i in range(count):
        record = make(rng, i)
        for _ in range(attempts):
            if record[key] not in seen:
                break
            record = make(rng, i)
        seen.add(record[key])
        out.append(record)
    return out


def _edge_label(label: str) -> str:
    """``-label->`` for a plain word, ``-"label"->`` for anything the DSL could read otherwise."""
    plain = label.isidentifier() and label not in ("true", "false", "null")
    return f"-{label}->" if plain else f'-"{label}"->'


def classifier_machine(
    *,
    title: str,
    comments: Sequence[str],
    source: str,
    ground_truth: str,
    task: str,
    task_title: str,
    prompt: str,
    labels: Sequence[str],
    routes: Sequence[tuple[str, str, str | None]],
) -> str:
    """DSL text for the shape every example shares: Input -> Task -> one State per route -> Input.

    ``routes`` holds ``(state, state title, edge label or None)``; a ``None``
    label gives an unlabelled edge.
    """
    if len(labels) <= 4:
        output = " | ".join(f'"{label}"' for label in labels)
    else:
        output = "\n        | ".join(f'"{label}"' for label in labels)
    lines = [f'machine "{title}"', ""]
    lines += [f"// {comment}" for comment in comments]
    lines += [
        f'Input {source} {{ source: "data.jsonl"; ground_truth: "{ground_truth}"; }}',
        "",
        f'Task {task} "{task_title}" {{',
        f'    prompt: "{prompt}";',
        f"    output<{output}>;",
        '    evolution_stage: "llm_only";',
        "}",
        "",
    ]
    lines += [f'State {state} "{state_title}";' for state, state_title, _ in routes]
    lines += ["", f"{source} -> {task};"]
    for state, _, label in routes:
        arrow = "->" if label is None else _edge_label(label)
        lines.append(f"{task} {arrow} {state};")
    lines += [f"{state} -> {source};" for state, _, _ in routes]
    return "\n".join(lines) + "\n"
