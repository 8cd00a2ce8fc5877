"""The machine model: what the DSL parses into and the executor runs.

Plain pydantic models, so a machine validates, compares with ``==`` and
serializes to JSON without custom code. Attribute values keep their DSL kind
(an identifier is not a string), which is what makes print → parse exact.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field
from typing_extensions import TypeAliasType


class Identifier(BaseModel):
    """A bare word used as a value (``mode: fast;``), distinct from ``"fast"``."""

    model_config = ConfigDict(frozen=True)
    kind: Literal["identifier"] = "identifier"
    name: str


def _identifier_back(value: Any) -> Any:
    """JSON gives an identifier back as ``{"kind": "identifier", "name": …}``, which the union's
    smart mode would keep as a dict (an exact match): read it as the identifier it was."""
    if isinstance(value, dict) and value.keys() == {"kind", "name"} \
            and value["kind"] == "identifier" and isinstance(value["name"], str):
        return Identifier(name=value["name"])
    return value


AttributeValue = TypeAliasType(
    "AttributeValue",
    'Annotated[Identifier | bool | int | float | str | list[AttributeValue] '
    '| dict[str, AttributeValue], BeforeValidator(_identifier_back)]',
)


class TypeRef(BaseModel):
    """An attribute type: a union of named types and string literals.

    ``output<"spam" | "ham">`` gives ``literals=["spam", "ham"]``;
    ``count<number>`` gives ``names=["number"]``. Order is kept as written in
    ``parts``: each part is ``("literal", text)`` or ``("name", text)``.
    """

    model_config = ConfigDict(frozen=True)
    parts: list[tuple[Literal["literal", "name"], str]] = Field(default_factory=list)

    @property
    def literals(self) -> list[str]:
        return [text for kind, text in self.parts if kind == "literal"]

    @property
    def names(self) -> list[str]:
        return [text for kind, text in self.parts if kind == "name"]


class Attribute(BaseModel):
    name: str
    type: TypeRef | None = None
    value: AttributeValue | None = None


class Annotation(BaseModel):
    name: str
    value: str | None = None


class Node(BaseModel):
    name: str
    type: str = "State"
    title: str | None = None
    attributes: dict[str, Attribute] = Field(default_factory=dict)
    children: list[Node] = Field(default_factory=list)
    annotations: list[Annotation] = Field(default_factory=list)

    @property
    def kind(self) -> str:
        """The type in lower case (``task``, ``state``, ``input``, ``context``, ``output``, …)."""
        return self.type.lower()

    def attr(self, name: str, default: Any = None) -> Any:
        """The plain Python value of attribute ``name`` (identifiers become their name)."""
        attribute = self.attributes.get(name)
        if attribute is None or attribute.value is None:
            return default
        return plain_value(attribute.value)


class Edge(BaseModel):
    source: str
    target: str
    arrow: str = "->"
    label: str | None = None
    attributes: dict[str, Attribute] = Field(default_factory=dict)
    annotations: list[Annotation] = Field(default_factory=list)


class MachineData(BaseModel):
    title: str
    nodes: list[Node] = Field(default_factory=list)
    edges: list[Edge] = Field(default_factory=list)

    def iter_nodes(self) -> Iterator[Node]:
        """Every node, nested ones included, depth first in source order."""
        stack = list(reversed(self.nodes))
        while stack:
            node = stack.pop()
            yield node
            stack.extend(reversed(node.children))

    def find_node(self, name: str) -> Node | None:
        return next((n for n in self.iter_nodes() if n.name == name), None)

    def outgoing(self, name: str) -> list[Edge]:
        return [e for e in self.edges if e.source == name]

    def tasks(self) -> list[Node]:
        return [n for n in self.iter_nodes() if n.kind == "task"]


def plain_value(value: AttributeValue) -> Any:
    """Turn an attribute value into plain JSON-like Python (identifiers become strings)."""
    if isinstance(value, Identifier):
        return value.name
    if isinstance(value, list):
        return [plain_value(v) for v in value]
    if isinstance(value, dict):
        return {k: plain_value(v) for k, v in value.items()}
    return value
