"""A prompt template whose expressions nest deeply is refused before jinja compiles it.

Found: jinja's parser and compiler recurse through C calls once per level of an
expression; in Pyodide (under Node) about 100 levels, a 200-character prompt such as
``{{ x.x.x... }}``, ``{{ 1+1+... }}``, ``{{ not not ... }}`` or ``{{ x|e|e... }}``,
exhausted the WebAssembly stack: a fatal error of the page's engine at the DSL's
validation (typing the machine, loading an example or an imported export's text).
CPython answered ``None`` (no problem) for them. Runs in Pyodide too (tests/pyodide).
"""

from __future__ import annotations

import pytest

from evomachine.dsl.validate import template_error
from evomachine.prompts import Prompt, PromptError

LEVELS = 150
DEEP = {
    "attribute": "{{ " + "x." * LEVELS + "y }}",
    "sum": "{{ " + "1+" * LEVELS + "1 }}",
    "not": "{{ " + "not " * LEVELS + "1 }}",
    "minus": "{{ " + "-" * LEVELS + "1 }}",
    "filters": "{{ x" + "|e" * LEVELS + " }}",
    "after a string holding }}": '{{ "}}" ~ ' + "x." * LEVELS + "y }}",
    "in a block": "{% if " + "x." * LEVELS + "y %}a{% endif %}",
}


@pytest.mark.parametrize("shape", sorted(DEEP))
def test_a_deep_expression_is_a_template_error(shape):
    assert "nest" in (template_error(DEEP[shape]) or "")


@pytest.mark.parametrize("shape", sorted(DEEP))
def test_a_deep_prompt_is_a_prompt_error(shape):
    with pytest.raises(PromptError, match="nest"):
        Prompt("route", DEEP[shape])


def test_ordinary_prompts_still_compile():
    source = ("Route this ticket ({{ input.text|truncate(200) }}) to "
              "{% for k, v in input.items() if k != 'id' %}{{ k }}={{ v ~ '!' }}, {% endfor %}"
              "{{ 'a' if input.flag and not input.other else 'b' }} don't")
    assert template_error(source) is None
    assert "Route this ticket" in Prompt("route", source).render({"text": "x", "flag": True})
