"""Recursive-descent parser: tokens to :class:`MachineData`, with error recovery.

Grammar (informal)::

    program    := 'machine' STRING ';'? statement*
    statement  := annotation* (node | edge | attribute) | ';'
    node       := IDENT? IDENT STRING? (';' | '{' statement* '}')   # no type: State
    attribute  := IDENT ('<' type '>')? (':' value)? ';'           # only inside a block
    edge       := group (connector group)+ ';'
    group      := IDENT (',' IDENT)*
    connector  := ARROW | '-' section ('->' | '-->' | '=>') | '<-' section '-->'
    section    := item (';' item)* ';'?    item := IDENT | STRING | attribute-without-';'
    annotation := '@' IDENT ('(' STRING ')')?

A bare word or string in an edge section is the edge's label; ``name: value``
items are edge attributes and never become the label, so ``a -timeout: 5;-> b``
has no label and ``a -spam; timeout: 5;-> b`` has both. Edges written inside a
node block are ordinary machine edges. On a syntax error the parser records a
:class:`Problem`, skips to the next ``;`` or closing ``}`` and goes on, so one
pass reports every independent mistake.
"""

from __future__ import annotations

from ..model import Annotation, Attribute, Edge, MachineData, Node
from .cursor import MAX_DEPTH, Sync, ValueParser, describe
from .errors import DSLError
from .lexer import ARROWS
from .source_map import EdgeSpan, NodeSpan, Position, SourceMap
from .validate import validate_machine

__all__ = ["MAX_DEPTH", "MAX_EXTRA_EDGES", "EdgeSpan", "NodeSpan", "SourceMap", "parse_document",
           "parse_machine"]

_EDGE_OPENERS = frozenset((*ARROWS, "-", "<-"))


def parse_document(text: str) -> tuple[MachineData, SourceMap]:
    """Parse ``text`` without semantic validation; raise :class:`DSLError` on syntax errors."""
    parser = _Parser(text)
    machine = parser.parse()
    if parser.problems:
        raise DSLError(parser.problems, source=text)
    return machine, parser.source_map


def parse_machine(text: str, *, validate: bool = True) -> MachineData:
    """Parse DSL text into a machine; raise :class:`DSLError` listing every problem found.

    Validation (unknown endpoints, duplicate names, bad stages, thresholds,
    templates, output types) runs only once the text is free of syntax errors.
    """
    if not isinstance(text, str):
        raise TypeError(f"parse_machine expects str, not {type(text).__name__}")
    machine, source_map = parse_document(text)
    if validate:
        problems = validate_machine(machine, source_map)
        if problems:
            raise DSLError(problems, source=text)
    return machine


#: Most edges a machine's lists (``a, b -> c, d``) may make beyond the names they write.
#: Sources × targets from a few names: 2,000 names on each side are 44 KB of text and 4 million
#: edges (3.8 GB, then a crash). Edges written one by one grow with the text and are not
#: counted (a pasted machine of 84,000 states and edges is 7 MB).
MAX_EXTRA_EDGES = 10_000


class _Parser(ValueParser):
    """Statements, nodes and edges on top of the value parser."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.edges: list[Edge] = []
        self.extra_edges = 0  # edges made beyond the names written (see MAX_EXTRA_EDGES)
        self.source_map = SourceMap()

    # -- program and statements ----------------------------------------------------------
    def parse(self) -> MachineData:
        title = self.header()
        nodes: list[Node] = []
        while not self.at("eof"):
            if self.at("}"):
                token = self.advance()
                self.report(token.start, "unmatched '}': no block is open here", token)
                continue
            self.statement_or_recover(None, None, nodes)
        return MachineData.model_construct(title=title, nodes=nodes, edges=self.edges)

    def header(self) -> str:
        token = self.tok
        if token.kind == "ident" and token.value == "machine":
            self.advance()
            if self.at("string"):
                title = str(self.advance().value)
                if self.at(";"):
                    self.advance()
                return title
            self.report(
                self.tok.start, 'expected the title after machine: machine "Title"', self.tok
            )
            return ""
        self.report(token.start, 'a program starts with machine "Title"', token)
        return ""

    def statement_or_recover(
        self, owner: Node | None, span: NodeSpan | None, nodes: list[Node]
    ) -> None:
        if self.at(";"):
            self.advance()
            return
        start = self.pos
        try:
            self.statement(owner, span, nodes)
        except Sync:
            self.synchronize()
            if self.pos == start:  # always make progress
                self.advance()

    def statement(self, owner: Node | None, span: NodeSpan | None, nodes: list[Node]) -> None:
        annotations = self.annotations()
        token = self.tok
        if token.kind != "ident":
            raise self.fail(
                token, f"expected a node, an edge or an attribute, found {describe(token)}"
            )
        following = self.peek().kind
        if following in _EDGE_OPENERS or following == ",":
            self.edge_statement(annotations)
        elif following in (":", "<"):
            if owner is None or span is None:
                raise self.fail(
                    token, f"attribute '{token.value}' must be inside a node block {{ ... }}"
                )
            if annotations:
                raise self.fail(
                    token, f"annotations apply to nodes and edges, not to attribute '{token.value}'"
                )
            self.attribute_statement(owner, span)
        elif following in ("ident", "string", ";", "{", "}", "eof", "@"):
            nodes.append(self.node(annotations))
        else:
            nxt = self.peek()
            raise self.fail(nxt, f"unexpected {describe(nxt)} after '{token.value}'")

    def annotations(self) -> list[Annotation]:
        found: list[Annotation] = []
        while self.at("@"):
            self.advance()
            name = str(self.expect_ident("an annotation name after '@'").value)
            value = None
            if self.at("("):
                self.advance()
                if not self.at("string"):
                    raise self.fail(
                        self.tok, f"expected a string in @{name}(...), found {describe(self.tok)}"
                    )
                value = str(self.advance().value)
                if not self.at(")"):
                    raise self.fail(self.tok, f"expected ')' to close @{name}(...)")
                self.advance()
            found.append(Annotation(name=name, value=value))
        return found

    # -- nodes and attributes --------------------------------------------------------------
    def node(self, annotations: list[Annotation]) -> Node:
        first = self.advance()
        if self.at("ident"):
            node_type, name_token = str(first.value), self.advance()
        else:
            node_type, name_token = "State", first
        name = str(name_token.value)
        title = str(self.advance().value) if self.at("string") else None
        node = Node(name=name, type=node_type, title=title, annotations=annotations)
        span = NodeSpan(name, self.where(name_token))
        self.source_map.nodes.append(span)
        if self.at("{"):
            if self.depth >= MAX_DEPTH:
                raise self.fail(self.tok, f"blocks nested deeper than {MAX_DEPTH} levels")
            self.block(node, span)
        else:
            self.expect_end(f"node '{name}' (end it with ';' or give it a {{ ... }} block)")
        return node

    def block(self, node: Node, span: NodeSpan) -> None:
        opening = self.advance()
        self.depth += 1
        try:
            while not self.at("}"):
                if self.at("eof"):
                    if self.swallowed:
                        return  # an unterminated string or comment probably ate the '}'
                    self.report(
                        opening.start, f"the block of node '{node.name}' is never closed: add '}}'"
                    )
                    return
                self.statement_or_recover(node, span, node.children)
            self.advance()
        finally:
            self.depth -= 1

    def attribute_statement(self, owner: Node, span: NodeSpan) -> None:
        name_token, attribute, value_token = self.attribute()
        if attribute.name in owner.attributes:
            self.report(
                name_token.start,
                f"attribute '{attribute.name}' is set twice in node '{owner.name}'",
            )
        else:
            owner.attributes[attribute.name] = attribute
            span.attributes[attribute.name] = self.where(value_token or name_token)
        self.expect_end(f"attribute '{attribute.name}'")

    # -- edges -----------------------------------------------------------------------------
    def edge_statement(self, annotations: list[Annotation]) -> None:
        sources = self.group()
        connected = False
        while self.tok.kind in _EDGE_OPENERS:
            arrow, label, attributes = self.connector()
            targets = self.group()
            made = len(sources) * len(targets)
            self.extra_edges += max(0, made - len(sources) - len(targets))
            if self.extra_edges > MAX_EXTRA_EDGES:
                raise self.fail(self.tok, (
                    f"{len(sources):,} × {len(targets):,} names make {made:,} edges here; a "
                    f"machine's edge lists may make at most {MAX_EXTRA_EDGES:,} edges more than "
                    "the names they write"))
            for source, source_pos in sources:
                for target, target_pos in targets:
                    self.edges.append(
                        Edge(
                            source=source,
                            target=target,
                            arrow=arrow,
                            label=label,
                            attributes=dict(attributes),
                            annotations=[a.model_copy() for a in annotations],
                        )
                    )
                    self.source_map.edges.append(EdgeSpan(source_pos, target_pos))
            sources = targets
            connected = True
        if not connected:
            raise self.fail(
                self.tok, f"expected an arrow such as '->', found {describe(self.tok)}"
            )
        self.expect_end("the edge")

    def group(self) -> list[tuple[str, Position]]:
        names = []
        while True:
            token = self.expect_ident("a node name")
            names.append((str(token.value), self.where(token)))
            if not self.at(","):
                return names
            self.advance()

    def connector(self) -> tuple[str, str | None, dict[str, Attribute]]:
        opener = self.advance()
        if opener.kind in ARROWS:
            return opener.kind, None, {}
        label: str | None = None
        attributes: dict[str, Attribute] = {}
        while self.tok.kind not in ARROWS:
            token = self.tok
            if token.kind == "ident" and self.peek().kind in (":", "<"):
                _, attribute, _ = self.attribute()
                if attribute.name in attributes:
                    self.report(token.start, f"edge attribute '{attribute.name}' is set twice")
                attributes[attribute.name] = attribute
            elif token.kind in ("ident", "string"):
                if label is not None:
                    self.report(token.start, f"the edge already has the label {label!r}")
                label = str(self.advance().value)
            else:
                raise self.fail(
                    token, f"expected an edge label, an attribute or '->', found {describe(token)}"
                )
            if self.at(";"):
                self.advance()
            elif self.tok.kind not in ARROWS:
                raise self.fail(
                    self.tok,
                    f"expected ';' or '->' after the edge label, found {describe(self.tok)}",
                )
        closing = self.advance()
        if label is None and not attributes:
            self.report(closing.start, "empty edge label: write 'a -> b' or 'a -label-> b'")
        if opener.kind == "<-":
            if closing.kind != "-->":
                self.report(
                    closing.start, "a label opened with '<-' closes with '-->': a <-label--> b"
                )
            return "<-->", label, attributes
        if closing.kind == "<-->":
            self.report(closing.start, "a label opened with '-' closes with '->', '-->' or '=>'")
        return closing.kind, label, attributes
