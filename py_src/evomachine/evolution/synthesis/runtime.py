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
# Methods looked up once, at load (in the sandbox every lookup passes a guard).
SPACED = " ".join
LOWER = str.lower
IS_ASCII = str.isascii
SPLIT = str.split
FSUM = math.fsum
FIND_ASCII_WORDS = re.compile("[a-z0-9]+").findall
FIND_PAIRS = re.compile(r"(?<!\S)(?=(\S+ \S+))").findall
FIND_GRAMS = (re.compile("(?s)(?=(...))").findall, re.compile("(?s)(?=(....))").findall,
              re.compile("(?s)(?=(.....))").findall)
FIND_EDGES = (re.compile(r" \S").findall, re.compile(r"\S ").findall)
# Texts of at most this many words get edges: in longer ones the words carry the meaning
# (and every feature found is a row to add up).
EDGE_WORDS = 4


def canonical(value) -> str:
    """The canonical JSON text of a value: sorted keys, no spaces."""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)  # what json writes for an int, without an encoder per call
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def text_of(input) -> str:
    """The text a task input carries: a string as is, a mapping's values in key order."""
    if isinstance(input, str):
        return input
    if isinstance(input, dict):
        values = [input[key] for key in sorted(input, key=str)]
        return SPACED([value if isinstance(value, str) else canonical(value) for value in values])
    return canonical(input)


def normalise(text: str) -> str:
    """NFKC, case-folded, punctuation and symbols turned to spaces, whitespace collapsed.

    ASCII text (up to ``LONG_TEXT`` chars) takes a shortcut in C with the same result:
    NFKC leaves it as it is, case folding is ``lower``, and every ASCII character but a
    letter or digit is punctuation, a symbol, a space or a control character.
    """
    if IS_ASCII(text) and len(text) <= LONG_TEXT:
        return SPACED(FIND_ASCII_WORDS(LOWER(text)))
    text = unicodedata.normalize("NFKC", text).casefold()
    category = unicodedata.category
    spaces = {ord(char): " " for char in set(text) if category(char)[0] in "PSZC"}
    return SPACED(text.translate(spaces).split())


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
    """Distinct word uni-/bigrams, character 3-5-grams and (up to ``EDGE_WORDS`` words) word
    :func:`edges` of normalised text, first seen first.

    ``re`` finds the overlapping grams in C; texts over ``LONG_TEXT`` chars are
    sliced in a loop instead (the sandbox lets ``re`` scan at most 20,000 chars):
    same grams, same order.
    """
    words = text.split()
    padded = " " + text + " "
    if len(padded) <= LONG_TEXT:
        pairs = FIND_PAIRS(SPACED(words))
        chars = FIND_GRAMS[0](padded)
        chars.extend(FIND_GRAMS[1](padded))
        chars.extend(FIND_GRAMS[2](padded))
    else:
        pairs = [words[at - 1] + " " + words[at] for at in range(1, len(words))]
        chars = [padded[at : at + size] for size in (3, 4, 5)
                 for at in range(len(padded) - size + 1)]
    if len(words) <= EDGE_WORDS:
        chars.extend(edges(padded))
    grams = tagged("w ", words)
    grams.extend(tagged("b ", pairs))
    grams.extend(tagged("c ", chars))
    return list(dict.fromkeys(grams))


def edges(padded: str) -> list:
    """Every space followed by a character that is not whitespace, then every such character
    followed by a space: each word's first and last character beside its space, the endings
    that tell short strings apart (a first name's ``a ``, a code's suffix)."""
    if len(padded) <= LONG_TEXT:
        found = FIND_EDGES[0](padded)
        found.extend(FIND_EDGES[1](padded))
        return found
    pairs = [padded[at : at + 2] for at in range(len(padded) - 1)]
    return ([pair for pair in pairs if pair[0] == " " and not pair[1].isspace()]
            + [pair for pair in pairs if pair[1] == " " and not pair[0].isspace()])


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


def gram_tables(rows: dict) -> tuple:
    """``rows`` (keyed by :func:`features` names) split for :func:`found_rows`, built once at load.

    ``(word keys, word rows' get, char keys, char rows' get)``: words and word pairs
    (``"w "``/``"b "`` names; a word holds no space, a pair exactly one) share a table,
    character grams (``"c "``) have their own, both keyed without the tag.
    """
    words = {}
    chars = {}
    for feat, row in rows.items():
        if feat[:2] == "c ":
            chars[feat[2:]] = row
        elif feat[:2] in ("w ", "b "):
            words[feat[2:]] = row
    return (words.keys(), words.get, chars.keys(), chars.get)


def found_rows(text: str, rows: dict, tables: tuple) -> list:
    """The rows of the distinct :func:`features` of ``text`` that ``rows`` knows.

    The same rows as ``filter(None, map(rows.get, features(text)))`` in another order
    (sums over them are exact, so order does not count). Set intersections with the
    tables' keys find them in C, without building a tagged name per gram; texts over
    ``LONG_TEXT`` chars take the loop.
    """
    padded = " " + text + " "
    if len(padded) > LONG_TEXT:
        return list(filter(None, map(rows.get, features(text))))
    words = SPLIT(text)
    word_keys = tables[0]
    char_keys = tables[2]
    hits = (word_keys & words) | (word_keys & FIND_PAIRS(SPACED(words)))
    grams = FIND_GRAMS
    chars = ((char_keys & grams[0](padded)) | (char_keys & grams[1](padded))
             | (char_keys & grams[2](padded)))
    if len(words) <= EDGE_WORDS:
        chars = chars | (char_keys & edges(padded))
    return list(filter(None, map(tables[1], hits))) + list(filter(None, map(tables[3], chars)))


def class_scores(feats: list, rows: dict, start: tuple) -> tuple:
    """``(score per class, features found)``: ``start`` plus the rows of the known features."""
    return summed(list(filter(None, map(rows.get, feats))), start)


def summed(found: list, start: tuple) -> tuple:
    """``(score per class, len(found))``: ``start`` plus the columns of the rows ``found``.

    Rows must not be empty (an empty row would not count as found). Columns are summed
    in C: integer weights exactly with ``sum``, float weights with ``math.fsum``, which
    rounds the exact total once. Both give the same bits on every Python and platform
    (``sum`` of floats does not: Python 3.12 made it compensated), whatever the rows' order.
    """
    if not found:
        return (list(start), 0)
    kinds = set(map(type, start))
    if kinds == {float}:
        scores = list(map(FSUM, zip(start, *found, strict=False)))
    elif kinds == {int}:
        scores = list(map(sum, zip(start, *found, strict=False)))
    else:
        scores = list(map(column_total, start, zip(*found, strict=True)))
    if len(scores) < len(start):
        scores = scores + list(start[len(scores):])  # classes no row reaches keep their start
    return (scores, len(found))


def column_total(first, column: tuple):
    """``first`` plus a column: ``sum`` if ``first`` is an int, else ``math.fsum`` (exact)."""
    if isinstance(first, int):
        return sum(column, first)
    return FSUM((first, *column))


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
    return nb_best(class_scores(feats, rows, priors), unseen)


def nb_best(found: tuple, unseen: tuple) -> tuple:
    """:func:`nb_predict` from :func:`summed`'s ``(scores, known)``: unseen terms added."""
    known = found[1]
    scores = found[0]
    return best_and_margin([scores[at] + known * unseen[at] for at in range(len(scores))])


def length_norm(text: str) -> float:
    """The linear model's document norm: the square root of the padded normalised text's length.

    It grows like the l2 norm of the text's binary feature vector (about three character
    grams per character) and needs no feature count; ``sqrt`` is correctly rounded, so
    every platform gets the same bits.
    """
    return math.sqrt(len(text) + 2)


def scaled_best(found: tuple, bias: tuple, norm: float, scale: int) -> tuple:
    """``(class index, lead / scale)`` of a linear model: each class's summed weights over
    ``norm``, plus its bias (weights and biases are integers in units of 1/scale)."""
    sums = found[0]
    return best_and_margin([(sums[at] / norm + bias[at]) / scale for at in range(len(bias))])


def calibrate(raw: float, table: tuple) -> float:
    """The calibrated confidence of a raw score: the last bin starting at or below it."""
    if not table:
        return min(1.0, max(0.0, raw))
    for row in reversed(table):  # the last match is the first from the end
        if raw >= row[0]:
            return row[1]
    return table[0][1]
