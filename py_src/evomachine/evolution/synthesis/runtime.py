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
import math
import re
import unicodedata

LONG_TEXT = 10000


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
    category = unicodedata.category
    spaces = {ord(char): " " for char in set(text) if category(char)[0] in "PSZC"}
    return " ".join(text.translate(spaces).split())


def sorted_tokens(text: str) -> str:
    """The normalised text's distinct words, sorted: word order and repeats no longer count."""
    return " ".join(sorted(set(text.split())))


def tagged(tag: str, items: list) -> list:
    """``tag + item`` for every item: one join and split, unless an item holds a NUL."""
    if not items:
        return []
    joined = tag + ("\0" + tag).join(items)
    if joined.count("\0") == len(items) - 1:
        return joined.split("\0")
    return [tag + item for item in items]


def features(text: str) -> list:
    """Distinct word uni-/bigrams and character 3-5-grams of normalised text, first seen first.

    ``re`` finds the overlapping grams in C; texts over ``LONG_TEXT`` chars are
    sliced in a loop instead (the sandbox lets ``re`` scan at most 20,000 chars):
    same grams, same order.
    """
    words = text.split()
    padded = " " + text + " "
    if len(padded) <= LONG_TEXT:
        pairs = re.findall(r"(?<!\S)(?=(\S+ \S+))", " ".join(words))
        chars = re.findall("(?s)(?=(...))", padded)
        chars.extend(re.findall("(?s)(?=(....))", padded))
        chars.extend(re.findall("(?s)(?=(.....))", padded))
    else:
        pairs = [words[at - 1] + " " + words[at] for at in range(1, len(words))]
        chars = [padded[at : at + size] for size in (3, 4, 5)
                 for at in range(len(padded) - size + 1)]
    grams = tagged("w ", words)
    grams.extend(tagged("b ", pairs))
    grams.extend(tagged("c ", chars))
    return list(dict.fromkeys(grams))


def lookup_predict(table: dict, key: str, default: int) -> tuple:
    """``(label index, vote share)`` for a key in a lookup table, ``(default, -1.0)`` on a miss."""
    entry = table.get(key)
    if entry is None:
        return (default, -1.0)
    return (entry[0], entry[1])


def sparse_rows(table: dict) -> dict:
    """``{feature: (weight per class, ...)}`` from an emitted ``{feature: [class, weight, ...]}``.

    Rows become dense tuples once, at load, so that scoring sums columns in C. The
    number of classes is one more than the highest class index any row names.
    """
    classes = 1 + max((max(row[0::2]) for row in table.values() if row), default=-1)
    dense = {}
    for feat, row in table.items():
        if row:
            values = [0] * classes
            for at in range(0, len(row), 2):
                values[row[at]] = row[at + 1]
            dense[feat] = tuple(values)
    return dense


def class_scores(feats: list, rows: dict, start: tuple) -> tuple:
    """``(score per class, features found)``: ``start`` plus the rows of the known features.

    Rows must not be empty (an empty row would not count as found). Columns are summed
    in C: integer weights exactly with ``sum``, float weights with ``math.fsum``, which
    rounds the exact total once. Both give the same bits on every Python and platform
    (``sum`` of floats does not: Python 3.12 made it compensated).
    """
    found = list(filter(None, map(rows.get, feats)))
    if not found:
        return (list(start), 0)
    width = len(found[0])
    columns = list(zip(*found, strict=True))
    scores = []
    for at in range(len(start)):
        if at >= width:
            scores.append(start[at])
        elif isinstance(start[at], int):
            scores.append(sum(columns[at], start[at]))
        else:
            scores.append(math.fsum((start[at], *columns[at])))
    return (scores, len(found))


def best_and_margin(scores: list) -> tuple:
    """``(index of the highest score, its lead over the runner-up)``; ties go to the first class."""
    top = max(scores)
    if len(scores) < 2:
        return (scores.index(top), 0.0)
    return (scores.index(top), top - sorted(scores)[-2])


def nb_predict(feats: list, rows: dict, priors: tuple, unseen: tuple) -> tuple:
    """``(class index, log-odds margin over the runner-up)`` of sparse naive Bayes.

    ``rows[feat]`` maps a class to the feature's log-probability in it above
    ``unseen[class]``, the log-probability of a known feature never seen with
    the class.
    """
    found = class_scores(feats, rows, priors)
    known = found[1]
    scores = found[0]
    return best_and_margin([scores[at] + known * unseen[at] for at in range(len(scores))])


def linear_predict(feats: list, rows: dict, bias: tuple, scale: int) -> tuple:
    """``(class index, lead over the runner-up / scale)`` of a linear model with integer weights."""
    found = best_and_margin(class_scores(feats, rows, bias)[0])
    return (found[0], found[1] / scale)


def calibrate(raw: float, table: tuple) -> float:
    """The calibrated confidence of a raw score: the last bin starting at or below it."""
    if not table:
        return min(1.0, max(0.0, raw))
    value = table[0][1]
    for start, confidence in table:
        if raw >= start:
            value = confidence
    return value
