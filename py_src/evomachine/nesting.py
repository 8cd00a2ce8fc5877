"""Nesting limits for text from outside, measured before a C parser recurses into it.

``json.loads``, ``ast.parse`` and ``compile`` recurse in C once per level of nesting.
CPython stops them with ``RecursionError`` or ``MemoryError``; in Pyodide the
WebAssembly stack runs out first (between 1,000 and 2,000 levels under Node, a
13 KB JSON text or a 6 KB ``x=1+1+...``) and the interpreter dies with a fatal error:
the page's engine is gone until a reload. So JSON and Python source from outside
(LLM answers, imported or stored documents, data files, modules) are measured here
first, without recursion, and refused past a limit far below that with a
:class:`NestingError` (a ``ValueError``, so a caller's ``except ValueError`` holds).
"""

from __future__ import annotations

import io
import json
import re
import tokenize
from itertools import accumulate
from typing import Any

MAX_JSON_DEPTH = 200
"""Deepest JSON accepted: arrays and objects inside each other."""
MAX_CODE_DEPTH = 200
"""Largest estimated depth of a Python module's syntax tree (see :func:`code_depth`)."""
MAX_TEMPLATE_DEPTH = 40
"""Largest estimated depth of a jinja expression (jinja's compiler recurses through C
calls: in Pyodide about 100 levels, ``{{ x.x.x... }}``, exhausted the stack)."""

_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")
_STEP = {"[": 1, "{": 1, "]": -1, "}": -1}
# Keywords that put what follows them one level deeper in the tree.
_DEEPER = frozenset({"not", "lambda", "if", "else", "await", "yield", "and", "or"})
_OPEN = frozenset("([{")
_CLOSE = frozenset(")]}")
_TEMPLATE_WORDS = frozenset({"not", "and", "or", "if", "else", "is", "in"})


class NestingError(ValueError):
    """Text nested deeper than a parser may safely recurse."""


def json_depth(text: str) -> int:
    """How deep the arrays and objects of JSON ``text`` nest (brackets in strings do not
    count; for text that is not JSON, an estimate). Linear, no recursion."""
    brackets = _NOT_BRACKET.sub("", _STRING.sub("", text))
    return max(accumulate(map(_STEP.__getitem__, brackets)), default=0)


def check_json(text: str | bytes, limit: int = MAX_JSON_DEPTH) -> None:
    """Refuse JSON ``text`` nested deeper than ``limit`` (:class:`NestingError`)."""
    if isinstance(text, bytes | bytearray):
        text = bytes(text).decode("latin-1")  # brackets, quotes and backslashes are ASCII
    if text.count("[") + text.count("{") <= limit:
        return
    depth = json_depth(text)
    if depth > limit:
        raise NestingError(f"JSON nested {depth:,} levels deep (at most {limit} allowed)")


def loads(text: str | bytes, limit: int = MAX_JSON_DEPTH) -> Any:
    """``json.loads(text)`` once :func:`check_json` has measured it."""
    check_json(text, limit)
    return json.loads(text)


def code_depth(code: str, stop: int | None = None) -> int:
    """An upper estimate of the depth of ``code``'s syntax tree, from its tokens; once it
    passes ``stop`` the estimate so far is returned.

    Each open bracket is a level; within one bracket level, every operator and every
    keyword in :data:`_DEEPER` since the last comma adds one (``1+1+1`` or ``not not x``
    nest); an indentation level adds two, and each ``elif`` of a chain one (an ``elif``
    is an ``if`` inside the one before). A comma in a lambda's parameters (before its
    ``:``) separates nothing: ``lambda a,: lambda a,: ...`` nests, and counts on. Tokenizing
    stops at the first error, with the depth measured up to there (the parser stops there
    too).
    """
    stack = [0]  # per open bracket: the operators counted since its last comma
    params = [0]  # per open bracket: lambdas whose ':' has not come yet
    chains = [0]  # per indentation level: the elifs of the chain under way
    inner = 1  # sum(stack) + len(stack)
    outer = 2  # 2 * len(chains) + sum(chains)
    deepest = 0
    line_start = True
    try:
        for token in tokenize.generate_tokens(io.StringIO(code).readline):
            kind, text = token.type, token.string
            if kind == tokenize.INDENT:
                chains.append(0)
                outer += 2
            elif kind == tokenize.DEDENT:
                if len(chains) > 1:
                    outer -= 2 + chains.pop()
            elif kind in (tokenize.NEWLINE, tokenize.ENDMARKER):
                stack, params, inner, line_start = [0], [0], 1, True
            elif kind not in (tokenize.NL, tokenize.COMMENT):
                if line_start:
                    line_start = False
                    if text == "elif":
                        chains[-1] += 1
                        outer += 1
                    elif text != "else":
                        outer -= chains[-1]
                        chains[-1] = 0
                if kind == tokenize.OP:
                    if text in _OPEN:
                        stack[-1] += 1
                        stack.append(0)
                        params.append(0)
                        inner += 2
                    elif text in _CLOSE:
                        if len(stack) > 1:
                            inner -= stack.pop() + 1
                            params.pop()
                    elif text in (",", ";") and not params[-1]:
                        inner -= stack[-1]
                        stack[-1] = 0
                        line_start = text == ";"
                    else:
                        if text == ":" and params[-1]:
                            params[-1] -= 1
                        stack[-1] += 1
                        inner += 1
                elif kind == tokenize.NAME and text in _DEEPER:
                    stack[-1] += 1
                    params[-1] += text == "lambda"
                    inner += 1
            if inner + outer > deepest:
                deepest = inner + outer
                if stop is not None and deepest > stop:
                    break
    except (tokenize.TokenError, SyntaxError, ValueError, RecursionError, MemoryError):
        pass
    return deepest


def check_code(code: str, limit: int = MAX_CODE_DEPTH) -> None:
    """Refuse Python source whose syntax tree may nest deeper than ``limit``
    (:class:`NestingError`), before ``ast.parse`` or ``compile`` sees it."""
    if len(code) <= limit // 2:
        return  # every level takes at least one character ... and two levels per indent
    depth = code_depth(code, stop=limit)
    if depth > limit:
        raise NestingError(f"the code nests more than {limit} levels deep "
                           f"(at most {limit} allowed)")


def template_depth(source: str, environment: Any) -> int:
    """An upper estimate of how deep the expressions of jinja template ``source`` nest, from
    ``environment``'s lexer (no recursion): within a tag, each open bracket is a level and
    every operator (``.``, ``|``, ``+`` ...) or keyword such as ``not`` since the last comma
    adds one. A template the lexer refuses is measured up to there (jinja stops there too)."""
    stack, inner, deepest = [0], 1, 0
    try:
        for _, kind, value in environment.lex(source):
            if kind in ("variable_begin", "block_begin"):
                stack, inner = [0], 1
            elif kind == "operator":
                if value in _OPEN:
                    stack[-1] += 1
                    stack.append(0)
                    inner += 2
                elif value in _CLOSE:
                    if len(stack) > 1:
                        inner -= stack.pop() + 1
                elif value == ",":
                    inner -= stack[-1]
                    stack[-1] = 0
                else:
                    stack[-1] += 1
                    inner += 1
            elif kind == "name" and value in _TEMPLATE_WORDS:
                stack[-1] += 1
                inner += 1
            deepest = max(deepest, inner)
    except Exception:  # TemplateSyntaxError, and whatever odd input makes the lexer raise
        pass
    return deepest


def check_template(source: str, environment: Any, limit: int = MAX_TEMPLATE_DEPTH) -> None:
    """Refuse a jinja template whose expressions may nest deeper than ``limit``
    (:class:`NestingError`), before jinja parses and compiles it."""
    if len(source) <= limit // 2:
        return
    depth = template_depth(source, environment)
    if depth > limit:
        raise NestingError(f"the template's expressions nest more than {limit} levels deep")
