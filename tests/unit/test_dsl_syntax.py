"""Every DSL syntax form parses into the model it should."""

from __future__ import annotations

import pytest

from evomachine.dsl import format_machine, parse_machine
from evomachine.model import Annotation, Attribute, Edge, Identifier, Node, TypeRef

TRIAGE = """\
machine "Ticket triage"
Input ticket { source: "tickets.jsonl"; }
Task route {
    prompt: "Route this ticket to billing, tech or sales: {{ input.text }}";
    output<"billing" | "tech" | "sales">;
    evolution_stage: "llm_only";
}
State billing; State tech; State sales;
ticket -> route;
route -billing-> billing;
route -tech-> tech;
route -sales-> sales;
billing -> ticket; tech -> ticket; sales -> ticket;
"""


def machine(body: str, title: str = "T"):
    return parse_machine(f'machine "{title}"\n{body}')


def attr(body: str):
    """The single attribute ``x`` of node ``n`` declared with ``body``."""
    return machine(f"State n {{ {body} }}").nodes[0].attributes["x"]


def test_design_example_parses():
    m = parse_machine(TRIAGE)
    assert m.title == "Ticket triage"
    assert [n.name for n in m.nodes] == ["ticket", "route", "billing", "tech", "sales"]
    route = m.find_node("route")
    assert route.kind == "task"
    assert route.attributes["output"].type.literals == ["billing", "tech", "sales"]
    assert route.attributes["output"].value is None
    assert route.attr("evolution_stage") == "llm_only"
    assert [(e.source, e.target, e.label) for e in m.outgoing("route")] == [
        ("route", "billing", "billing"),
        ("route", "tech", "tech"),
        ("route", "sales", "sales"),
    ]
    assert len(m.edges) == 7


def test_header_semicolon_is_optional_and_empty_machine_is_fine():
    assert parse_machine('machine "A";').title == "A"
    m = parse_machine("machine 'Single quoted'")
    assert m.title == "Single quoted" and m.nodes == [] and m.edges == []


def test_node_forms():
    m = machine('Task a; Task b "Title B"; c; d "D"; e { } Input f "F" { }')
    assert [(n.type, n.name, n.title) for n in m.nodes] == [
        ("Task", "a", None),
        ("Task", "b", "Title B"),
        ("State", "c", None),
        ("State", "d", "D"),
        ("State", "e", None),
        ("Input", "f", "F"),
    ]


def test_type_keyword_is_free_text_and_kind_is_lower_case():
    m = machine("task a; Widget b; Note n \"free text\";")
    assert [n.type for n in m.nodes] == ["task", "Widget", "Note"]
    assert m.nodes[0].kind == "task" and m.nodes[2].kind == "note"


def test_nested_nodes_and_attributes():
    m = machine("Context outer { depth: 1; Task inner { x: 2; State deepest; } after; }")
    outer = m.nodes[0]
    assert outer.attributes["depth"].value == 1
    assert [c.name for c in outer.children] == ["inner", "after"]
    assert outer.children[0].children[0] == Node(name="deepest", type="State")
    assert [n.name for n in m.iter_nodes()] == ["outer", "inner", "deepest", "after"]


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ('x: "double";', "double"),
        ("x: 'single';", "single"),
        (r'x: "q\"uote \\ \n\t\r \u00e9";', 'q"uote \\ \n\t\r é'),
        (r"x: 'it\'s';", "it's"),
        ('x: """two\nlines "quoted" ok""";', 'two\nlines "quoted" ok'),
        ("x: 42;", 42),
        ("x: -7;", -7),
        ("x: 3.25;", 3.25),
        ("x: -0.5;", -0.5),
        ("x: 1e3;", 1000.0),
        ("x: 2.5E-2;", 0.025),
        ("x: true;", True),
        ("x: false;", False),
        ("x: fast;", Identifier(name="fast")),
        ("x: [];", []),
        ('x: [1, "a", b, [true], ];', [1, "a", Identifier(name="b"), [True]]),
        ("x: {};", {}),
        ('x: { k: 1, "two words": [x]; nested: { z: -1.5 } };',
         {"k": 1, "two words": [Identifier(name="x")], "nested": {"z": -1.5}}),
    ],
)
def test_attribute_values(text, value):
    got = attr(text).value
    assert got == value
    assert type(got) is type(value)


def test_identifier_value_is_not_a_string():
    assert attr("x: fast;").value != "fast"
    assert machine("State n { x: fast; }").nodes[0].attr("x") == "fast"


def test_typed_attributes():
    assert attr('x<"spam" | "ham">;') == Attribute(
        name="x", type=TypeRef(parts=[("literal", "spam"), ("literal", "ham")])
    )
    typed = attr("x<number>: 5;")
    assert typed.type.names == ["number"] and typed.value == 5
    mixed = attr('x<string | "none">: "a";')
    assert mixed.type.parts == [("name", "string"), ("literal", "none")]


def test_edge_arrows():
    m = machine("a; b; a -> b; a --> b; a => b; a <--> b;")
    assert [e.arrow for e in m.edges] == ["->", "-->", "=>", "<-->"]
    assert all(e.label is None and e.attributes == {} for e in m.edges)


def test_chain_and_fan_out():
    m = machine("a; b; c; d; a -> b -> c; a -> b, c; a, b -> c, d -> a;")
    pairs = [(e.source, e.target) for e in m.edges]
    assert pairs == [
        ("a", "b"), ("b", "c"),
        ("a", "b"), ("a", "c"),
        ("a", "c"), ("a", "d"), ("b", "c"), ("b", "d"), ("c", "a"), ("d", "a"),
    ]


def test_edge_labels_in_their_three_forms():
    m = machine('a; b; a -spam-> b; a -"two words"-> b; a -timeout: 5000;-> b;')
    word, quoted, attributed = m.edges
    assert (word.label, quoted.label) == ("spam", "two words")
    assert attributed.label is None
    assert attributed.attributes == {"timeout": Attribute(name="timeout", value=5000)}


def test_edge_label_and_attributes_together():
    e = machine('a; b; a -spam; timeout: 5; retry<number>: 2;-> b;').edges[0]
    assert e.label == "spam"
    assert set(e.attributes) == {"timeout", "retry"}
    assert machine("a; b; a -timeout: 5-> b;").edges[0].attributes["timeout"].value == 5


def test_labelled_edges_keep_their_arrow():
    m = machine("a; b; a -x-> b; a -x--> b; a -x=> b; a <-x--> b;")
    assert [(e.arrow, e.label) for e in m.edges] == [
        ("->", "x"), ("-->", "x"), ("=>", "x"), ("<-->", "x"),
    ]


def test_labels_per_chain_segment():
    m = machine("a; b; c; a -yes-> b => c;")
    assert [(e.source, e.target, e.arrow, e.label) for e in m.edges] == [
        ("a", "b", "->", "yes"), ("b", "c", "=>", None),
    ]


def test_edges_inside_blocks_are_machine_edges():
    m = machine("Context c { State a; State b; a -> b; }")
    assert m.edges == [Edge(source="a", target="b")]


def test_comments_are_ignored():
    m = machine("""
        // a line comment
        State a; /* a block
        comment */ State b; // trailing
        a /* inline */ -> b;
    """)
    assert [n.name for n in m.nodes] == ["a", "b"]
    assert len(m.edges) == 1


def test_annotations_on_nodes_and_edges():
    m = machine('@start State a; @deprecated @doc("old path") Task b { }\n@critical a -x-> b, a;')
    assert m.nodes[0].annotations == [Annotation(name="start")]
    assert m.nodes[1].annotations == [
        Annotation(name="deprecated"), Annotation(name="doc", value="old path"),
    ]
    assert [e.annotations for e in m.edges] == [[Annotation(name="critical")]] * 2


def test_keywords_are_ordinary_names_outside_values():
    m = machine("State true; State machine; true -false-> machine;")
    assert [n.name for n in m.nodes] == ["true", "machine"]
    assert m.edges[0].label == "false"


def test_crlf_and_tabs():
    m = parse_machine('machine "W"\r\n\tState a;\r\n\tState b;\r\na -> b;\r\n')
    assert len(m.nodes) == 2 and len(m.edges) == 1


def test_design_example_round_trips():
    m = parse_machine(TRIAGE)
    assert parse_machine(format_machine(m)) == m
