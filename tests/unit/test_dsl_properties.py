"""Hypothesis properties: print → parse is identity; no input makes the parser crash."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from evomachine.dsl import DSLError, format_machine, parse_machine
from evomachine.model import Annotation, Attribute, Edge, Identifier, MachineData, Node, TypeRef

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SPECIAL = {"prompt", "output", "evolution_stage", "llm_threshold", "confidence_threshold"}

_FIRST = "abcxyzABCZ_é"
names = st.builds(
    lambda head, tail: head + tail,
    st.sampled_from(_FIRST),
    st.text(alphabet=_FIRST + "0189", max_size=7),
)
attribute_names = names.filter(lambda n: n not in SPECIAL)
texts = st.text(max_size=16)
identifiers = names.filter(lambda n: n not in ("true", "false")).map(lambda n: Identifier(name=n))
scalars = (
    st.booleans()
    | st.integers(min_value=-(10**20), max_value=10**20)
    | st.floats(allow_nan=False, allow_infinity=False)
    | texts
    | identifiers
)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(texts, inner, max_size=3),
    max_leaves=5,
)
type_refs = st.lists(
    st.tuples(st.just("literal"), texts) | st.tuples(st.just("name"), names), min_size=1, max_size=3
).map(lambda parts: TypeRef(parts=parts))
annotations = st.lists(
    st.builds(Annotation, name=names, value=st.none() | texts), max_size=2
)


@st.composite
def attributes(draw: st.DrawFn) -> dict[str, Attribute]:
    result = {}
    for name in draw(st.lists(attribute_names, unique=True, max_size=2)):
        type_ref = draw(st.none() | type_refs)
        value = draw(values) if type_ref is None else draw(st.none() | values)
        result[name] = Attribute(name=name, type=type_ref, value=value)
    return result


def node_tree(children: st.SearchStrategy[list[Node]]) -> st.SearchStrategy[Node]:
    return st.builds(
        Node,
        name=names,
        type=st.sampled_from(["Task", "State", "Input", "Context", "Output", "Note", "widget"]),
        title=st.none() | texts,
        attributes=attributes(),
        children=children,
        annotations=annotations,
    )


nodes = st.recursive(
    node_tree(st.just([])), lambda inner: node_tree(st.lists(inner, max_size=2)), max_leaves=4
)


@st.composite
def machines(draw: st.DrawFn) -> MachineData:
    """Valid machines: unique node names, edges between declared nodes, checked attributes valid."""
    machine = MachineData(title=draw(texts), nodes=draw(st.lists(nodes, max_size=3)))
    declared = list(machine.iter_nodes())
    for i, node in enumerate(declared):
        node.name = f"{node.name}_{i}"
    for task in machine.tasks():
        if draw(st.booleans()):
            task.attributes["evolution_stage"] = Attribute(
                name="evolution_stage",
                value=draw(st.sampled_from(["llm_only", "hybrid", "code_first", "code_only"])),
            )
            task.attributes["llm_threshold"] = Attribute(
                name="llm_threshold", value=draw(st.floats(0, 1))
            )
            task.attributes["prompt"] = Attribute(
                name="prompt", value=draw(st.sampled_from(["Say {{ input.text }}", "plain", ""]))
            )
            task.attributes["output"] = Attribute(
                name="output", type=TypeRef(parts=[("literal", draw(texts)), ("name", "string")])
            )
    if declared:
        endpoint = st.sampled_from([n.name for n in declared])
        for _ in range(draw(st.integers(0, 4))):
            machine.edges.append(
                Edge(
                    source=draw(endpoint),
                    target=draw(endpoint),
                    arrow=draw(st.sampled_from(["->", "-->", "=>", "<-->"])),
                    label=draw(st.none() | texts | names),
                    attributes=draw(st.just({}) | attributes()),
                    annotations=draw(annotations),
                )
            )
    return machine


@SETTINGS
@given(machines())
def test_print_then_parse_is_identity(machine):
    text = format_machine(machine)
    again = parse_machine(text)
    assert again == machine
    assert again.model_dump_json() == machine.model_dump_json()  # same value kinds, not just ==
    assert format_machine(again) == text


@SETTINGS
@given(machines())
def test_json_then_validate_is_identity(machine):
    """How a run stores its machine: an identifier value (``mode: fast;``) came back as the
    dict ``{"kind": "identifier", "name": "fast"}``, so a stored run never equalled its own
    file (``evolve --store`` refused to resume it) and a bare ``evolution_stage`` was refused."""
    from evomachine.model import MachineData

    assert MachineData.model_validate(machine.model_dump(mode="json")) == machine


def _check_never_crashes(text: str) -> None:
    try:
        parse_machine(text)
    except DSLError as error:
        line_count = text.count("\n") + 1
        assert error.errors
        for problem in error.errors:
            assert 0 <= problem.line <= line_count
            assert problem.column >= 0 and problem.message
        assert str(error)


FRAGMENTS = [
    'machine "M"', "machine", "Task", "State", "a", "b", "x", ":", ";", "{", "}", "<", ">", "|",
    "->", "-->", "=>", "<-->", "<-", "-", ",", "@", "(", ")", "[", "]", '"s"', "'q'", '"""',
    '"', "'", "\\", "1", "-2.5", "1e9", "true", "/*", "*/", "//", "\n", " ", "\t", "$",
    "prompt", "{{", "}}", "{%", "evolution_stage", "llm_threshold", "output",
]


@SETTINGS
@given(st.text(max_size=200))
def test_random_text_only_raises_dsl_error(text):
    _check_never_crashes(text)


@SETTINGS
@given(st.lists(st.sampled_from(FRAGMENTS), max_size=60).map(" ".join))
def test_random_token_soup_only_raises_dsl_error(text):
    _check_never_crashes(text)


@st.composite
def mutated_programs(draw: st.DrawFn) -> str:
    text = format_machine(draw(machines()))
    for _ in range(draw(st.integers(1, 4))):
        i = draw(st.integers(0, len(text)))
        j = draw(st.integers(i, min(len(text), i + 12)))
        action = draw(st.sampled_from(["delete", "insert", "duplicate", "replace"]))
        if action == "delete":
            text = text[:i] + text[j:]
        elif action == "insert":
            text = text[:i] + draw(st.sampled_from(FRAGMENTS)) + text[i:]
        elif action == "duplicate":
            text = text[:j] + text[i:j] + text[j:]
        else:
            text = text[:i] + draw(st.text(max_size=3)) + text[j:]
    return text


@SETTINGS
@given(mutated_programs())
def test_mutated_programs_only_raise_dsl_error(text):
    _check_never_crashes(text)
