"""The canonical DSL printer: a machine back to readable text.

One statement per line, four-space indentation, attributes before nested
nodes, all nodes before all edges, each edge on its own line (chains and
fan-outs come back expanded, which parses to the same edge list). For every
machine the parser produces, ``parse_machine(format_machine(m)) == m``; a
machine the DSL cannot express (a name that is not a word, a NaN) raises
``ValueError`` saying which part.
"""

from __future__ import annotations

import math
import re

from ..model import Annotation, Attribute, Edge, Identifier, MachineData, Node, TypeRef
from .lexer import IDENT_RE

INDENT = "    "
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_NAMED = {"\\": "\\\\", '"': '\\"', "\t": "\\t", "\r": "\\r"}


def format_machine(machine: MachineData) -> str:
    """Render ``machine`` as canonical DSL text (ends with a newline)."""
    lines = [f"machine {quote(machine.title)}"]
    if machine.nodes:
        lines.append("")
        for node in machine.nodes:
            _node(node, 0, lines)
    if machine.edges:
        lines.append("")
        lines.extend(_edge(edge) for edge in machine.edges)
    return "\n".join(lines) + "\n"


def quote(text: str) -> str:
    """A DSL string literal for ``text``; multi-line text uses ``\"\"\"`` quotes."""
    escaped = re.sub(r'[\\"\t\r]', lambda m: _NAMED[m.group()], text)
    escaped = _CONTROL_RE.sub(lambda m: f"\\u{ord(m.group()):04x}", escaped)
    if "\n" in text:
        return f'"""{escaped}"""'
    return f'"{escaped}"'


def _word(text: str, what: str) -> str:
    if not IDENT_RE.fullmatch(text):
        raise ValueError(
            f"{what} {text!r} is not a DSL name (letters, digits, '_'; not starting with a digit)"
        )
    return text


def _annotation(annotation: Annotation) -> str:
    name = _word(annotation.name, "annotation name")
    return f"@{name}" if annotation.value is None else f"@{name}({quote(annotation.value)})"


def _node(node: Node, depth: int, lines: list[str]) -> None:
    pad = INDENT * depth
    lines.extend(pad + _annotation(a) for a in node.annotations)
    head = f"{pad}{_word(node.type, 'node type')} {_word(node.name, 'node name')}"
    if node.title is not None:
        head += f" {quote(node.title)}"
    if not node.attributes and not node.children:
        lines.append(head + ";")
        return
    lines.append(head + " {")
    inner = pad + INDENT
    lines.extend(
        f"{inner}{_attribute(a, f'attribute of node {node.name!r}')};"
        for a in node.attributes.values()
    )
    for child in node.children:
        _node(child, depth + 1, lines)
    lines.append(pad + "}")


def _attribute(attribute: Attribute, where: str) -> str:
    text = _word(attribute.name, f"name of {where}")
    if attribute.type is not None:
        text += _type(attribute.type)
    if attribute.value is not None:
        text += f": {value_text(attribute.value)}"
    elif attribute.type is None:
        raise ValueError(f"attribute {attribute.name!r} ({where}) has neither a type nor a value")
    return text


def _type(type_ref: TypeRef) -> str:
    if not type_ref.parts:
        raise ValueError("a type needs at least one part")
    parts = [
        quote(text) if kind == "literal" else _word(text, "type name")
        for kind, text in type_ref.parts
    ]
    return "<" + " | ".join(parts) + ">"


def value_text(value: object) -> str:
    """DSL text of one attribute value."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"{value} cannot be written in the DSL")
        return repr(value)
    if isinstance(value, str):
        return quote(value)
    if isinstance(value, Identifier):
        if value.name in ("true", "false"):
            raise ValueError(f"identifier {value.name!r} would read back as a boolean")
        return _word(value.name, "identifier value")
    if isinstance(value, list):
        return "[" + ", ".join(value_text(v) for v in value) + "]"
    if isinstance(value, dict):
        if not value:
            return "{}"
        entries = ", ".join(f"{_key(k)}: {value_text(v)}" for k, v in value.items())
        return "{ " + entries + " }"
    raise ValueError(f"cannot write a {type(value).__name__} value in the DSL")


def _key(key: str) -> str:
    return key if IDENT_RE.fullmatch(key) else quote(key)


def _edge(edge: Edge) -> str:
    prefix = "".join(_annotation(a) + " " for a in edge.annotations)
    source = _word(edge.source, "edge source")
    target = _word(edge.target, "edge target")
    return f"{prefix}{source} {_connector(edge)} {target};"


def _connector(edge: Edge) -> str:
    if edge.arrow not in ("->", "-->", "=>", "<-->"):
        raise ValueError(f"unknown arrow {edge.arrow!r} (use ->, -->, => or <-->)")
    if edge.label is None and not edge.attributes:
        return edge.arrow
    items = []
    if edge.label is not None:
        items.append(edge.label if IDENT_RE.fullmatch(edge.label) else quote(edge.label))
    items.extend(_attribute(a, "an edge attribute") for a in edge.attributes.values())
    section = "; ".join(items) + (";" if edge.attributes else "")
    if edge.arrow == "<-->":
        return f"<-{section}-->"
    return f"-{section}{edge.arrow}"
