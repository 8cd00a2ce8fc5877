"""Execution traces: bounded per task, filtered, searched, exported, and back after a restore."""

from __future__ import annotations

import csv
import io
import json

import pytest
from test_evolution_auto import evolving, workload
from test_evolution_stages import TRIAGE

from evomachine import EvolutionaryExecutor, SimulatedLLM, parse_machine
from evomachine.executor import ExecutionError
from evomachine.history import ExecutionRecord, TaskHistory
from evomachine.storage import MemoryStorage
from evomachine.traces import FILTERS, Trace, TraceBook, to_csv, to_jsonl


def plain(rows, **options) -> EvolutionaryExecutor:
    llm = SimulatedLLM.from_records(rows, "label", **options)
    return EvolutionaryExecutor(parse_machine(TRIAGE % "llm_only"), llm=llm, inputs=rows,
                                auto_evolve=False, trace_limit=50)


async def test_only_the_newest_traces_are_kept_per_task():
    rows = workload(120)
    ex = plain(rows)
    await ex.run(max_steps=3 * 120)
    traces = ex.traces("route")
    assert len(traces) == 50
    assert [t.seq for t in traces] == list(range(71, 121))
    assert traces[-1].input == {k: v for k, v in rows[-1].items() if k != "label"}
    assert traces[-1].expected == rows[-1]["label"] and traces[-1].correct is True
    ex.trace_book.set_limit(10)
    assert [t.seq for t in ex.traces("route")] == list(range(111, 121))


async def test_errors_keep_the_providers_reason_next_to_the_input():
    rows = workload(80)
    ex = plain(rows, error_rate=0.3, seed=4)
    await ex.run(max_steps=3 * 80)
    errors = ex.traces("route", "errors")
    assert errors and all("simulated failure" in t.error for t in errors)
    assert all(t.input["text"] for t in errors) and all(not t.success for t in errors)
    ok = ex.traces("route", "llm")
    assert len(ok) + len(errors) == len(ex.traces("route"))
    assert {t.answered_by for t in ok} == {"llm"} and all(t.used_llm for t in ok)


async def test_search_finds_inputs_and_answers_case_insensitively():
    rows = workload(40)
    ex = plain(rows)
    await ex.run(max_steps=3 * 40)
    word = rows[7]["text"].split()[3]
    found = ex.traces("route", search=word.upper())
    assert found and all(word in t.input["text"] for t in found)
    assert len(ex.traces("route", search="billing")) == sum(
        r["label"] == "billing" or "billing" in r["text"] for r in rows[-50:])
    assert ex.traces("route", search="no such text anywhere") == []


async def test_an_evolved_task_shows_code_answers_audits_and_disagreements():
    rows = workload(900, seed=5)
    ex = evolving(rows)
    await ex.run(max_steps=3 * 900)
    assert ex.tasks["route"].stage != "llm_only"
    every = ex.traces("route")
    code = ex.traces("route", "code")
    audits = ex.traces("route", "audits")
    disagreements = ex.traces("route", "disagreements")
    assert code and audits and disagreements
    assert all(t.answered_by == "code" and t.code_confidence is not None for t in code)
    assert all(t.llm_output is not None and t.agreed is not None for t in audits)
    # The simulated LLM errs 5% of the time, so some audits disagree and the LLM wins them.
    for trace in disagreements:
        assert trace.check in ("audit", "shadow") and trace.agreed is False
        checked = trace.audited if trace.check == "audit" else trace.code_output
        assert checked != trace.llm_output and trace.output == trace.llm_output
    checks = ex.traces("route", "checks")
    assert {t.seq for t in checks} == {t.seq for t in every if t.check is not None}
    assert len(ex.traces("route", lambda t: t.cost > 0)) == sum(t.used_llm for t in every)


def record(**fields) -> ExecutionRecord:
    return ExecutionRecord(task="t", input={"text": "x"}, **fields)


def test_an_overruled_memo_answer_is_a_disagreeing_audit():
    overruled = Trace(record(output="b", answered_by="llm", llm_output="b", check="audit",
                             audited="a"), True)
    assert overruled.check == "audit" and overruled.agreed is False
    assert FILTERS["disagreements"](overruled) and FILTERS["llm"](overruled)


def test_code_below_its_cut_then_the_llm_is_a_shadow_check():
    shadow = Trace(record(output="a", answered_by="llm", llm_output="a", code_output="a",
                          code_confidence=0.2), True)
    assert shadow.check == "shadow" and shadow.agreed is True
    failed_code = Trace(record(output="a", answered_by="llm", llm_output="a",
                               code_output=None, code_confidence=None), True)
    assert failed_code.check is None and failed_code.agreed is None


def test_unknown_filters_and_tasks_are_named():
    ex = EvolutionaryExecutor(parse_machine(TRIAGE % "llm_only"))
    with pytest.raises(ExecutionError, match="unknown task 'nope'"):
        ex.traces("nope")
    with pytest.raises(ValueError, match="unknown trace filter 'bogus'"):
        ex.traces("route", "bogus")
    with pytest.raises(ValueError):
        TraceBook(0)


def test_exports_hold_every_column_and_never_a_formula():
    traces = [Trace(record(output="=HYPERLINK(\"http://x\")", answered_by="llm",
                           llm_output="-1", error="@bad", cost=0.25), True)]
    rows = list(csv.reader(io.StringIO(to_csv(traces))))
    header, row = rows
    cells = dict(zip(header, row, strict=True))
    assert cells["output"].startswith("'=") and cells["llm_output"] == "'-1"
    assert cells["error"] == "'@bad" and cells["cost"] == "0.25" and cells["used_llm"] == "true"
    assert json.loads(cells["input"]) == {"text": "x"}
    line = json.loads(to_jsonl(traces))
    assert line["output"] == '=HYPERLINK("http://x")' and line["input"] == {"text": "x"}
    assert line["agreed"] is None


async def test_a_restored_executor_traces_its_persisted_history_then_goes_on():
    rows = workload(60)
    storage = MemoryStorage()
    llm = SimulatedLLM.from_records(rows, "label")
    ex = EvolutionaryExecutor(parse_machine(TRIAGE % "llm_only"), {}, storage, llm=llm,
                              inputs=rows, auto_evolve=False)
    await ex.run(max_steps=3 * 30)
    await ex.flush()
    again = await EvolutionaryExecutor.restore(storage, ex.machine_id, llm=llm, inputs=rows)
    assert [t.seq for t in again.traces("route")] == list(range(1, 31))
    await again.run(max_steps=3 * 5)
    assert [t.seq for t in again.traces("route")] == list(range(1, 36))
    assert again.traces("route")[0].used_llm is True


def test_a_new_history_object_starts_the_traces_again():
    book = TraceBook(10)
    old, new = TaskHistory(), TaskHistory()
    for history in (old, old, new):
        rec = record(output="a")
        history.add(rec)
        book.add(history, rec, True)
    assert [t.seq for t in book.select("t", old)] == [1, 2]
    assert [t.seq for t in book.select("t", new)] == [1]


async def test_a_failed_audit_call_shows_its_error_beside_the_answer_that_stood():
    rows = workload(900, seed=5)
    llm = SimulatedLLM.from_records(rows, "label", accuracy=0.95, error_rate=0.1, seed=3)
    ex = evolving(rows, llm)
    await ex.run(max_steps=3 * 900)
    failed = [t for t in ex.traces("route", "errors")
              if t.error.startswith("audit not done") and t.success]
    assert failed, "no audit call failed"
    assert all(t.output is not None and t.answered_by in ("code", "memo") for t in failed)
    assert all("simulated failure" in t.error and t.agreed is None for t in failed)
