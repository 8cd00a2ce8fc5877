"""The emitted runtime's fast paths give exactly what the plain loops they replaced gave."""

from __future__ import annotations

import math
import random
import unicodedata

from test_synthesis_data import keyword_records

from evomachine.evolution.synthesis.classifier import fit_naive_bayes
from evomachine.evolution.synthesis.dataset import examples_from_records
from evomachine.evolution.synthesis.lookup import all_labels
from evomachine.evolution.synthesis.render import runtime_source
from evomachine.evolution.synthesis.runtime import (
    LONG_TEXT,
    class_scores,
    features,
    found_rows,
    gram_tables,
    length_norm,
    nb_predict,
    normalise,
    scaled_best,
    sparse_rows,
    summed,
    tagged,
)
from evomachine.sandbox import load_module


def plain_normalise(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).casefold()
    chars = [" " if unicodedata.category(char)[0] in "PSZC" else char for char in text]
    return " ".join("".join(chars).split())


def plain_features(text: str) -> list[str]:
    words = text.split()
    grams = ["w " + word for word in words]
    grams.extend(["b " + words[index - 1] + " " + words[index] for index in range(1, len(words))])
    padded = " " + text + " "
    for size in (3, 4, 5):
        grams.extend(["c " + padded[at : at + size] for at in range(len(padded) - size + 1)])
    pairs = [padded[at : at + 2] for at in range(len(padded) - 1)] if len(words) <= 4 else []
    # a space, then a character that is not whitespace; then such a character, then a space
    grams.extend("c " + pair for pair in pairs if pair[0] == " " and not pair[1].isspace())
    grams.extend("c " + pair for pair in pairs if pair[1] == " " and not pair[0].isspace())
    return list(dict.fromkeys(grams))


def plain_nb_predict(feats, weights, priors, unseen):
    """Naive Bayes by plain loops; each class's terms summed exactly rounded (``math.fsum``),
    as the emitted code does so that every Python and platform gets the same bits."""
    terms = [[prior] for prior in priors]
    known = 0
    for feat in feats:
        row = weights.get(feat)
        if row is not None:
            known += 1
            for at in range(0, len(row), 2):
                terms[row[at]].append(row[at + 1])
    scores = [math.fsum(column) + known * weight
              for column, weight in zip(terms, unseen, strict=True)]
    best = max(range(len(scores)), key=lambda index: (scores[index], -index))
    others = [score for index, score in enumerate(scores) if index != best]
    return (best, scores[best] - max(others) if others else 0.0)


def texts() -> list[str]:
    rng = random.Random(3)
    alphabet = "abcXYZ  \t\n.,!é\u0301ﬁ\u00a0\x00\x1f日本語😀-_'\"0123"
    found = ["", " ", "a", "ab", "abc", "a b", "\x00", "x\x00y z", "ab cd ab"]
    found += ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40))) for _ in range(400)]
    found += ["word " * (LONG_TEXT // 4), "x" * (LONG_TEXT + 7)]
    return found


def test_normalise_and_features_match_the_plain_loops():
    for text in texts():
        assert normalise(text) == plain_normalise(text), repr(text)
        for form in (text, normalise(text)):
            assert features(form) == plain_features(form), repr(form)[:60]


def test_tagged_survives_a_nul_inside_an_item():
    assert tagged("c ", ["a\x00b", "cd"]) == ["c a\x00b", "c cd"]
    assert tagged("w ", []) == []


def test_nb_predict_matches_the_plain_loops_to_the_last_bit():
    examples = examples_from_records(keyword_records(300, accuracy=0.8))
    model = fit_naive_bayes(examples[:200], all_labels(examples))
    for example in examples:
        feats = model.featurize(example.input)
        assert nb_predict(feats, model.rows, model.priors, model.unseen) == plain_nb_predict(
            feats, model.weights, model.priors, model.unseen)


def test_class_scores_add_rows_in_feature_order():
    rows = sparse_rows({"a": [0, 0.1, 2, 1.0], "b": [0, 0.2], "c": [1, -3]})
    assert rows == {"a": (0.1, 0, 1.0), "b": (0.2, 0, 0), "c": (0, -3, 0)}
    scores, found = class_scores(["b", "x", "a", "c"], rows, (0.5, 0.0, 0.0))
    assert scores == [math.fsum([0.5, 0.2, 0.1]), -3, 1.0] and found == 3
    assert scores[0] == 0.8 != 0.5 + 0.2 + 0.1  # rounded once, not once per addition
    assert scaled_best(([500, 0], 2), (0, 100), 2.0, 100) == (0, 1.5)
    assert scaled_best(([0, 0, 0], 0), (7, 7, 1), 3.0, 100) == (0, 0.0)
    assert length_norm("abcdefg") == 3.0


def test_the_sandboxed_runtime_matches_in_process():
    imports, helpers = runtime_source()
    source = imports + "\n\n" + helpers + "\n\n\ndef both(text: str) -> list:\n" \
        "    return [normalise(text), features(text), features(normalise(text))]\n" \
        "\n\ndef rows_of(text: str, rows: dict) -> list:\n" \
        "    return sorted(found_rows(text, rows, gram_tables(rows)))\n"
    module = load_module(source, "generated/runtime_check.py")
    for text in texts():
        got = module.call("both", text)
        assert got == [normalise(text), features(text), features(normalise(text))], repr(text)
        rows = {feat: [index, 1] for index, feat in enumerate(features(text)[::3])}
        assert module.call("rows_of", text, rows) == sorted(
            found_rows(text, rows, gram_tables(rows))), repr(text)


def test_found_rows_are_the_rows_of_the_features_and_sum_to_the_same_bits():
    examples = examples_from_records(keyword_records(300, accuracy=0.8))
    model = fit_naive_bayes(examples[:200], all_labels(examples))
    rows = dict(model.rows)
    for text in texts()[:80]:  # every gram of some texts is known too
        for feat in features(normalise(text)):
            rows.setdefault(feat, (0.25, -1.5, 0.0)[: len(model.priors)])
    tables = gram_tables(rows)
    inputs = [normalise(text) for text in texts()]
    inputs += [normalise(model_text) for model_text in
               (example.input["text"] for example in examples if isinstance(example.input, dict))]
    for text in inputs:
        expected = list(filter(None, map(rows.get, features(text))))
        got = found_rows(text, rows, tables)
        assert sorted(got) == sorted(expected), repr(text)[:60]
        assert summed(got, model.priors) == summed(expected, model.priors), repr(text)[:60]


def test_summed_keeps_the_start_of_classes_no_row_reaches():
    assert summed([(1, 2), (3, 4)], (10, 20, 30)) == ([14, 26, 30], 2)
    assert summed([(0.1, 0.2)], (0.5, 0.0, 7.0)) == ([math.fsum([0.5, 0.1]), 0.2, 7.0], 1)
    assert summed([(1, 0.5)], (1, 0.25)) == ([2, 0.75], 1)
    assert summed([], (1.0, 2.0)) == ([1.0, 2.0], 0)
