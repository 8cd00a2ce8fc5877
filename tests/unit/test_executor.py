"""MachineExecutor: start node, Input records, edge choice, halting, failures, history."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evomachine.executor import (
    ExecutionError,
    MachineExecutor,
    StepResult,
    TaskResult,
    find_start,
    slugify,
)
from evomachine.llm.base import LLMError, LLMRequest, LLMResponse
from evomachine.model import Attribute, Edge, MachineData, Node, TypeRef


class ScriptedLLM:
    """Answers with ``answer(request)``; records every request."""

    def __init__(self, answer: Any = "billing", cost: float = 0.01, latency_ms: float = 5.0):
        self.answer = answer
        self.cost = cost
        self.latency_ms = latency_ms
        self.requests: list[LLMRequest] = []

    async def complete(self, request: LLMRequest) -> LLMResponse:
        self.requests.append(request)
        text = self.answer(request) if callable(self.answer) else self.answer
        if isinstance(text, Exception):
            raise text
        return LLMResponse(text=text, input_tokens=10, output_tokens=1, cost=self.cost,
                           latency_ms=self.latency_ms, model="scripted")


def attr(name: str, value: Any = None, literals: list[str] | None = None) -> Attribute:
    type_ref = TypeRef(parts=[("literal", v) for v in literals]) if literals else None
    return Attribute(name=name, value=value, type=type_ref)


def task(name: str, prompt: str, outputs: list[str] | None = None, **extra: Any) -> Node:
    attributes = {"prompt": attr("prompt", prompt)}
    if outputs:
        attributes["output"] = attr("output", literals=outputs)
    for key, value in extra.items():
        attributes[key] = attr(key, value)
    return Node(name=name, type="Task", attributes=attributes)


def triage(ground_truth: str | None = "label", loop: bool = True) -> MachineData:
    ticket_attrs = {"ground_truth": attr("ground_truth", ground_truth)} if ground_truth else {}
    edges = [
        Edge(source="ticket", target="route"),
        Edge(source="route", target="billing", label="billing"),
        Edge(source="route", target="tech", label="tech"),
        Edge(source="route", target="sales", label="sales"),
    ]
    if loop:
        edges += [Edge(source=s, target="ticket") for s in ("billing", "tech", "sales")]
    return MachineData(
        title="Ticket triage",
        nodes=[
            Node(name="ticket", type="Input", attributes=ticket_attrs),
            task("route", "Route: {{ input.text }} ({{ team }})", ["billing", "tech", "sales"]),
            Node(name="billing"), Node(name="tech"), Node(name="sales"),
        ],
        edges=edges,
    )


def by_text(request: LLMRequest) -> str:
    text = request.input["text"]
    return "billing" if "invoice" in text else "tech" if "crash" in text else "sales"


RECORDS = [
    {"text": "my invoice is wrong", "label": "billing"},
    {"text": "app crash on start", "label": "tech"},
    {"text": "buy more seats", "label": "sales"},
]


def test_slug_and_default_machine_id():
    assert slugify("Ticket triage") == "ticket-triage"
    assert slugify("  Über -- Machine 2! ") == "ber-machine-2"
    assert slugify("!!!") == "machine"
    assert MachineExecutor(triage()).machine_id == "ticket-triage"
    assert MachineExecutor(triage(), machine_id="x").machine_id == "x"


def test_start_node_rules():
    assert find_start(triage()) == "ticket"
    no_input = MachineData(title="t", nodes=[Node(name="a"), Node(name="b")],
                           edges=[Edge(source="b", target="a")])
    assert find_start(no_input) == "b"
    cycle = MachineData(title="t", nodes=[Node(name="a"), Node(name="b")],
                        edges=[Edge(source="a", target="b"), Edge(source="b", target="a")])
    assert find_start(cycle) == "a"
    assert find_start(MachineData(title="empty")) is None


async def test_empty_machine_is_halted():
    ex = MachineExecutor(MachineData(title="empty"))
    assert ex.halted and await ex.step() is None and await ex.run() == []


async def test_records_flow_through_labelled_edges_and_halt_when_inputs_run_out():
    llm = ScriptedLLM(by_text)
    ex = MachineExecutor(triage(), {"team": "support"}, llm=llm, inputs=RECORDS)
    steps = await ex.run(max_steps=100)
    assert [s.node for s in steps] == ["ticket", "route", "billing", "ticket", "route", "tech",
                                       "ticket", "route", "sales"]
    assert [s.output for s in steps if s.node == "route"] == ["billing", "tech", "sales"]
    assert ex.halted and ex.current_node == "ticket"
    assert await ex.step() is None
    # ground truth never reaches the task, and lands on the record as ``expected``
    assert all("label" not in r.input for r in llm.requests)
    assert [r.expected for r in ex.histories["route"].recent] == ["billing", "tech", "sales"]
    assert RECORDS[0]["label"] == "billing"  # the caller's records are not mutated
    assert llm.requests[0].prompt == "Route: my invoice is wrong (support)"
    assert llm.requests[0].output_schema == {"enum": ["billing", "tech", "sales"]}
    assert llm.requests[0].purpose == "task" and llm.requests[0].task == "route"
    assert ex.input_cursor == 3


async def test_set_inputs_resumes_an_exhausted_input_node():
    ex = MachineExecutor(triage(), llm=ScriptedLLM(by_text), inputs=RECORDS[:1])
    await ex.run()
    assert ex.halted
    ex.set_inputs(RECORDS, skip=1)
    steps = await ex.run()
    assert [s.output for s in steps if s.node == "route"] == ["tech", "sales"]


async def test_terminal_node_halts_and_run_is_bounded():
    ex = MachineExecutor(triage(loop=False), llm=ScriptedLLM("tech"), inputs=RECORDS * 10)
    steps = await ex.run()
    assert [s.node for s in steps] == ["ticket", "route", "tech"]
    assert steps[-1].next is None and ex.halted and ex.current_node is None
    forever = iter(lambda: {"text": "x"}, None)
    endless = MachineExecutor(triage(), llm=ScriptedLLM("tech"), inputs=forever)
    assert len(await endless.run(max_steps=7)) == 7
    assert len(await endless.run(max_steps=0)) == 0
    with pytest.raises(ValueError):
        await endless.run(max_steps=-1)


async def test_edge_choice_prefers_label_then_unlabelled_then_errors():
    machine = MachineData(
        title="m",
        nodes=[task("t", "{{ input }}"), Node(name="a"), Node(name="b")],
        edges=[Edge(source="t", target="a", label="yes"), Edge(source="t", target="b")],
    )
    ex = MachineExecutor(machine, llm=ScriptedLLM("yes"))
    assert (await ex.step()).next == "a"
    ex = MachineExecutor(machine, llm=ScriptedLLM("maybe"))
    assert (await ex.step()).next == "b"
    labelled_only = machine.model_copy(update={"edges": machine.edges[:1]})
    ex = MachineExecutor(labelled_only, llm=ScriptedLLM("no"))
    with pytest.raises(ExecutionError) as caught:
        await ex.step()
    message = str(caught.value)
    assert "'t'" in message and "'no'" in message and "'yes'" in message
    assert ex.current_node == "t"  # the machine stays where it was


async def test_fan_out_with_one_label_takes_the_first_target():
    machine = MachineData(
        title="m",
        nodes=[task("t", "{{ input }}"), Node(name="a"), Node(name="b")],
        edges=[Edge(source="t", target="a", label="go"), Edge(source="t", target="b", label="go")],
    )
    assert (await MachineExecutor(machine, llm=ScriptedLLM("go")).step()).next == "a"


async def test_pass_through_nodes_follow_their_only_edge_even_if_labelled():
    machine = MachineData(
        title="m",
        nodes=[Node(name="s"), Node(name="c", type="Context"), Node(name="o", type="Output")],
        edges=[Edge(source="s", target="c", label="next"), Edge(source="c", target="o")],
    )
    steps = await MachineExecutor(machine).run()
    assert [(s.node, s.next) for s in steps] == [("s", "c"), ("c", "o"), ("o", None)]


async def test_invalid_answer_is_a_failed_execution_and_drops_the_record():
    answers = iter(["billing", "I think it's tech", "sales"])
    ex = MachineExecutor(triage(), llm=ScriptedLLM(lambda r: next(answers)), inputs=RECORDS)
    steps = await ex.run()
    failed = [s for s in steps if s.error]
    assert len(failed) == 1 and failed[0].node == "route" and failed[0].next == "ticket"
    assert "not one of the allowed values" in failed[0].error
    records = ex.histories["route"].recent
    assert [r.success for r in records] == [True, False, True]
    assert records[1].answered_by == "none" and records[1].output is None


async def test_llm_error_follows_an_error_edge_when_there_is_one():
    machine = triage(loop=False)
    machine.nodes.append(Node(name="oops"))
    machine.edges.append(Edge(source="route", target="oops", label="error"))
    llm = ScriptedLLM(LLMError("rate limited", status=429))
    ex = MachineExecutor(machine, llm=llm, inputs=RECORDS)
    step = (await ex.run())[1]
    assert step.next == "oops" and "rate limited" in step.error


async def test_failure_without_input_node_halts():
    machine = MachineData(title="m", nodes=[task("t", "{{ input }}", ["a"])])
    ex = MachineExecutor(machine, llm=ScriptedLLM("b"))
    step = await ex.step()
    assert step.error and step.next is None and ex.halted


async def test_execute_task_returns_a_task_result():
    ex = MachineExecutor(triage(), llm=ScriptedLLM("TECH.", cost=0.02, latency_ms=12.0))
    result = await ex.execute_task("route", {"text": "x"}, expected="tech")
    assert isinstance(result, TaskResult)
    assert result.output == "tech" and result.used_llm and result.success
    assert result.stage == "llm_only" and result.cost == 0.02 and result.latency_ms >= 12.0
    assert result.confidence is None
    record = ex.histories["route"].recent[0]
    assert record.expected == "tech" and record.input_tokens == 10 and record.llm_output == "tech"
    with pytest.raises(ExecutionError, match="unknown task 'nope'"):
        await ex.execute_task("nope", {})


async def test_missing_llm_is_a_clear_failed_execution():
    result = await MachineExecutor(triage()).execute_task("route", {"text": "x"})
    assert not result.success and "needs an LLM" in result.error


async def test_prompts_render_in_the_sandbox():
    machine = MachineData(title="m", nodes=[task("t", "{{ input.__class__.__mro__ }}")])
    ex = MachineExecutor(machine, llm=ScriptedLLM("x"))
    result = await ex.execute_task("t", {"a": 1})
    assert not result.success and "SecurityError" in result.error and "unsafe" in result.error
    record = {"a": 1}
    mutating = MachineData(title="m", nodes=[task("t", "{{ input.pop('a') }}")])
    result = await MachineExecutor(mutating, llm=ScriptedLLM("x")).execute_task("t", record)
    assert not result.success and record == {"a": 1}
    prompt = "{{ ''.__class__ }}|{{ missing }}|{{ n * 2 }}"
    machine = MachineData(title="m", nodes=[task("t", prompt)])
    llm = ScriptedLLM("x")
    await MachineExecutor(machine, {"n": 21}, llm=llm).execute_task("t", {})
    assert llm.requests[0].prompt == "||42"


def test_invalid_template_fails_at_construction():
    from evomachine.prompts import PromptError

    machine = MachineData(title="m", nodes=[task("t", "{% if %}")])
    with pytest.raises(PromptError, match="prompt of task 't'"):
        MachineExecutor(machine)


async def test_later_prompts_see_earlier_outputs():
    machine = MachineData(
        title="m",
        nodes=[task("a", "first"), task("b", "after {{ outputs.a }}")],
        edges=[Edge(source="a", target="b")],
    )
    llm = ScriptedLLM("one")
    await MachineExecutor(machine, llm=llm).run()
    assert llm.requests[1].prompt == "after one"


async def test_step_results_are_immutable():
    ex = MachineExecutor(triage(), llm=ScriptedLLM("tech"), inputs=RECORDS)
    step = await ex.step()
    assert isinstance(step, StepResult)
    with pytest.raises(AttributeError):
        step.node = "x"  # type: ignore[misc]


@settings(max_examples=25, deadline=None)
@given(limit=st.integers(min_value=1, max_value=20), runs=st.integers(min_value=0, max_value=60))
def test_history_is_bounded(limit: int, runs: int):
    from aio import run

    async def go() -> MachineExecutor:
        ex = MachineExecutor(triage(), llm=ScriptedLLM("tech"), history_limit=limit)
        for i in range(runs):
            await ex.execute_task("route", {"text": str(i)})
        return ex

    ex = run(go())
    history = ex.histories["route"]
    assert len(history.recent) == min(limit, runs)
    assert history.seen == runs
    if runs:
        assert history.recent[-1].input == {"text": str(runs - 1)}
