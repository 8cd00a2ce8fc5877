"""Product reviews labelled positive, negative or neutral.

Reviews are built from aspect sentences (praise, complaint, plain
description) and an overall verdict. The label follows the verdict, so a
positive review may carry one complaint ("only downside ...") and a negative
one some praise. Negation is common in every class: "not bad at all" is
positive, "not worth it" negative, "not great, not terrible" neutral. Neutral
reviews are either plain descriptions or evenly mixed, which makes this the
harder of the text workloads.
"""

from __future__ import annotations

import random

from .common import (
    Record,
    Workload,
    balanced_labels,
    classifier_machine,
    join_sentences,
    messy_text,
    pick,
    sentence_case,
    unique_records,
)

LABELS = ("positive", "negative", "neutral")

PRODUCTS = {
    "headset": ("sound", "battery life", "noise cancelling", "fit", "microphone"),
    "blender": ("motor", "jug", "noise level", "blade assembly", "lid"),
    "laptop": ("screen", "keyboard", "battery life", "speed", "trackpad"),
    "trail shoe": ("cushioning", "grip", "fit", "lacing", "sole"),
    "coffee maker": ("coffee", "carafe", "timer", "water tank", "heating"),
    "backpack": ("zipper", "shoulder strap", "side pocket", "fabric", "laptop sleeve"),
    "phone case": ("grip", "button cover", "edge protection", "finish", "kickstand"),
    "desk lamp": ("brightness", "base", "switch", "colour temperature", "arm"),
    "vacuum cleaner": ("suction", "battery life", "filter", "brush", "dust bin"),
    "smartwatch": ("display", "battery life", "strap", "heart rate sensor", "app"),
    "tent": ("pole set", "zipper", "waterproofing", "peg set", "groundsheet"),
    "keyboard": ("key feel", "backlight", "cable", "switch feel", "keycap set"),
}
PRAISE = (
    "The {a} is excellent.",
    "The {a} is great.",
    "Really impressed with the {a}.",
    "The {a} works perfectly.",
    "Love the {a}.",
    "The {a} is better than I expected.",
    "The {a} is not bad at all.",
    "I have no complaints about the {a}.",
    "The {a} never lets me down.",
    "The {a} is superb.",
    "The {a} feels solid.",
)
COMPLAINT = (
    "The {a} is terrible.",
    "The {a} broke after a week.",
    "The {a} is awful.",
    "The {a} stopped working.",
    "Really disappointed with the {a}.",
    "The {a} is not good at all.",
    "The {a} isn't worth it.",
    "The {a} feels cheap.",
    "The {a} never works properly.",
    "The {a} is flimsy.",
    "Hate the {a}.",
)
PLAIN = (
    "The {a} is as described.",
    "The {a} is about what you'd expect.",
    "The {a} is average.",
    "The {a} is fine.",
    "The {a} does the job.",
    "The {a} is okay, nothing special.",
    "The {a} is standard for this price.",
    "The {a} is similar to my old one.",
)
VERDICT = {
    "positive": (
        "Highly recommend!",
        "Five stars.",
        "Would buy again.",
        "Love it.",
        "Best {p} I've owned.",
        "Can't fault it.",
        "Worth every penny.",
        "Not disappointed at all.",
        "I'd definitely recommend this {p}.",
        "Very happy with this purchase.",
        "No regrets.",
        "Exceeded my expectations.",
    ),
    "negative": (
        "Would not recommend.",
        "Returning it.",
        "Waste of money.",
        "One star.",
        "Not worth the money.",
        "Avoid this {p}.",
        "Really regret buying it.",
        "Not happy at all.",
        "Don't buy this {p}.",
        "Very disappointed overall.",
        "Wouldn't buy again.",
        "Complete let-down.",
    ),
    "neutral": (
        "It's okay.",
        "Does the job, nothing more.",
        "Average overall.",
        "Not great, not terrible.",
        "It's fine for the price.",
        "Mixed feelings.",
        "Neither good nor bad.",
        "Meets basic expectations.",
        "It's a {p}, it works.",
        "Can't say I love it or hate it.",
        "Three stars.",
        "Fine, I guess.",
    ),
}
OPENERS = (
    "Bought this {p} {when}.",
    "Got this {p} as a gift.",
    "Ordered the {p} {when}.",
    "Been using this {p} {during}.",
    "Replaced my old {p} with this one.",
    "",
    "",
    "",
    "Second {p} from this brand.",
    "Arrived {speed}.",
    "Had this {p} {during} now.",
)
WHEN = (
    "last month",
    "two weeks ago",
    "a year ago",
    "on sale",
    "in March",
    "for my daughter",
    "for work",
    "after reading the reviews",
)
DURING = ("for a few days", "for six months", "for a year", "every day", "for a couple of weeks")
SPEED = ("quickly", "on time", "a day late", "well packaged", "in a plain box")
BUT = ("Only downside is that", "My one complaint:", "On the other hand,", "That said,", "However,")
BUT_UP = ("On the plus side,", "The only good thing:", "To be fair,", "Admittedly,", "In fairness,")


def _aspect(rng: random.Random, table: tuple[str, ...], aspect: str) -> str:
    return pick(rng, table).format(a=aspect)


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


def _mixed(rng: random.Random, first: str, second: str, aspects: list[str]) -> list[str]:
    """Two sentences of the ``first`` tone and one of ``second``, the odd one out after a "but"."""
    tables = {"praise": PRAISE, "complaint": COMPLAINT}
    turn = BUT if second == "complaint" else BUT_UP
    return [
        _aspect(rng, tables[first], aspects[0]),
        _aspect(rng, tables[first], aspects[1]),
        pick(rng, turn) + " " + _lower_first(_aspect(rng, tables[second], aspects[2])),
    ]


def _body(rng: random.Random, label: str, aspects: list[str]) -> tuple[list[str], bool]:
    """Aspect sentences for ``label`` and whether the review still needs a verdict to be clear."""
    shape = rng.random()
    if label == "neutral":
        if shape < 0.4:
            return [_aspect(rng, PLAIN, a) for a in aspects[: rng.randrange(1, 3)]], False
        body = [_aspect(rng, PRAISE, aspects[0]), _aspect(rng, COMPLAINT, aspects[1])]
        if shape > 0.8:
            body += [_aspect(rng, PLAIN, aspects[2])]
        rng.shuffle(body)
        return body, False
    good, bad = ("praise", "complaint") if label == "positive" else ("complaint", "praise")
    table = PRAISE if label == "positive" else COMPLAINT
    if shape < 0.45:
        return [_aspect(rng, table, a) for a in aspects[: rng.randrange(1, 3)]], False
    if shape < 0.8:
        return _mixed(rng, good, bad, aspects), False
    # One point for each side: only the verdict says which way the review goes.
    opposite = COMPLAINT if label == "positive" else PRAISE
    return [_aspect(rng, opposite, aspects[0]), _aspect(rng, table, aspects[1])], True


def review(rng: random.Random, label: str) -> str:
    """One review whose overall tone is ``label``."""
    product = pick(rng, tuple(PRODUCTS))
    aspects = list(PRODUCTS[product])
    rng.shuffle(aspects)
    opener = pick(rng, OPENERS).format(
        p=product, when=pick(rng, WHEN), during=pick(rng, DURING), speed=pick(rng, SPEED)
    )
    body, needs_verdict = _body(rng, label, aspects)
    verdict = pick(rng, VERDICT[label]).format(p=product)
    if not needs_verdict and rng.random() < 0.25:
        verdict = ""
    parts = [opener, *body, verdict] if rng.random() < 0.8 else [verdict, opener, *body]
    return messy_text(rng, sentence_case(join_sentences(parts)), typo_rate=0.02)


def build_records(rng: random.Random, count: int) -> list[Record]:
    labels = balanced_labels(rng, LABELS, count)
    return unique_records(
        rng, count, lambda r, i: {"text": review(r, labels[i]), "label": labels[i]}, "text"
    )


def build_machine() -> str:
    return classifier_machine(
        title="Review sentiment",
        comments=['Each record is {"text": ..., "label": ...}; "label" is the ground truth.'],
        source="review",
        ground_truth="label",
        task="classify",
        task_title="Classify sentiment",
        prompt="What is the overall sentiment of this product review: positive, negative or "
        "neutral? Answer with one word. Review: {{ input.text }}",
        labels=LABELS,
        routes=[(label, label.capitalize(), label) for label in LABELS],
    )


WORKLOAD = Workload(
    name="sentiment",
    title="Review sentiment",
    description="Product reviews to positive, negative or neutral, with negation and mixed "
    "reviews whose overall verdict decides: learnable, but harder than tickets.",
    task="classify",
    input_fields=("text",),
    ground_truth="label",
    labels=LABELS,
    seed=3102,
    count=2500,
    build_records=build_records,
    build_machine=build_machine,
)
