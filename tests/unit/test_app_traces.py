"""The lab's trace table and per-task ground truth, driven as the page drives them."""

from __future__ import annotations

import csv
import io
import json

from test_app import call, loaded_lab, run, value
from test_ground_truth import PIPELINE, records

from evomachine.app import Lab
from evomachine.storage import MemoryStorage


async def test_a_window_of_rows_newest_first_then_one_whole_trace_with_its_prompt():
    lab = await loaded_lab()
    await run(lab, 300)
    page = await value(lab, "traces", "route", "all", "", 0, 20)
    assert page["total"] == page["kept"] == 100 and len(page["rows"]) == 20
    assert [r["seq"] for r in page["rows"]] == list(range(100, 80, -1))
    later = await value(lab, "traces", "route", "all", "", 95, 20)
    assert [r["seq"] for r in later["rows"]] == [5, 4, 3, 2, 1]
    whole = await value(lab, "trace", "route", 42)
    assert whole["seq"] == 42 and whole["input"]["text"] in whole["prompt"]
    assert "label" not in whole["input"] and whole["expected"] in ("billing", "tech", "sales")


async def test_offsets_count_from_the_newest_execution_a_table_saw_while_a_run_adds_more():
    lab = await loaded_lab()
    await run(lab, 150)  # 50 executions of route
    first = await value(lab, "traces", "route", "all", "", 0, 5)
    assert first["newest"] == 50 and first["above"] is None
    await run(lab, 30)  # ten more, all newer
    later = await value(lab, "traces", "route", "all", "", 10, 5, 50)
    assert later["above"] == 10 and later["newest"] == 60
    assert [r["seq"] for r in later["rows"]] == [40, 39, 38, 37, 36]  # as when it loaded
    head = await value(lab, "traces", "route", "all", "", 0, 0, 50)
    assert head["rows"] == [] and head["above"] == 10
    llm = await value(lab, "traces", "route", "llm", "", 0, 500, 50)
    assert llm["above"] == 10 and llm["rows"][0]["seq"] == 50
    errors = await value(lab, "traces", "route", "errors", "", 0, 5, 50)
    assert errors["above"] is None and errors["newest"] is None  # not among them (none are)


async def test_filters_and_search_narrow_the_rows_and_the_export_follows():
    lab = await loaded_lab()
    await run(lab, 600)
    code = await value(lab, "traces", "route", "code", "", 0, 500)
    assert code["total"] > 0 and {r["by"] for r in code["rows"]} == {"code"}
    checks = await value(lab, "traces", "route", "checks", "", 0, 500)
    assert checks["total"] > 0 and all(r["check"] in ("audit", "shadow") for r in checks["rows"])
    word = code["rows"][0]["input"].split()[2].strip('",{}:')
    found = await value(lab, "traces", "route", "all", word, 0, 500)
    assert 0 < found["total"] < found["kept"]
    export = await value(lab, "export_traces", "route", "code", "", "csv")
    table = list(csv.DictReader(io.StringIO(export["text"])))
    assert export["rows"] == len(table) == code["total"]
    assert {r["answered_by"] for r in table} == {"code"} and export["filename"].endswith(".csv")
    lines = (await value(lab, "export_traces", "route", "all", word, "jsonl"))["text"].splitlines()
    assert len(lines) == found["total"]
    assert all(word.casefold() in x.casefold() and json.loads(x)["task"] == "route" for x in lines)


async def test_bad_requests_are_user_errors():
    lab = await loaded_lab()
    await run(lab, 30)
    for method, args, needle in (
        ("traces", ("nope",), "no task 'nope'"),
        ("traces", ("route", "bogus"), "unknown trace filter"),
        ("trace", ("route", 999), "no longer kept"),
        ("export_traces", ("route", "all", "", "xlsx"), "unknown export format"),
    ):
        reply = await call(lab, method, *args)
        assert reply["ok"] is False and reply["kind"] == "user" and needle in reply["error"]


async def test_a_two_task_pipeline_measures_each_task_against_its_own_truth():
    lab = Lab(MemoryStorage())
    await value(lab, "set_llm", json.dumps({"provider": "simulated", "accuracy": 1.0}))
    dsl = PIPELINE % ('ground_truth: { lang: "lang", topic: "label" };', "", "")
    data = "\n".join(json.dumps(r) for r in records(120))
    await value(lab, "load", dsl, data, "docs.jsonl", None)
    await run(lab, 200)
    state = await value(lab, "state")
    assert state["llm_error"] is None
    for task in ("lang", "topic"):
        assert state["metrics"][task]["execution_count"] == 50
        assert state["metrics"][task]["accuracy"] == 1.0
        assert state["metrics"][task]["success_rate"] == 1.0


async def test_an_ambiguous_truth_is_refused_with_the_fix():
    lab = Lab(MemoryStorage())
    reply = await call(lab, "load", PIPELINE % ('ground_truth: "label";', "", ""),
                       "\n".join(json.dumps(r) for r in records(5)), "docs.jsonl", None)
    assert reply["ok"] is False and "ambiguous" in reply["error"]
    checked = await value(lab, "check", PIPELINE % ('ground_truth: "label";', "", ""))
    assert checked["ok"] is False and checked["errors"][0]["line"] == 2


async def test_each_task_card_says_why_it_is_at_its_stage():
    lab = await loaded_lab()
    await run(lab, 300)
    card = (await value(lab, "state"))["tasks"]["route"]
    assert card["why"]["next_step"] == card["next_step"]
    assert card["next_step"].startswith("code_first needs")
    assert any("held-out agreement with the LLM" in f for f in card["why"]["figures"])


async def test_two_versions_compare_per_task_by_name_with_their_series():
    lab = await loaded_lab()
    await run(lab, 90)
    first = (await value(lab, "save_version", "before"))["id"]
    await run(lab, 300)
    second = (await value(lab, "save_version", ""))["id"]
    compared = await value(lab, "compare", first, second)
    assert compared["a"]["name"] == "before" and compared["a"]["id"] == first
    assert compared["b"]["name"].startswith("saved 20") and compared["b"]["id"] == second
    a, b = compared["tasks"]["route"]["a"], compared["tasks"]["route"]["b"]
    assert (a["stage"], b["stage"]) == ("llm_only", "hybrid")
    assert (a["executions"], b["executions"]) == (30, 130)
    assert a["llm_call_rate"] == 1.0 and b["llm_call_rate"] < 1.0
    assert a["accuracy"] == 1.0 and 0.9 <= b["accuracy"] <= 1.0
    assert b["total_cost"] > a["total_cost"] > 0
    series = compared["series"]["route"]
    assert series["a"] and len(series["b"]) > len(series["a"])
    assert series["a"][-1][0] <= 30 < series["b"][-1][0] <= 130
    reply = await call(lab, "compare", first, "nope")
    assert reply["ok"] is False and "no saved version 'nope'" in reply["error"]


async def test_an_open_trace_cuts_a_huge_value_and_says_by_how_much():
    """A 30 MB answer opened in the traces panel held the page's main thread for 13 s (rt10);
    the table row was short already, the open trace was whole."""
    lab = Lab(MemoryStorage())
    await value(lab, "set_llm", json.dumps({"provider": "simulated", "accuracy": 1.0}))
    machine = ('machine "Echo"\nInput item { ground_truth: "label"; }\n'
               'Task echo { prompt: "Say: {{ input.text }}"; }\nitem -> echo;\necho -> item;\n')
    huge = "x" * 100_000
    await value(lab, "load", machine, json.dumps([{"text": huge, "label": huge}]), "big.json")
    await run(lab, 2)
    whole = await value(lab, "trace", "echo", 1)
    assert whole["output"].startswith("x" * 20_000)
    assert whole["output"].endswith("… (80,000 more characters; the JSONL export has it whole)")
    assert len(whole["input"]) < 21_000 and len(whole["prompt"]) < 21_000
    exported = await value(lab, "export_traces", "echo", "all", "", "jsonl")
    assert huge in exported["text"]  # the export keeps it whole
