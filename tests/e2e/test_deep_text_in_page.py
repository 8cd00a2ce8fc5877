"""Deeply nested text in the real page: the nesting limits hold in Chromium's engine Worker.

In Pyodide a parser that recurses in C past the WebAssembly stack is a fatal error: the
engine is gone until a reload. ``evomachine.nesting`` refuses text nested past its limits,
chosen with margin from Pyodide under Node (tests/pyodide). Chromium's Worker has its own
stack, so here the deepest text each limit lets through goes through the page's engine,
a prompt typed into the machine and a data file's JSON, and the engine must still answer;
one level more is refused with a message that says why, and the engine answers after that.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page

from conftest import fresh_lab
from evomachine.nesting import MAX_JSON_DEPTH, MAX_TEMPLATE_DEPTH, json_depth

pytestmark = pytest.mark.e2e

# Prompt expressions that jinja parses and compiles one C recursion per level.
SHAPES = {
    "attribute": lambda n: "{{ " + "input." * n + "text }}",
    "sum": lambda n: "{{ " + "1+" * n + "1 }}",
    "not": lambda n: "{{ " + "not " * n + "1 }}",
    "minus": lambda n: "{{ " + "-" * n + "1 }}",
    "filters": lambda n: "{{ input.text" + "|e" * n + " }}",
}


def deepest(shape: str) -> int:
    """The most levels of ``shape`` the engine's template check lets through (in CPython)."""
    from evomachine.dsl.validate import template_error

    levels = next(n for n in range(1, 4 * MAX_TEMPLATE_DEPTH)
                  if template_error(SHAPES[shape](n + 1)) is not None)
    assert template_error(SHAPES[shape](levels)) is None
    assert "nest" in template_error(SHAPES[shape](levels + 1))
    return levels


def machine(prompt: str) -> str:
    quoted = json.dumps(prompt)
    return f"""machine "Deep"
Input ticket {{ ground_truth: "label"; }}
Task route "Route" {{
    prompt: {quoted};
    output<"billing" | "tech">;
}}
State billing "Billing";
State tech "Tech";
ticket -> route;
route -billing-> billing;
route -tech-> tech;
billing -> ticket;
tech -> ticket;
"""


RECORDS = [{"text": "charged twice", "label": "billing"},
           {"text": "app crashes", "label": "tech"}] * 3


@pytest.fixture(scope="module")
def lab(browser, server) -> Iterator[Page]:
    yield from fresh_lab(browser, server)


def alive(lab: Page) -> None:
    """The engine Worker still answers: a step runs and the state reads back."""
    count = "window.evomachine.state().then((s) => s.step_count)"  # a deep record stays there
    before = lab.evaluate(count)
    lab.evaluate("window.evomachine.step(1).then(() => null)")
    assert lab.evaluate(count) == before + 1


def test_each_shape_is_refused_near_the_limit():
    for shape in SHAPES:
        assert MAX_TEMPLATE_DEPTH - 5 <= deepest(shape) < MAX_TEMPLATE_DEPTH, shape


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_the_deepest_prompt_allowed_runs_in_the_worker(lab, shape):
    dsl = machine(SHAPES[shape](deepest(shape)))
    assert lab.evaluate("(dsl) => window.evomachine.check(dsl)", dsl)["ok"] is True
    lab.evaluate("([dsl, records]) => window.evomachine.load(dsl, records)", [dsl, RECORDS])
    lab.evaluate("window.evomachine.setLLM({provider: 'simulated', accuracy: 1})")
    alive(lab)


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_a_prompt_one_level_deeper_is_refused_and_the_engine_lives(lab, shape):
    dsl = machine(SHAPES[shape](deepest(shape) + 1))
    checked = lab.evaluate("(dsl) => window.evomachine.check(dsl)", dsl)
    assert checked["ok"] is False
    assert any("nest" in error["message"] for error in checked["errors"]), checked
    refused = lab.evaluate("""(dsl) => window.evomachine.load(dsl).then(
        () => null, (error) => error.message)""", dsl)
    assert refused and "nest" in refused
    alive(lab)


def nested(levels: int) -> object:
    """A string inside ``levels`` arrays."""
    value: object = "billing"
    for _ in range(levels):
        value = [value]
    return value


def test_data_file_json_at_the_limit_loads_and_one_deeper_is_refused(lab):
    lab.evaluate("window.evomachine.loadExample('ticket-triage')")
    # The array of records and a record are two levels; the field holds the rest.
    deepest = [{"text": nested(MAX_JSON_DEPTH - 2), "label": "billing"}]
    assert json_depth(json.dumps(deepest)) == MAX_JSON_DEPTH
    lab.evaluate("(text) => window.evomachine.loadData(text, 'deep.json').then(() => null)",
                 json.dumps(deepest))
    alive(lab)
    deeper = [{"text": nested(MAX_JSON_DEPTH - 1), "label": "billing"}]
    refused = lab.evaluate("""(text) => window.evomachine.loadData(text, 'deeper.json').then(
        () => null, (error) => error.message)""", json.dumps(deeper))
    assert refused and "nest" in refused, refused
    alive(lab)
