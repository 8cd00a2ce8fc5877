"""Prompt templates render on a counted budget: a hostile prompt is a PromptError, never a hang.

Each case here ran for tens of seconds or ate gigabytes before the budget (the
red-team's nested loops ran 34 s and stopped at a 4 GB MemoryError). The budget
is counted (steps, characters, sizes), so these outcomes are the same on every
machine and in Pyodide; no test measures time.
"""

from __future__ import annotations

import pytest

from evomachine import prompts
from evomachine.prompts import PromptError, compile_prompt

RECORD = {"text": "My invoice is wrong", "tags": ["billing", "urgent"],
          "examples": [{"q": f"question {i}", "a": f"answer {i}"} for i in range(200)]}


def render(source: str, record=RECORD, context=None) -> str:
    return compile_prompt("route", source).render(record, context or {}, {"outputs": {}})


def refused(source: str) -> str:
    with pytest.raises(PromptError) as caught:
        render(source)
    assert caught.value.task == "route"
    assert "over its budget" in caught.value.reason or "Error" in caught.value.reason
    return caught.value.reason


def doubling(lines: int, start: str = "'x' * 1000") -> str:
    names = ["a"] + [f"a{i}" for i in range(lines)]
    body = "".join(f"{{% set {names[i + 1]} = {names[i]} ~ {names[i]} %}}" for i in range(lines))
    return f"{{% set a = {start} %}}{body}{{{{ {names[-1]}|length }}}}"


def test_ordinary_prompts_render_as_before():
    source = ("Route this ticket: {{ input.text }} [{{ input.tags|join(', ') }}]\n"
              "{% for e in input.examples[:3] %}Q: {{ e.q }} A: {{ e.a }}\n{% endfor %}"
              "{% if missing %}never{% endif %}{{ missing }}{{ outputs.get('x', '-') }}"
              "{{ '%s/%d'|format('a', 3) }} {{ '{} {}'.format(1, 2) }} {{ 2 ** 10 }}"
              "{% for x in [1, 2] recursive %}{{ x }}{% endfor %}"
              "{% macro m(v) %}<{{ v }}>{% endmacro %}{{ m(input.text|upper) }}")
    assert render(source) == (
        "Route this ticket: My invoice is wrong [billing, urgent]\n"
        "Q: question 0 A: answer 0\nQ: question 1 A: answer 1\nQ: question 2 A: answer 2\n"
        "-a/3 1 2 102412<MY INVOICE IS WRONG>")
    assert render("{% for e in input.examples %}{{ loop.index }}{% endfor %}").endswith("200")
    assert render("{% for x in range(100000) %}{% endfor %}done") == "done"


def test_nested_loops_stop_at_the_step_budget():
    reason = refused("{% for a in range(100000) %}{% for b in range(100000) %}"
                     "{% endfor %}{% endfor %}")
    assert f"{prompts.MAX_STEPS:,} steps" in reason


def test_loops_hidden_in_macros_and_captured_blocks_count_too():
    assert "steps" in refused("{% macro m() %}{% for i in range(100000) %}{% for j in "
                              "range(100000) %}{% endfor %}{% endfor %}{% endmacro %}{{ m() }}")
    assert "characters" in refused("{% set x %}{% for i in range(100000) %}"
                                   "{{ 'y' * 100 }}{% endfor %}{% endset %}{{ x|length }}")
    assert "steps" in refused("{% for x in [1] recursive %}{% for y in range(100000) %}"
                              "{{ loop(range(100000)) if false }}{% endfor %}{% endfor %}"
                              "{% for a in range(100000) %}{% for b in range(3) %}"
                              "{% endfor %}{% endfor %}")


def test_recursion_is_bounded_by_depth():
    assert "nest more than" in refused("{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}")
    assert "nest more than" in refused(
        "{% for x in [1] recursive %}{{ loop(range(100000)) }}{% endfor %}")


def test_output_is_capped_in_characters():
    reason = refused("{% for i in range(100000) %}{{ input.text }}{% endfor %}")
    assert f"more than {prompts.MAX_CHARS:,} characters" in reason


@pytest.mark.parametrize("source", [
    doubling(30),                                                    # a ~ a, thirty times
    "{% set ns = namespace(s='x') %}{% for i in range(60) %}"
    "{% set ns.s = ns.s ~ ns.s %}{% endfor %}{{ ns.s|length }}",     # doubling in a loop
    "{% set ns = namespace(a=[1]) %}{% for i in range(80) %}"
    "{% set ns.a = [ns.a, ns.a] %}{% endfor %}{{ ns.a == ns.a }}",  # a shared-structure list
    "{% set ns = namespace(a=[1]) %}{% for i in range(80) %}"
    "{% set ns.a = dict(x=ns.a, y=ns.a) %}{% endfor %}{{ ns.a|length }}",
    "{% set ns = namespace(a=1) %}{% for i in range(5000) %}"
    "{% set ns.a = [ns.a] %}{% endfor %}{{ ns.a }}",                 # nesting
])
def test_values_that_grow_without_output_are_refused(source):
    reason = refused(source)
    assert "larger than" in reason or "nested more than" in reason


@pytest.mark.parametrize("source", [
    "{{ 'x' * 1000000000 }}",
    "{{ 2 ** 100000000 }}",
    "{% set a = 10 ** 10000 %}{% set b = a * a %}{% set c = b * b %}{% set d = c * c %}"
    "{% set e = d * d %}{{ e > 0 }}",
    "{{ 'x'|center(1000000000) }}",
    "{{ 'x'.ljust(1000000000) }}",
    "{{ '%1000000000d'|format(1) }}",
    "{{ '{:1000000000}'.format(1) }}",
    "{{ '%*d' % (1000000000, 1) }}",
    "{{ ('a' * 1000000)|replace('a', 'b' * 2000) }}",
    "{{ ('a' * 1000000).replace('a', 'b' * 2000) }}",
    "{{ range(1000)|join('x' * 1000000) }}",
    "{{ ('x' * 1000000).join(range(1000)|map('string')) }}",
    "{{ ('\t' * 1000000).expandtabs(1000000) }}",
    "{{ ('{0}' * 300000).format('x' * 1000000) }}",
    "{{ ('%s' * 300000)|format('x' * 1000000) }}",
    "{{ ('\n' * 1000000)|indent(1000000) }}",
])
def test_single_operations_that_would_allocate_gigabytes_are_refused_before_they_run(source):
    refused(source)


def test_lipsum_is_gone_and_the_sandbox_still_holds():
    assert "lipsum" in refused("{{ lipsum(n=1000000) }}")
    assert render("{{ ''.__class__ }}|{{ input.__class__ }}") == "|"
    assert "SecurityError" in refused("{{ input.tags.append(1) }}")


async def test_a_budget_error_is_a_failed_execution_and_the_llm_is_not_asked():
    from evomachine.executor import MachineExecutor
    from evomachine.llm.base import LLMResponse
    from evomachine.model import Attribute, MachineData, Node

    asked = []

    class LLM:
        async def complete(self, request):
            asked.append(request)
            return LLMResponse(text="x", model="fake")

    bomb = ("{% for a in range(100000) %}{% for b in range(100000) %}{% endfor %}{% endfor %}")
    node = Node(name="t", type="Task", attributes={"prompt": Attribute(name="prompt", value=bomb)})
    executor = MachineExecutor(MachineData(title="m", nodes=[node]), llm=LLM())
    result = await executor.execute_task("t", {"text": "a"})
    assert not result.success
    assert "prompt of task 't'" in result.error and "over its budget" in result.error
    assert asked == []
