"""The printer's canonical form, what it refuses, the lazy package and parse speed."""

from __future__ import annotations

import subprocess
import sys

import pytest

from evomachine.dsl import format_machine, parse_machine
from evomachine.model import Attribute, Edge, Identifier, MachineData, Node, TypeRef

MESSY = """machine 'Messy'   // header
@entry Input   ticket{source:"t.jsonl";}
Task route "Router" { prompt: "Hi {{ input.text }}\\nBye"; output<"a"|"b">;
  opts: {k: [1,x,'q'], "s p": {}};
  Note hint "remember"; }
ticket->route; route -a; weight: 0.5;-> ticket, route;
"""

CANONICAL = '''machine "Messy"

@entry
Input ticket {
    source: "t.jsonl";
}
Task route "Router" {
    prompt: """Hi {{ input.text }}
Bye""";
    output<"a" | "b">;
    opts: { k: [1, x, "q"], "s p": {} };
    Note hint "remember";
}

ticket -> route;
route -a; weight: 0.5;-> ticket;
route -a; weight: 0.5;-> route;
'''


def test_canonical_form():
    machine = parse_machine(MESSY)
    assert format_machine(machine) == CANONICAL
    assert parse_machine(CANONICAL) == machine


def test_printing_is_idempotent():
    text = format_machine(parse_machine(MESSY))
    assert format_machine(parse_machine(text)) == text


def test_edge_forms_print_back():
    text = 'machine "E"\n\nState a;\nState b;\n\n' + "\n".join(
        [
            "a -> b;",
            "a --> b;",
            "a => b;",
            "a <--> b;",
            "a -spam-> b;",
            'a -"two words"-> b;',
            "a -x=> b;",
            "a <-x--> b;",
            "a -timeout: 5000;-> b;",
            '@critical @doc("d") a -spam; t<number>: 2;--> b;',
        ]
    )
    assert format_machine(parse_machine(text)) == text + "\n"


def test_strings_escape_what_they_must():
    machine = MachineData(
        title='a "quoted" \\ title\twith\x01control',
        nodes=[Node(name="n", attributes={"x": Attribute(name="x", value="tab\tend")})],
    )
    text = format_machine(machine)
    assert text.splitlines()[0] == 'machine "a \\"quoted\\" \\\\ title\\twith\\u0001control"'
    assert parse_machine(text) == machine


def with_attribute(attribute: Attribute) -> MachineData:
    return MachineData(title="M", nodes=[Node(name="n", attributes={attribute.name: attribute})])


@pytest.mark.parametrize(
    ("machine", "fragment"),
    [
        (MachineData(title="M", nodes=[Node(name="two words")]), "node name 'two words'"),
        (MachineData(title="M", nodes=[Node(name="n", type="My Type")]), "node type"),
        (with_attribute(Attribute(name="x")), "neither a type nor a value"),
        (with_attribute(Attribute(name="x", value=float("nan"))), "cannot be written"),
        (
            with_attribute(Attribute(name="x", value=Identifier(name="true"))),
            "read back as a boolean",
        ),
        (with_attribute(Attribute(name="x", type=TypeRef())), "at least one part"),
        (
            MachineData(title="M", edges=[Edge(source="a", target="a", arrow="~")]),
            "unknown arrow",
        ),
    ],
)
def test_unprintable_machines_raise_value_error(machine, fragment):
    with pytest.raises(ValueError) as info:
        format_machine(machine)
    assert fragment in str(info.value)


def test_two_hundred_node_machine_parses():
    # Parse speed is a benchmark figure (bench/), not a wall-clock assertion.
    body = "".join(
        f'Task t{i} {{ prompt: "Step {i}"; output<"a" | "b">; llm_threshold: 0.5; }}\n'
        f"t{i} -a-> t{i + 1};\nt{i} -b-> t0;\n"
        for i in range(200)
    )
    machine = parse_machine(f'machine "Big"\n{body}State t200;\n')
    assert len(machine.nodes) == 201 and len(machine.edges) == 400


@pytest.mark.cpython_only
def test_importing_the_package_is_cheap():
    code = (
        "import sys, evomachine.dsl; "
        "assert 'evomachine.dsl.parser' not in sys.modules; "
        "assert 'jinja2' not in sys.modules; "
        "evomachine.dsl.parse_machine('machine \"M\"\\nState a;'); "
        "assert 'jinja2' not in sys.modules, 'jinja2 loads only for prompts with template syntax'; "
        "from evomachine import parse_machine, format_machine, DSLError"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
