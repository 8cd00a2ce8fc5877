"""Output schemas from Task nodes, and parsing/validating model answers."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from evomachine.llm import AnswerError, output_schema_for, parse_answer
from evomachine.llm.answers import MAX_ANSWER_CHARS
from evomachine.model import Attribute, Identifier, Node, TypeRef


def task(output: Attribute | None) -> Node:
    attributes = {"output": output} if output is not None else {}
    return Node(name="route", type="Task", attributes=attributes)


def typed(*parts: tuple[str, str], value=None) -> Attribute:
    return Attribute(name="output", type=TypeRef(parts=list(parts)), value=value)


ENUM = {"enum": ["billing", "tech", "sales"]}


# --- output_schema_for ---------------------------------------------------------------


def test_literal_union_gives_enum():
    node = task(typed(("literal", "spam"), ("literal", "ham")))
    assert output_schema_for(node) == {"enum": ["spam", "ham"]}


def test_list_value_gives_enum_with_identifiers_as_names():
    node = task(Attribute(name="output", value=[Identifier(name="a"), "b"]))
    assert output_schema_for(node) == {"enum": ["a", "b"]}


@pytest.mark.parametrize(
    ("name", "kind"),
    [("number", "number"), ("string", "string"), ("boolean", "boolean"),
     ("object", "object"), ("integer", "integer"), ("Number", "number")],
)
def test_type_names_give_json_schema_types(name, kind):
    assert output_schema_for(task(typed(("name", name)))) == {"type": kind}


def test_identifier_value_naming_a_type():
    node = task(Attribute(name="output", value=Identifier(name="number")))
    assert output_schema_for(node) == {"type": "number"}


def test_mixed_union_gives_any_of():
    node = task(typed(("literal", "none"), ("name", "number")))
    assert output_schema_for(node) == {"anyOf": [{"enum": ["none"]}, {"type": "number"}]}


def test_no_output_or_unknown_type_gives_none():
    assert output_schema_for(task(None)) is None
    assert output_schema_for(task(typed(("name", "Category")))) is None
    assert output_schema_for(task(Attribute(name="output", value="a free description"))) is None


# --- parse_answer --------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    ["billing", "  Billing\n", '"billing"', "'BILLING'", "billing.", "`billing`",
     "```\nbilling\n```", "```text\nbilling\n```", "Answer: billing", "label = tech"],
)
def test_enum_answers_are_cleaned_and_canonical(text):
    expected = "tech" if "tech" in text else "billing"
    assert parse_answer(text, ENUM) == expected


@pytest.mark.parametrize(
    "text", ["", "   ", "marketing", "billing or tech", "The answer is billing", "bill"]
)
def test_enum_rejects_anything_else(text):
    with pytest.raises(AnswerError) as caught:
        parse_answer(text, ENUM)
    assert isinstance(caught.value, ValueError)


def test_enum_error_lists_the_allowed_values():
    with pytest.raises(AnswerError, match="billing, tech, sales"):
        parse_answer("marketing", ENUM)


def test_non_string_enum_values_come_back_canonical():
    assert parse_answer(" 2 ", {"enum": [1, 2, 3]}) == 2


@pytest.mark.parametrize(
    ("text", "value"), [("3", 3), ("-2.5", -2.5), ("1e3", 1000.0), ("42.", 42), ('"7"', 7)]
)
def test_numbers(text, value):
    result = parse_answer(text, {"type": "number"})
    assert result == value and type(result) is type(value)


@pytest.mark.parametrize("text", ["three", "true", "1,000", "NaN", "[1]", "1e999"])
def test_not_numbers(text):
    with pytest.raises(AnswerError):
        parse_answer(text, {"type": "number"})


def test_integer_rejects_fractions():
    assert parse_answer("12", {"type": "integer"}) == 12
    with pytest.raises(AnswerError, match="an integer"):
        parse_answer("1.5", {"type": "integer"})


@pytest.mark.parametrize(
    ("text", "value"), [("true", True), ("False", False), ("yes", True), ("NO.", False)]
)
def test_booleans(text, value):
    assert parse_answer(text, {"type": "boolean"}) is value


def test_boolean_rejects_other_words():
    with pytest.raises(AnswerError, match="true or false"):
        parse_answer("maybe", {"type": "boolean"})


def test_objects_from_fenced_json():
    text = '```json\n{"name": "Ada", "age": 36}\n```'
    assert parse_answer(text, {"type": "object"}) == {"name": "Ada", "age": 36}


@pytest.mark.parametrize("text", ["[1, 2]", "{name: 1}", "{", "null"])
def test_objects_reject_non_objects(text):
    with pytest.raises(AnswerError):
        parse_answer(text, {"type": "object"})


def test_strings_lose_quotes_and_fences_but_must_not_be_empty():
    assert parse_answer('  "Hello world"  ', {"type": "string"}) == "Hello world"
    with pytest.raises(AnswerError, match="empty"):
        parse_answer('""', {"type": "string"})


def test_any_of_tries_each_branch():
    schema = {"anyOf": [{"enum": ["none"]}, {"type": "number"}]}
    assert parse_answer("None", schema) == "none"
    assert parse_answer("4", schema) == 4
    with pytest.raises(AnswerError, match="no allowed form"):
        parse_answer("several", schema)


def test_no_schema_returns_stripped_text():
    assert parse_answer("  anything at all \n", None) == "anything at all"


def test_unsupported_schema_is_an_answer_error():
    with pytest.raises(AnswerError, match="unsupported"):
        parse_answer("x", {"type": "null"})


@given(st.sampled_from(ENUM["enum"]), st.sampled_from(["", " ", "\n"]),
       st.sampled_from(["", '"', "'"]), st.booleans())
def test_property_decorated_enum_values_parse_back(value, space, quote, upper):
    text = f"{space}{quote}{value.upper() if upper else value}{quote}{space}"
    assert parse_answer(text, ENUM) == value


@given(st.text(max_size=40))
def test_property_random_text_raises_only_answer_error(text):
    for schema in (ENUM, {"type": "number"}, {"type": "boolean"}, {"type": "object"}, None):
        with contextlib.suppress(AnswerError):
            parse_answer(text, schema)


@given(st.one_of(st.integers(-10**9, 10**9), st.floats(allow_nan=False, allow_infinity=False)))
def test_property_numbers_round_trip(number):
    assert parse_answer(repr(number), {"type": "number"}) == number


def test_an_answer_past_the_longest_a_task_takes_is_refused():
    """rt10: huge answers were task outputs, kept several times each in the stored state."""
    assert parse_answer("x" * MAX_ANSWER_CHARS, None) == "x" * MAX_ANSWER_CHARS
    with pytest.raises(AnswerError, match="over the 100,000 a task's answer may have"):
        parse_answer("x" * (MAX_ANSWER_CHARS + 1), None)
