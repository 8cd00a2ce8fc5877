"""The page's bridge (``evomachine.app.Lab``) driven the way the page drives it: JSON in and out."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from evomachine.app import Lab
from evomachine.app.series import TaskSeries
from evomachine.datafile import DataError, parse_records
from evomachine.storage import MemoryStorage

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "ticket-triage"
DSL = (EXAMPLE / "ticket-triage.machine").read_text()
DATA = "\n".join((EXAMPLE / "data.jsonl").read_text().splitlines()[:600])


def lab_over(storage=None) -> Lab:
    return Lab(storage or MemoryStorage())


async def call(lab: Lab, method: str, *args):
    reply = json.loads(await lab.call(method, json.dumps(list(args))))
    return reply


async def value(lab: Lab, method: str, *args):
    reply = await call(lab, method, *args)
    assert reply["ok"], reply
    return reply["value"]


async def run(lab: Lab, steps: int, until: str | None = None) -> dict:
    done, last = 0, {}
    while done < steps:
        last = await value(lab, "run_chunk", steps - done, 1000.0, until, None)
        done += last["steps"]
        if last["reason"] not in ("done", "budget"):
            break
    return {**last, "steps": done}


async def loaded_lab(storage=None) -> Lab:
    lab = lab_over(storage)
    await value(lab, "set_llm", json.dumps({"provider": "simulated", "accuracy": 1.0,
                                             "latency_ms": 100}))
    await value(lab, "load", DSL, DATA, "data.jsonl", "ticket-triage")
    return lab


async def test_a_task_reaches_hybrid_after_300_steps_and_its_code_is_shown():
    lab = await loaded_lab()
    result = await run(lab, 300)
    assert result["steps"] == 300
    state = await value(lab, "state")
    assert state["stages"] == {"route": "hybrid"}
    assert state["metrics"]["route"]["execution_count"] == 100
    code = await value(lab, "code", "route")
    assert code["version"] == "v1" and "def execute" in code["source"]
    assert code["synthesizer"] == code["last_synthesis"]["synthesizer"]
    # The synthesis at execution 100 answered no more than v1: not installed, and the page
    # says so beside its best; the one that wrote v1 said so when it did.
    last = code["last_synthesis"]
    assert last["at"] == 100 and last["installed_version"] is None
    lab = await loaded_lab()
    await run(lab, 3000, "hybrid")
    assert (await value(lab, "code", "route"))["last_synthesis"]["installed_version"] == 1
    assert code["filename"].endswith(".py")
    series = state["series"]["route"]
    [change] = series["changes"]
    assert (change["from"], change["to"]) == ("llm_only", "hybrid") and 50 <= change["at"] <= 100
    assert series["points"][-1][0] == 100


async def test_run_until_stops_at_the_stage():
    lab = await loaded_lab()
    result = await run(lab, 5000, until="hybrid")
    assert result["reason"] == "reached" and result["reached"] == "route"
    assert result["stages"]["route"] == "hybrid"
    assert result["steps"] < 5000
    for stage in ("hybrid", "llm_only"):  # a stage already reached: nothing runs
        again = await run(lab, 5000, until=stage)
        assert (again["reason"], again["reached"], again["steps"]) == ("reached", "route", 0)
    assert json.loads(await lab.state())["step_count"] == result["step_count"]


async def test_a_chunk_counts_the_task_executions_that_failed_and_says_the_last():
    lab = await loaded_lab()
    chunk = await value(lab, "run_chunk", 9, 1000.0, None, None)
    assert (chunk["steps"], chunk["failed"], chunk["last_failure"]) == (9, 0, None)
    await value(lab, "set_llm", json.dumps({"provider": "simulated", "error_rate": 1.0}))
    chunk = await value(lab, "run_chunk", 9, 1000.0, None, None)
    # a failed execution drops its record: ticket, route, ticket, route, ... (4 of 9 steps)
    assert chunk["steps"] == 9 and chunk["reason"] == "done" and chunk["failed"] == 4
    assert chunk["last_failure"].startswith("route: ") and len(chunk["last_failure"]) <= 300


async def test_a_reopened_lab_comes_back_where_it_was():
    storage = MemoryStorage()
    lab = await loaded_lab(storage)
    await run(lab, 150)
    await value(lab, "persist")
    before = await value(lab, "state")
    again = Lab(storage)
    await again._restore()
    after = await value(again, "state")
    for key in ("dsl", "example", "dataset", "stages", "current_node", "step_count", "input_cursor",
                "series"):
        assert after[key] == before[key], key
    assert after["llm"]["provider"] == "simulated"
    await run(again, 3)
    assert (await value(again, "state"))["input_cursor"] == before["input_cursor"] + 1


async def test_versions_roll_back_state_dsl_and_charts():
    lab = await loaded_lab()
    await run(lab, 30)
    saved = await value(lab, "save_version", "early")
    await run(lab, 300)
    assert (await value(lab, "state"))["stages"]["route"] == "hybrid"
    second = await value(lab, "save_version", None)
    diff = await value(lab, "diff", saved["id"], second["id"])
    assert any(row["what"] == "route: stage" for row in diff["rows"])
    state = await value(lab, "rollback", saved["id"])
    assert state["stages"]["route"] == "llm_only"
    assert state["step_count"] == 30 and state["input_cursor"] == 10
    assert state["series"]["route"]["changes"] == []
    assert [v["head"] for v in state["versions"]] == [True, False]
    assert [v["at"] for v in state["versions"]] == [True, False]  # no rollback offered to it
    await run(lab, 3)
    moved = await value(lab, "state")
    assert moved["input_cursor"] == 11
    assert [v["at"] for v in moved["versions"]] == [False, False]  # it would go back 3 steps


async def test_export_reset_import_round_trip_without_the_key():
    lab = await loaded_lab()
    await run(lab, 60)
    await value(lab, "save_version", "v")
    await value(lab, "set_llm", json.dumps({"provider": "anthropic", "model": "claude-x",
                                             "api_key": "sk-ant-secret-123", "remember": True}))
    exported = await value(lab, "export_state")
    assert "sk-ant-secret-123" not in json.dumps(exported)
    before = await value(lab, "state")
    reset = await value(lab, "reset")
    assert reset["loaded"] is False
    assert await lab.storage.items("meta") == []
    state = await value(lab, "import_state", json.dumps(exported))
    assert state["step_count"] == before["step_count"] == 60
    assert len(state["versions"]) == 1
    assert state["llm"]["provider"] == "simulated"  # the file's endpoint is not taken silently
    state = await value(lab, "import_state", json.dumps(exported), json.dumps({"llm": "file"}))
    assert state["llm"]["provider"] == "anthropic" and state["llm"]["has_key"] is False


async def test_user_errors_come_back_as_messages():
    lab = lab_over()
    reply = await call(lab, "run_chunk", 10, 30.0, None, None)
    assert reply == {"ok": False, "kind": "user", "error": reply["error"]}
    assert "no machine is loaded" in reply["error"]
    reply = await call(lab, "load", 'machine "x"\nTask t { prompt: 1 }', None, None, None)
    assert reply["ok"] is False and "machine has errors" in reply["error"]
    check = await value(lab, "check", 'machine "x"\nTask t {\n')
    assert check["ok"] is False and check["errors"][0]["line"] >= 2
    reply = await call(lab, "no_such_method")
    assert reply["ok"] is False and "unknown lab method" in reply["error"]
    reply = await call(lab, "rollback", "nope")
    assert reply["ok"] is False


async def test_http_provider_without_key_is_not_ready_and_runs_say_so():
    lab = await loaded_lab()
    result = await value(lab, "set_llm", json.dumps({"provider": "anthropic", "model": "m"}))
    assert result["ready"] is False and "API key" in result["error"]
    chunk = await value(lab, "run_chunk", 10, 30.0, None, None)
    assert chunk["reason"] == "no_llm" and chunk["steps"] == 0


async def test_patterns_save_and_import():
    lab = await loaded_lab()
    reply = await call(lab, "save_pattern", "route", "router", "")
    assert reply["ok"] is False and "no generated code" in reply["error"]
    await run(lab, 300)
    saved = await value(lab, "save_pattern", "route", "router", "routes tickets")
    assert saved["name"] == "router" and saved["stage"] == "hybrid"
    listed = await value(lab, "patterns", "")
    assert [p["name"] for p in listed] == ["router"]
    imported = await value(lab, "import_pattern", "router", "route", None)
    assert imported["pattern"] == "router" and imported["installed_stage"] in (
        "llm_only", "hybrid")


def test_jsonl_and_csv_parse_with_line_numbers_in_errors():
    assert parse_records('{"a": 1}\n\n{"a": 2}\n') == [{"a": 1}, {"a": 2}]
    assert parse_records("text,label\nhi,x\n", filename="d.csv") == [{"text": "hi", "label": "x"}]
    assert parse_records('[{"a": 1}]') == [{"a": 1}]
    with pytest.raises(DataError, match="line 2"):
        parse_records('{"a": 1}\n{oops\n')
    with pytest.raises(DataError, match="empty"):
        parse_records("\n", "jsonl")


def test_series_stay_bounded_and_keep_stage_changes():
    series = TaskSeries(every=1, max_points=10)
    for n in range(1, 101):
        series.observe_stage("llm_only" if n < 50 else "hybrid", n)
        if series.due(n):
            series.sample({"execution_count": n, "llm_calls": n,
                           "performance_metrics": {"total_cost": n * 0.01},
                           "agreement_rate": None})
    assert len(series.points) <= 10
    assert series.changes == [{"at": 50, "from": "llm_only", "to": "hybrid"}]
    assert all(abs(p[1] - 0.01) < 1e-9 and p[2] == 1.0 for p in series.points)


def test_default_llm_settings_known_without_pydantic_match_the_model():
    from evomachine.app.errors import DEFAULT_LLM_PUBLIC
    from evomachine.app.llm_config import LLMConfig

    assert LLMConfig().public() == DEFAULT_LLM_PUBLIC


@pytest.mark.cpython_only
def test_opening_an_empty_lab_loads_neither_pydantic_nor_jinja2():
    import subprocess
    import sys

    code = ("import asyncio, sys; from evomachine.app import Lab; "
            "lab = asyncio.run(Lab.open('memory')); asyncio.run(lab.state()); "
            "print(sorted({m.split('.')[0] for m in sys.modules} & {'pydantic', 'jinja2'}))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=ROOT, env={"PYTHONPATH": str(ROOT / "py_src")}, check=True)
    assert out.stdout.strip() == "[]"


PRODUCE = """machine "Produce sorter"
Input item { source: "produce.csv"; ground_truth: "label"; }
Task sort { prompt: "Fruit or vegetable: {{ input.text }}"; output<"fruit" | "vegetable">; }
item -> sort;
sort -> item;
"""


async def test_another_machine_naming_its_own_source_does_not_run_on_the_last_ones_data():
    """A newcomer pasted a produce sorter (``source: "produce.csv"``) over ticket triage: it
    ran on the tickets, 25 executions failing with answers that were not fruit."""
    lab = await loaded_lab()
    state = await value(lab, "load", PRODUCE)
    assert state["dataset"]["count"] == 0 and state["dataset"]["source"] == "produce.csv"
    assert state["halted"]
    chunk = await value(lab, "run_chunk", 10, 1000.0, None, None)
    assert chunk["reason"] == "no_data" and chunk["steps"] == 0
    # its own file then loads as usual, and an edit of the same machine keeps it
    state = await value(lab, "load_data", "text,label\napple,fruit\nleek,vegetable\n",
                        "produce.csv")
    assert state["dataset"]["count"] == 2
    state = await value(lab, "load", PRODUCE.replace("Fruit or", "Is it fruit or"))
    assert state["dataset"]["count"] == 2 and state["dataset"]["name"] == "produce.csv"
    # a machine naming no file keeps the data set as before
    state = await value(lab, "load", DSL.replace('source: "data.jsonl"; ', ""))
    assert state["dataset"]["count"] == 2 and "source" not in state["dataset"]
    # and so does an edit of the loaded machine, whatever file it names
    state = await value(lab, "load", DSL)
    assert state["dataset"]["count"] == 2


async def test_a_used_up_data_set_still_shows_as_used_up_after_a_reload():
    storage = MemoryStorage()
    lab = lab_over(storage)
    await value(lab, "set_llm", json.dumps({"provider": "simulated", "accuracy": 1.0}))
    rows = "\n".join(DATA.splitlines()[:5])
    await value(lab, "load", DSL, rows, "data.jsonl", "ticket-triage")
    result = await run(lab, 100)
    assert result["reason"] == "halted" and (await value(lab, "state"))["halted"]
    await value(lab, "persist")
    again = Lab(storage)
    await again._restore()
    assert (await value(again, "state"))["halted"]  # it said "15 steps so far · next node"


async def test_the_library_lists_for_each_pattern_the_tasks_it_fits():
    """Found by a mouse user's session: a pattern was offered for import into a task whose
    outputs cannot hold its answers, and refused only after the click."""
    lab = await loaded_lab()
    await run(lab, 300)
    await value(lab, "save_pattern", "route", "router", "")
    assert [p["fits"] for p in await value(lab, "patterns", "")] == [["route"]]
    other = (DSL.replace('machine "Ticket triage"', 'machine "Two routers"')
             .replace('Task route "Route ticket"', 'Task narrow "Two queues" {\n'
                      '    prompt: "Billing or tech? {{ input.text }}";\n'
                      '    output<"billing" | "tech">;\n}\n\nTask route "Route ticket"')
             .replace("ticket -> route;", "ticket -> narrow;\nnarrow -> route;")
             .replace('ground_truth: "label"', 'ground_truth: { narrow: "label", route: "label" }'))
    await value(lab, "load", other, DATA, "data.jsonl", "two-routers")
    [listed] = await value(lab, "patterns", "rout")
    assert listed["fits"] == ["route"]  # narrow allows no "sales"
    refused = await call(lab, "import_pattern", "router", "narrow", None)
    assert refused["ok"] is False and "does not allow" in refused["error"]


async def test_check_warns_of_an_answer_no_edge_takes_and_the_library_fits_nothing_unloaded():
    """The editor's path (``check``) carries the edge warning ``evolve`` prints; with no
    machine loaded the library names no ``fits`` (found by review: both untested)."""
    lab = await loaded_lab()
    checked = await value(lab, "check", DSL.replace("route -sales-> sales;\n", ""))
    assert checked["ok"] is True
    assert any("can answer 'sales', but no edge" in w["message"] for w in checked["warnings"])
    await run(lab, 300)
    await value(lab, "save_pattern", "route", "router", "")
    unloaded = lab_over(lab.storage)
    [listed] = await value(unloaded, "patterns", "")
    assert "fits" not in listed
