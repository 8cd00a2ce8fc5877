"""Prediction helpers shared by the synthesizers and the modules they emit.

Everything below the ``BEGIN EMITTED`` marker is copied verbatim into every
generated module, and the synthesizers call the very same functions in
process. So the emitted module computes exactly what was scored on held-out
data: same features, same summation order, same tie-breaking.

That text runs inside the sandbox, hence its rules: only allow-listed
imports, no names or attributes starting with an underscore, no ``object``
or ``typing``, no augmented assignment to items, annotations with bare
builtin types (``canonical`` and ``text_of`` take any JSON value).
"""

# BEGIN EMITTED
import json
import unicodedata


def canonical(value) -> str:
    """The canonical JSON text of a value: sorted keys, no spaces."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def text_of(input) -> str:
    """The text a task input carries: a string as is, a mapping's values in key order."""
    if isinstance(input, str):
        return input
    if isinstance(input, dict):
        parts = []
        for key in sorted(input, key=str):
            value = input[key]
            parts.append(value if isinstance(value, str) else canonical(value))
        return " ".join(parts)
    return canonical(input)


def normalise(text: str) -> str:
    """NFKC, case-folded, punctuation and symbols turned to spaces, whitespace collapsed."""
    text = unicodedata.normalize("NFKC", text).casefold()
    chars = []
    for char in text:
        category = unicodedata.category(char)
        chars.append(" " if category[0] in "PSZC" else char)
    return " ".join("".join(chars).split())


def sorted_tokens(text: str) -> str:
    """The normalised text's distinct words, sorted: word order and repeats no longer count."""
    return " ".join(sorted(set(text.split())))


def features(text: str) -> list:
    """Distinct word uni-/bigrams and character 3-5-grams of normalised text, first seen first."""
    words = text.split()
    grams = ["w " + word for word in words]
    grams.extend(["b " + words[index - 1] + " " + words[index] for index in range(1, len(words))])
    padded = " " + text + " "
    for size in (3, 4, 5):
        grams.extend(["c " + padded[at : at + size] for at in range(len(padded) - size + 1)])
    return list(dict.fromkeys(grams))


def lookup_predict(table: dict, key: str, default: int) -> tuple:
    """``(label index, vote share)`` for a key in a lookup table, ``(default, -1.0)`` on a miss."""
    entry = table.get(key)
    if entry is None:
        return (default, -1.0)
    return (entry[0], entry[1])


def nb_predict(feats: list, weights: dict, priors: tuple, unseen: tuple) -> tuple:
    """``(class index, log-odds margin over the runner-up)`` of sparse naive Bayes.

    ``weights[feat]`` is a flat ``[class, excess, class, excess, ...]`` list: the
    feature's log-probability in that class above ``unseen[class]``, the
    log-probability of a known feature never seen with the class. Ties go to
    the first class.
    """
    scores = list(priors)
    count = len(scores)
    known = 0
    for feat in feats:
        row = weights.get(feat)
        if row is not None:
            known = known + 1
            for at in range(0, len(row), 2):
                scores[row[at]] = scores[row[at]] + row[at + 1]
    for index in range(count):
        scores[index] = scores[index] + known * unseen[index]
    best = 0
    for index in range(1, count):
        if scores[index] > scores[best]:
            best = index
    second = None
    for index in range(count):
        if index != best and (second is None or scores[index] > second):
            second = scores[index]
    if second is None:
        return (best, 0.0)
    return (best, scores[best] - second)


def calibrate(raw: float, table: tuple) -> float:
    """The calibrated confidence of a raw score: the last bin starting at or below it."""
    if not table:
        return min(1.0, max(0.0, raw))
    value = table[0][1]
    for start, confidence in table:
        if raw >= start:
            value = confidence
    return value
