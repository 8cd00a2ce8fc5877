"""``to_plain``: exact containers take their plain items without a call each; every value is
still counted once, nested no deeper than the limit, and anything else is checked as before."""

from __future__ import annotations

import math

import pytest

from evomachine.sandbox.plain import PlainDataError, to_plain


def nodes(value: object) -> int:
    if isinstance(value, dict):
        return 1 + sum(nodes(v) for v in value.values())
    if isinstance(value, list | tuple):
        return 1 + sum(nodes(v) for v in value)
    return 1


VALUES = [
    {"output": "tech", "confidence": 0.97, "metadata": {"raw": 12.5, "n": 3, "ok": True,
                                                         "none": None, "rows": [1, [2, [3]]]}},
    [1, "a", 2.5, None, False, {"k": [{"d": {}}]}, []],
    {"t": (1, 2, (3,)), 4: "four"},
]


@pytest.mark.parametrize("value", VALUES)
def test_a_copy_is_equal_fresh_and_counted_to_the_value(value: object) -> None:
    copy = to_plain(value)
    assert copy == value and copy is not value
    total = nodes(value)
    assert to_plain(value, max_nodes=total) == value
    with pytest.raises(PlainDataError, match="more than"):
        to_plain(value, max_nodes=total - 1)


def test_containers_are_new_objects_all_the_way_down() -> None:
    inner = [1, 2]
    value = {"a": inner, "b": {"c": inner}}
    copy = to_plain(value)
    assert copy["a"] is not inner and copy["b"]["c"] is not inner
    copy["a"].append(3)
    assert inner == [1, 2]


def test_depth_is_limited_for_containers_only() -> None:
    deep: object = "leaf"
    for _ in range(5):
        deep = [deep]
    assert to_plain(deep, max_depth=5) == deep
    with pytest.raises(PlainDataError, match="deeper"):
        to_plain(deep, max_depth=4)
    assert to_plain({"a": {"b": 1}}, max_depth=2) == {"a": {"b": 1}}


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_non_finite_floats_are_refused_where_asked_anywhere_in_the_value(bad: float) -> None:
    for value in (bad, [1.0, bad], {"m": {"x": bad}}):
        with pytest.raises(PlainDataError, match="non-finite"):
            to_plain(value, allow_nan=False)
    assert math.isnan(to_plain([math.nan])[0])  # allowed unless refused


def test_subclasses_become_plain_types_and_other_objects_are_refused() -> None:
    class S(str):
        pass

    class I(int):  # noqa: E742
        pass

    class D(dict):
        pass

    copy = to_plain(D(a=[S("x"), I(3), 1.5]))
    assert type(copy) is dict and type(copy["a"][0]) is str and type(copy["a"][1]) is int
    with pytest.raises(PlainDataError, match="not plain data"):
        to_plain({"a": [object()]})


def test_json_keys_turn_numbers_into_strings_and_refuse_bool_and_none() -> None:
    assert to_plain({1: "a", 2.5: "b", "c": (1, 2)}, json_keys=True) == {
        "1": "a", "2.5": "b", "c": [1, 2]}
    for key in (True, None):
        with pytest.raises(PlainDataError, match="is not a string"):
            to_plain({key: 1}, json_keys=True)
    assert to_plain({(1, 2): "t"}) == {(1, 2): "t"}
