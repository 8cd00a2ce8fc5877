"""Semi-supervised naive Bayes: EM over the inputs the LLM never answered."""

from __future__ import annotations

import random

from test_synthesis_data import ROUTE, keyword_records

from evomachine.evolution.synthesis import synthesize
from evomachine.evolution.synthesis.classifier import FeatureCache, fit_naive_bayes
from evomachine.evolution.synthesis.dataset import Example, examples_from_records
from evomachine.evolution.synthesis.lookup import all_labels
from evomachine.evolution.synthesis.select import MIN_UNLABELLED, unlabelled_inputs
from evomachine.evolution.synthesis.semi_supervised import fit_naive_bayes_em
from evomachine.history import ExecutionRecord
from evomachine.sandbox import load_module

FILLER = ["echo", "golf", "hotel", "november", "oscar"]


def text(rng: random.Random, *words: str) -> dict[str, str]:
    return {"text": " ".join([*words, rng.choice(FILLER), rng.choice(FILLER)])}


def co_occurring(seed: int = 0) -> tuple[list[Example], list[dict[str, str]]]:
    """Answers: "alpha" is x, "bravo" is y, each with the same filler words. Unanswered
    inputs: "kiwi" comes with "alpha" and "zulu" with "bravo" (no word shares a character
    gram or a first or last letter with another)."""
    rng = random.Random(seed)
    examples = [Example({"text": f"{word} {FILLER[at % 5]} {FILLER[(at + 2) % 5]}"}, label)
                for at in range(10) for word, label in (("alpha", "x"), ("bravo", "y"))]
    unlabelled = [text(rng, "alpha", "kiwi") for _ in range(30)]
    unlabelled += [text(rng, "bravo", "zulu") for _ in range(30)]
    rng.shuffle(unlabelled)
    return examples, unlabelled


def test_without_unlabelled_inputs_it_is_naive_bayes() -> None:
    examples = examples_from_records(keyword_records(300, accuracy=0.9, seed=3))
    labels = all_labels(examples)
    plain = fit_naive_bayes(examples, labels, max_features=400)
    semi = fit_naive_bayes_em(examples, labels, [], max_features=400)
    assert (semi.priors, semi.unseen, semi.weights) == (plain.priors, plain.unseen, plain.weights)


def test_em_places_the_features_only_unanswered_inputs_carry() -> None:
    examples, unlabelled = co_occurring()
    labels = ["x", "y"]
    plain = fit_naive_bayes(examples, labels)
    semi = fit_naive_bayes_em(examples, labels, unlabelled)
    for word, label in (("kiwi", "x"), ("zulu", "y")):
        alone = {"text": word}
        assert plain.predict(alone)[1] == 0.0  # naive Bayes never saw the word
        output, margin = semi.predict(alone)
        assert output == label and margin > 1.0, (word, output, margin)
    # no rounds: the extra features are kept but learn nothing
    assert fit_naive_bayes_em(examples, labels, unlabelled, rounds=0).predict(
        {"text": "kiwi"})[1] == 0.0


def test_the_same_data_gives_the_same_model() -> None:
    examples, unlabelled = co_occurring(seed=4)
    first = fit_naive_bayes_em(examples, ["x", "y"], unlabelled)
    again = fit_naive_bayes_em(examples, ["x", "y"], unlabelled, cache=FeatureCache())
    assert (first.priors, first.unseen, first.weights) == (again.priors, again.unseen,
                                                           again.weights)


def answered_by_code(records: list[ExecutionRecord], every: int) -> list[ExecutionRecord]:
    """Every ``every``-th record answered by code: no LLM answer to learn from."""
    return [record.model_copy(update={"llm_output": None, "answered_by": "code"})
            if at % every == 0 else record for at, record in enumerate(records)]


def test_unlabelled_inputs_are_the_newest_distinct_unanswered_ones() -> None:
    rng = random.Random(1)
    answered = ExecutionRecord(task="route", input=text(rng, "alpha"), llm_output="x")
    failed = ExecutionRecord(task="route", input={"text": "broken"}, success=False)
    repeat = ExecutionRecord(task="route", input=answered.input, answered_by="memo")
    fresh = [ExecutionRecord(task="route", input={"text": f"n{at}"}, answered_by="code")
             for at in range(5)]
    records = [answered, failed, repeat, *fresh, fresh[0]]
    examples = examples_from_records(records)
    assert unlabelled_inputs(records, examples) == [r.input for r in fresh[1:]] + [fresh[0].input]
    assert unlabelled_inputs(records, examples, limit=2) == [fresh[4].input, fresh[0].input]


async def test_synthesis_offers_it_once_enough_inputs_lack_an_answer() -> None:
    few = answered_by_code(keyword_records(120, accuracy=0.95, seed=5), every=10)
    assert len(unlabelled_inputs(few, examples_from_records(few))) < MIN_UNLABELLED
    assert "naive_bayes_em" not in (await synthesize(ROUTE, few, verify_inputs=0)).scores
    many = answered_by_code(keyword_records(400, accuracy=0.95, seed=5), every=2)
    result = await synthesize(ROUTE, many, synthesizers=["naive_bayes_em"])
    assert result.synthesizer == "naive_bayes_em"
    assert result.heldout_agreement > 0.85
    # the module is naive Bayes with other counts: it answers like the in-process model
    module = load_module(result.code, result.code_path_hint)
    for record in many[:50]:
        output, _ = result.model.predict(record.input)
        assert module.execute(record.input, {})["output"] == output
