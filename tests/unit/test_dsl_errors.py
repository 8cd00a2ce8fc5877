"""Syntax and validation errors: positions, caret rendering, several problems in one pass."""

from __future__ import annotations

import pickle

import pytest

from evomachine.dsl import DSLError, Problem, parse_machine, validate_machine
from evomachine.model import Edge, MachineData, Node


def problems(text: str) -> list[tuple[int, int, str]]:
    with pytest.raises(DSLError) as info:
        parse_machine(text)
    return [(p.line, p.column, p.message) for p in info.value.errors]


def only(text: str) -> tuple[int, int, str]:
    found = problems(text)
    assert len(found) == 1, found
    return found[0]


def test_error_has_position_message_and_caret():
    with pytest.raises(DSLError) as info:
        parse_machine('machine "M"\nState a;\nState b $;\n')
    error = info.value
    assert (error.line, error.column) == (3, 9)
    assert "unexpected character '$'" in error.message
    assert str(error) == (
        "3:9: unexpected character '$'\n"
        "    State b $;\n"
        "            ^"
    )
    assert error.errors == [Problem(3, 9, error.message)]


def test_caret_keeps_tabs_so_it_lines_up():
    with pytest.raises(DSLError) as info:
        parse_machine('machine "M"\n\tState\ta $;\n')
    assert str(info.value).splitlines()[1:] == ["    \tState\ta $;", "    \t     \t  ^"]


@pytest.mark.parametrize(
    ("text", "line", "column", "fragment"),
    [
        ("", 1, 1, 'starts with machine "Title"'),
        ("State a;", 1, 1, 'starts with machine "Title"'),
        ("machine Title", 1, 9, "expected the title"),
        ('machine "M"\nState a { x: "open; }', 2, 14, "unterminated string"),
        ('machine "M"\nState a { x: """never', 2, 14, "unterminated string"),
        ('machine "M"\n/* open\nState a;', 2, 1, "unterminated comment"),
        ('machine "M"\nState a { x: "\\q"; }', 2, 15, "unknown escape '\\q'"),
        ('machine "M"\nState a { x: 1 }\n', 2, 15, "missing ';' after attribute 'x'"),
        ('machine "M"\nState a\nState b;', 2, 8, "missing ';' after node 'a'"),
        ('machine "M"\na; b; a -> b\n', 2, 13, "missing ';' after the edge"),
        ('machine "M"\nx: 1;', 2, 1, "must be inside a node block"),
        ('machine "M"\nState a { x: ; }', 2, 14, "expected a value"),
        ('machine "M"\nState a { x: [1 2]; }', 2, 17, "expected ',' or ']'"),
        ('machine "M"\nState a { x: { 1: 2 }; }', 2, 16, "expected a key"),
        ('machine "M"\nState a { x<>; }', 2, 13, "expected a type name"),
        ('machine "M"\nState a { x<"a" "b">; }', 2, 17, "expected '|' or '>'"),
        ('machine "M"\nState a { x; y: 1 }', 2, 18, "missing ';' after attribute 'y'"),
        ('machine "M"\na; b; a - -> b;', 2, 11, "empty edge label"),
        ('machine "M"\na; b; a -x; y-> b;', 2, 13, "already has the label 'x'"),
        ('machine "M"\na; b; a <-x-> b;', 2, 12, "closes with '-->'"),
        ('machine "M"\na; b; a -x<--> b;', 2, 11, "closes with '->'"),
        ('machine "M"\na; a -> ;', 2, 9, "expected a node name"),
        ('machine "M"\na; b; a, b;', 2, 11, "expected an arrow"),
        ('machine "M"\n}', 2, 1, "unmatched '}'"),
        ('machine "M"\nTask a {\n  x: 1;\n', 2, 8, "never closed"),
        ('machine "M"\n@ 5 State a;', 2, 3, "annotation name"),
        ('machine "M"\n@doc(5) State a;', 2, 6, "expected a string in @doc"),
        ('machine "M"\n@doc("x" State a;', 2, 10, "expected ')'"),
        ('machine "M"\nState a { @x y: 1; }', 2, 14, "not to attribute 'y'"),
        ('machine "M"\nState a { x: 1; x: 2; }', 2, 17, "set twice"),
        ('machine "M"\nState a { x: { k: 1, k: 2 }; }', 2, 22, "appears twice"),
        ('machine "M"\nState a 5;', 2, 8, "missing ';' after node 'a'"),
        ('machine "M"\na 5;', 2, 3, "unexpected number 5 after 'a'"),
        ('machine "M"\n42;', 2, 1, "expected a node, an edge or an attribute"),
    ],
)
def test_syntax_errors_point_at_the_problem(text, line, column, fragment):
    found = problems(text)
    assert found[0][:2] == (line, column), found
    assert fragment in found[0][2]


def test_every_independent_problem_is_reported_in_one_pass():
    text = """machine "M"
Task a {
    prompt: "Hello {{ input.text }}
    x: 5 6;
    y: $;
    z: 'ok\\q';
}
State b
a -> b
a -> -> b;
State c { w: ; }
"""
    assert [p[:2] for p in problems(text)] == [
        (3, 13), (4, 9), (5, 8), (6, 11), (8, 8), (9, 7), (10, 6), (11, 14),
    ]


def test_a_bad_token_is_reported_once_not_again_by_the_parser():
    assert only('machine "M"\nState a { x: "abc\n y: 1; }')[0:2] == (2, 14)
    assert only('machine "M"\nState a { x: "abc }')[0:2] == (2, 14)
    assert only('machine "M"\nState a { x: ?; }')[2] == "unexpected character '?'"


def test_deep_nesting_is_an_error_not_a_crash():
    deep = 'machine "M"\nState a { x: ' + "[" * 500 + "]" * 500 + "; }"
    assert "nested deeper" in problems(deep)[0][2]
    blocks = 'machine "M"\n' + "State a {" * 300 + "}" * 300
    assert "nested deeper" in problems(blocks)[0][2]


def test_str_summarises_after_twenty_problems():
    text = 'machine "M"\n' + "$\n" * 30
    with pytest.raises(DSLError) as info:
        parse_machine(text)
    assert len(info.value.errors) == 30
    assert str(info.value).endswith("... and 10 more problems")


def test_dsl_error_pickles_and_converts_to_dicts():
    with pytest.raises(DSLError) as info:
        parse_machine('machine "M"\nState a $;')
    copy = pickle.loads(pickle.dumps(info.value))
    assert copy.errors == info.value.errors and str(copy) == str(info.value)
    assert info.value.to_dicts() == [
        {"line": 2, "column": 9, "message": "unexpected character '$'"}
    ]
    assert isinstance(info.value, Exception)


def test_single_message_constructor():
    error = DSLError("bad thing", line=2, column=3)
    assert (error.line, error.column, error.message) == (2, 3, "bad thing")
    assert str(error) == "2:3: bad thing"


# -- validation -------------------------------------------------------------------------------

VALID_TASK = """machine "M"
Task t {
    prompt: "Label {{ input.text | upper }}";
    output<"a" | "b">;
    evolution_stage: hybrid;
    llm_threshold: 0.7;
    confidence_threshold: "0.95";
}
"""


def test_valid_task_passes():
    assert parse_machine(VALID_TASK).tasks()[0].attr("evolution_stage") == "hybrid"


@pytest.mark.parametrize("stage", ["llm_only", "hybrid", "code_first", "code_only"])
def test_known_stages(stage):
    parse_machine(f'machine "M"\nTask t {{ evolution_stage: "{stage}"; }}')


@pytest.mark.parametrize("value", ["0", "1", "0.0", "1.0", '"0.3"', '" 1 "'])
def test_thresholds_in_range(value):
    body = f"llm_threshold: {value}; confidence_threshold: {value};"
    parse_machine(f'machine "M"\nTask t {{ {body} }}')


@pytest.mark.parametrize("value", ["1.5", "-0.1", '"2"', '"high"', "true", "[0.5]", '"nan"', "x"])
def test_thresholds_out_of_range(value):
    line, column, message = only(f'machine "M"\nTask t {{\n  llm_threshold: {value};\n}}')
    assert (line, column) == (3, 18)
    assert "llm_threshold must be a number between 0 and 1" in message and "node 't'" in message


def test_validation_problems_all_reported_with_positions():
    text = """machine "M"
Task a {
    prompt: "Hello {{ input.text ";
    evolution_stage: "fast";
    llm_threshold: 1.5;
    output<"a" | foo>;
}
Task a;
a -> nowhere;
ghost -> a;
"""
    found = problems(text)
    assert [p[:2] for p in found] == [(3, 13), (4, 22), (5, 20), (6, 5), (8, 6), (9, 6), (10, 1)]
    messages = " | ".join(p[2] for p in found)
    for fragment in (
        "prompt is not a valid template",
        "unknown evolution_stage 'fast'",
        "llm_threshold must be a number between 0 and 1, got 1.5",
        "unknown output type 'foo'",
        "node 'a' is declared twice (first declared at line 2)",
        "edge target 'nowhere' is not a declared node",
        "edge source 'ghost' is not a declared node",
    ):
        assert fragment in messages


def test_unknown_filter_is_caught_by_compiling_the_template():
    assert "prompt is not a valid template" in only(
        'machine "M"\nTask t { prompt: "{{ input | no_such_filter }}"; }'
    )[2]


def test_prompt_must_be_a_string():
    assert "prompt must be a string" in only('machine "M"\nTask t { prompt: [1]; }')[2]


def test_known_output_type_names_pass():
    parse_machine('machine "M"\nTask t { output<string>; }\nTask u { output<Number | "none">; }')


def test_notes_are_not_validated():
    parse_machine('machine "M"\nNote n { evolution_stage: "whatever"; llm_threshold: 9; }')


def test_nested_nodes_are_edge_endpoints():
    parse_machine('machine "M"\nContext c { State inner; }\nState s;\ns -> inner;')


def test_duplicate_nested_names_are_reported():
    assert "declared twice" in only('machine "M"\nState a { State a; }')[2]


def test_validation_can_be_skipped():
    unchecked = parse_machine('machine "M"\na -> b;', validate=False)
    assert unchecked.edges == [Edge(source="a", target="b")]


def test_validate_machine_without_positions():
    machine = MachineData(title="M", nodes=[Node(name="a")], edges=[Edge(source="a", target="b")])
    [problem] = validate_machine(machine)
    assert (problem.line, problem.column) == (0, 0)
    assert "'b' is not a declared node" in problem.message
    assert str(DSLError([problem])).startswith("0:0: edge target 'b'")


def test_non_string_input_is_a_type_error():
    with pytest.raises(TypeError):
        parse_machine(b'machine "M"')  # type: ignore[arg-type]
