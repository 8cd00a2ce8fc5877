"""The parser's base: a token cursor with error recovery, plus attribute values and types.

Errors raise :class:`Sync` after recording a :class:`Problem`; the statement
loop catches it and calls :meth:`Cursor.synchronize`, which skips to a safe
point, so parsing always goes on to find the next independent mistake.
"""

from __future__ import annotations

from ..model import Attribute, Identifier, TypeRef
from .errors import LineIndex
from .lexer import Token, tokenize
from .source_map import Position

#: Deepest nesting of blocks, lists and objects accepted (keeps recursion bounded).
MAX_DEPTH = 64


class Sync(Exception):
    """Unwinds to the statement loop, which skips to a safe point."""


def describe(token: Token) -> str:
    """How a token reads in an error message."""
    if token.kind == "eof":
        return "end of input"
    if token.kind == "string":
        text = str(token.value)
        return f"string {text[:30]!r}" + ("..." if len(text) > 30 else "")
    if token.kind == "number":
        return f"number {token.value}"
    return f"'{token.value}'"


class Cursor:
    """Tokens of one text, the position in them, and the problems found so far."""

    def __init__(self, text: str) -> None:
        self.index = LineIndex(text)
        self.tokens, self.problems = tokenize(text, self.index)
        self.pos = 0
        self.depth = 0
        # did an unterminated string or comment swallow text (and maybe a closing brace)?
        self.swallowed = any(
            t.kind == "error" and str(t.value).startswith(('"', "'", "/*")) for t in self.tokens
        )

    # -- token helpers -------------------------------------------------------------------
    @property
    def tok(self) -> Token:
        return self.tokens[self.pos]

    def peek(self, ahead: int = 1) -> Token:
        return self.tokens[min(self.pos + ahead, len(self.tokens) - 1)]

    def advance(self) -> Token:
        token = self.tokens[self.pos]
        if token.kind != "eof":
            self.pos += 1
        return token

    def at(self, kind: str) -> bool:
        return self.tokens[self.pos].kind == kind

    def where(self, token: Token) -> Position:
        return self.index.position(token.start)

    def report(self, offset: int, message: str, token: Token | None = None) -> None:
        if token is not None and token.kind == "error":
            return  # the lexer already reported this spot
        self.problems.append(self.index.problem(offset, message))

    def fail(self, token: Token, message: str) -> Sync:
        self.report(token.start, message, token)
        return Sync()

    def expect_ident(self, what: str) -> Token:
        if not self.at("ident"):
            raise self.fail(self.tok, f"expected {what}, found {describe(self.tok)}")
        return self.advance()

    def expect_end(self, what: str) -> None:
        """Consume a statement's ';'; a missing one at a line end is reported and forgiven."""
        if self.at(";"):
            self.advance()
            return
        previous = self.tokens[self.pos - 1]
        current = self.tok
        if previous.kind == "error":
            return
        self.report(previous.end, f"missing ';' after {what}, found {describe(current)}", current)
        later_line = self.index.position(current.start)[0] > self.index.position(previous.end)[0]
        if not (later_line or current.kind in ("}", "eof")):
            raise Sync()

    def synchronize(self) -> None:
        """Skip to just after the next ';' (or a balanced block), or to a closing '}'."""
        depth = 0
        while True:
            kind = self.tok.kind
            if kind == "eof":
                return
            if kind == "{":
                depth += 1
            elif kind == "}":
                if depth == 0:
                    return
                depth -= 1
                if depth == 0:
                    self.advance()
                    return
            elif kind == ";" and depth == 0:
                self.advance()
                return
            self.advance()


class ValueParser(Cursor):
    """Attributes, their types and values."""

    def attribute(self) -> tuple[Token, Attribute, Token | None]:
        name_token = self.advance()
        type_ref = self.type_ref() if self.at("<") else None
        value = None
        value_token = None
        if self.at(":"):
            self.advance()
            value_token = self.tok
            value = self.value()
        elif type_ref is None:
            raise self.fail(self.tok, f"expected ':' after attribute '{name_token.value}'")
        return (
            name_token,
            Attribute(name=str(name_token.value), type=type_ref, value=value),
            value_token,
        )

    def type_ref(self) -> TypeRef:
        self.advance()
        parts: list[tuple[str, str]] = []
        while True:
            token = self.tok
            if token.kind == "string":
                parts.append(("literal", str(token.value)))
            elif token.kind == "ident":
                parts.append(("name", str(token.value)))
            else:
                raise self.fail(
                    token, f'expected a type name or a "literal" in <...>, found {describe(token)}'
                )
            self.advance()
            if self.at("|"):
                self.advance()
            elif self.at(">"):
                self.advance()
                return TypeRef(parts=parts)
            else:
                raise self.fail(
                    self.tok, f"expected '|' or '>' in the type, found {describe(self.tok)}"
                )

    def value(self) -> object:
        token = self.tok
        kind = token.kind
        if kind in ("string", "number"):
            self.advance()
            return token.value
        if kind == "ident":
            self.advance()
            if token.value in ("true", "false"):
                return token.value == "true"
            return Identifier(name=str(token.value))
        if kind == "error":
            self.advance()
            return Identifier(name="?")
        if kind in ("[", "{"):
            self.depth += 1
            try:
                if self.depth > MAX_DEPTH:
                    raise self.fail(token, f"values nested deeper than {MAX_DEPTH} levels")
                return self.list_value() if kind == "[" else self.object_value()
            finally:
                self.depth -= 1
        raise self.fail(
            token,
            "expected a value (a string, number, true/false, name, [list] or { object }), "
            f"found {describe(token)}",
        )

    def list_value(self) -> list[object]:
        self.advance()
        items: list[object] = []
        while not self.at("]"):
            items.append(self.value())
            if self.at(","):
                self.advance()
            elif not self.at("]"):
                raise self.fail(
                    self.tok, f"expected ',' or ']' in the list, found {describe(self.tok)}"
                )
        self.advance()
        return items

    def object_value(self) -> dict[str, object]:
        self.advance()
        entries: dict[str, object] = {}
        while not self.at("}"):
            key_token = self.tok
            if key_token.kind not in ("ident", "string"):
                raise self.fail(
                    key_token, f"expected a key in the object, found {describe(key_token)}"
                )
            self.advance()
            if not self.at(":"):
                raise self.fail(self.tok, f"expected ':' after key {key_token.value!r}")
            self.advance()
            key = str(key_token.value)
            if key in entries:
                self.report(key_token.start, f"key {key!r} appears twice in the object")
            entries[key] = self.value()
            if self.at(",") or self.at(";"):
                self.advance()
            elif not self.at("}"):
                raise self.fail(
                    self.tok, f"expected ',' or '}}' in the object, found {describe(self.tok)}"
                )
        self.advance()
        return entries
