"""The DSL lexer: one regex-driven pass from text to tokens.

Bad input never stops the pass: an unknown character, an unterminated string
or comment becomes an ``error`` token plus a :class:`Problem`, and the parser
skips error tokens quietly so one mistake is reported once.
"""

from __future__ import annotations

import math
import re
from typing import NamedTuple

from .errors import LineIndex, Problem

#: A bare word: names, types, identifier values, edge labels.
IDENT_RE = re.compile(r"[^\W\d]\w*")

#: Arrow tokens an edge may use, longest first.
ARROWS = ("<-->", "-->", "->", "=>")

# Each match is one token: skippable space and comments first, then the token itself.
_MASTER = re.compile(
    r"""
    \s*(?:(?://[^\n]*|/\*[\s\S]*?\*/)\s*)*
    (?:
      (?P<ident>[^\W\d]\w*)
    | (?P<number>-?[0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?)
    | (?P<op><-->|-->|->|=>|<-|[{}\[\]();:,<>|@-])
    | (?P<tstring>\"\"\"(?:[^"\\]|\\[\s\S]|"(?!""))*\"\"\")
    | (?P<open_tstring>\"\"\")
    | (?P<string>"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*')
    | (?P<open_string>["'][^\n]*)
    | (?P<open_comment>/\*[\s\S]*)
    | (?P<bad>.)
    | (?P<end>\Z)
    )
    """,
    re.VERBOSE,
)

_ESCAPE_RE = re.compile(r"\\(u[0-9a-fA-F]{4}|[\s\S])")
_SIMPLE_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "\\": "\\", '"': '"', "'": "'", "0": "\0"}


class Token(NamedTuple):
    """A token: ``kind`` is ``ident``, ``string``, ``number``, ``error``, ``eof`` or the
    operator text itself (``{``, ``->``, ``;`` ...); ``value`` is the decoded value."""

    kind: str
    value: object
    start: int
    end: int


def tokenize(text: str, index: LineIndex | None = None) -> tuple[list[Token], list[Problem]]:
    """Split ``text`` into tokens (ending with an ``eof`` token) and the problems met."""
    index = index or LineIndex(text)
    tokens: list[Token] = []
    problems: list[Problem] = []
    append = tokens.append
    for match in _MASTER.finditer(text):
        kind = match.lastgroup
        if kind == "end":
            break
        start, end = match.span(kind)
        raw = match.group(kind)
        if kind == "ident":
            append(Token("ident", raw, start, end))
        elif kind == "op":
            append(Token(raw, raw, start, end))
        elif kind == "string":
            append(Token("string", _decode(raw[1:-1], start + 1, index, problems), start, end))
        elif kind == "number":
            value, wrong = _number(raw)
            if wrong:
                problems.append(index.problem(start, wrong))
                append(Token("error", raw, start, end))
            else:
                append(Token("number", value, start, end))
        elif kind == "tstring":
            append(Token("string", _decode(raw[3:-3], start + 3, index, problems), start, end))
        else:
            problems.append(index.problem(start, _error_message(kind, raw)))
            append(Token("error", raw, start, end))
    append(Token("eof", None, len(text), len(text)))
    return tokens, problems


#: Longest integer literal: Python refuses to read one of more than 4,300 digits.
MAX_INT_DIGITS = 100


def _number(raw: str) -> tuple[int | float | None, str | None]:
    """The literal's value, or why it is not one: an integer too long to be a setting
    (Python's 4,300-digit guard would be a traceback), a float that overflows (``1e999``
    parses as infinity, which the DSL cannot write back)."""
    if "." in raw or "e" in raw or "E" in raw:
        value = float(raw)
        if math.isinf(value):
            return None, f"number {raw[:40]!r} is too large"
        return value, None
    digits = len(raw.lstrip("+-"))  # leading zeros count: Python's own guard counts them
    if digits > MAX_INT_DIGITS:
        return None, f"number of {digits:,} digits is too large (at most {MAX_INT_DIGITS})"
    return int(raw), None


def _error_message(kind: str | None, raw: str) -> str:
    if kind == "open_comment":
        return "unterminated comment: '/*' has no matching '*/'"
    if kind == "open_tstring":
        return 'unterminated string: \'"""\' has no closing \'"""\''
    if kind == "open_string":
        quote = raw[0]
        return f"unterminated string: add the closing {quote} before the end of the line"
    return f"unexpected character {raw!r}"


def _decode(body: str, offset: int, index: LineIndex, problems: list[Problem]) -> str:
    """Resolve escapes in a string body; an unknown escape is reported and kept as written."""
    if "\\" not in body:
        return body

    def replace(match: re.Match[str]) -> str:
        code = match.group(1)
        if len(code) == 5:
            return chr(int(code[1:], 16))
        simple = _SIMPLE_ESCAPES.get(code)
        if simple is not None:
            return simple
        problems.append(
            index.problem(
                offset + match.start(),
                f"unknown escape '\\{code}' in string (use \\n, \\t, \\r, \\\\, \\\", \\' "
                "or \\uXXXX)",
            )
        )
        return match.group()

    return _ESCAPE_RE.sub(replace, body)
