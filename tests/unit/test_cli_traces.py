"""``evomachine traces`` and ``evolve --traces``; why a task is where it is, in the report."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from test_cli import files, run  # noqa: F401  (the fixture)

from evomachine import cli, cli_traces
from evomachine.why import figures

pytestmark = pytest.mark.needs_event_loop


def traces(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    args = cli.build_parser().parse_args(argv)
    try:
        code = cli.asyncio.run(cli_traces.run(args, out, err, fail=cli.CLIError))
    except cli.CLIError as error:
        return 2, out.getvalue(), str(error)
    return code, out.getvalue(), err.getvalue()


@pytest.mark.cpython_only
def test_a_stored_run_shows_its_executions_filtered_and_exported(files):  # noqa: F811
    machine, data, tmp = files
    store = f"sqlite:{tmp / 'run.db'}"
    written = tmp / "all.jsonl"
    assert run(["evolve", str(machine), "--data", str(data), "--store", store, "--steps", "900",
                "--quiet", "--traces", str(written)])[0] == 0
    kept = [json.loads(line) for line in written.read_text().splitlines()]
    assert [t["seq"] for t in kept] == list(range(1, 301))
    base = ["traces", str(machine), "--store", store]
    code, out, _ = traces([*base, "--last", "3"])
    lines = out.splitlines()
    assert code == 0 and lines[0].split()[:3] == ["task", "#", "stage"]
    assert [line.split()[1] for line in lines[2:5]] == ["300", "299", "298"]
    assert lines[-1] == "300 executions match (route: 300)"
    code, out, _ = traces([*base, "--where", "code", "--format", "csv"])
    rows = list(csv.DictReader(io.StringIO(out)))
    assert code == 0 and rows and {r["answered_by"] for r in rows} == {"code"}
    assert len(rows) == sum(t["answered_by"] == "code" for t in kept)
    out_file = tmp / "billing.jsonl"
    code, _, err = traces([*base, "--search", "invoice", "--format", "jsonl", "--out",
                           str(out_file)])
    found = [json.loads(line) for line in out_file.read_text().splitlines()]
    assert code == 0 and f"wrote {len(found)} executions" in err
    assert found and all("invoice" in json.dumps(t).lower() for t in found)
    # --last takes the newest executions in an export too (it was a table-only option)
    code, out, _ = traces([*base, "--where", "disagreements", "--format", "jsonl",
                           "--last", "3"])
    newest = [json.loads(line)["seq"] for line in out.splitlines()]
    everyone = [json.loads(line)["seq"] for line in
                traces([*base, "--where", "disagreements", "--format", "jsonl"])[1].splitlines()]
    assert code == 0 and len(everyone) > 3 and newest == everyone[-3:]


@pytest.mark.cpython_only
def test_traces_errors_are_named(files):  # noqa: F811
    machine, _data, tmp = files
    store = f"sqlite:{tmp / 'empty.db'}"
    code, _, error = traces(["traces", str(machine), "--store", store])
    assert code == 2 and "no run of 'ticket-triage'" in error


def test_the_figures_name_the_best_candidate_and_the_budget():
    metrics = {"stage": "llm_only", "max_disagreement": 0.1, "next_step": "hybrid needs ..."}
    last = {"synthesizer": "naive_bayes", "scores": {
        "naive_bayes": {"heldout_agreement": 0.79, "n_heldout": 140},
        "linear": {"heldout_agreement": 0.75, "n_heldout": 140}},
        "full": {"answered": 140, "disagreed": 29, "upper_bound": 0.26}}
    assert figures(metrics, last) == [
        "best candidate naive_bayes: held-out agreement with the LLM 79.0% on 140 examples "
        "(next: linear 75.0%)",
        "code disagrees with the LLM on 20.7% of 140 held-out answers (upper bound 26.0%); "
        "the budget is 10.0%",
    ]
    # in a code stage, a best candidate that is not the code in place says why (a newcomer saw
    # "best candidate naive_bayes" beside a Generated code panel showing linear)
    kept = {"stage": "code_first", "max_disagreement": 0.1, "synthesizer": "linear"}
    assert figures(kept, last)[0].endswith(
        "(next: linear 75.0%); not installed: the code in place (linear) answers as much of "
        "the recent traffic")
    assert "not installed" not in figures({**kept, "synthesizer": "naive_bayes"}, last)[0]
    # Ranked on what each may answer within the budget: a runner-up that agrees more says so
    # (a newcomer read "best linear 89.7% (next: naive_bayes 90.3%)" as a contradiction).
    ranked = {"synthesizer": "linear", "scores": {
        "linear": {"heldout_agreement": 0.897, "n_heldout": 195, "rank": 0.62},
        "naive_bayes": {"heldout_agreement": 0.903, "n_heldout": 195, "rank": 0.4}}}
    assert figures(metrics, ranked)[0] == (
        "best candidate linear: may answer 62.0% of held-out inputs within the budget, "
        "held-out agreement with the LLM 89.7% on 195 examples (next: naive_bayes, 40.0% "
        "within the budget, 90.3%)")
    # stored state is outside text: a rank that is no number is no TypeError (found by review)
    odd = {**ranked, "scores": {**ranked["scores"], "lookup": {"rank": "x",
                                                               "heldout_agreement": "y"}}}
    assert figures(metrics, odd)[0] == figures(metrics, ranked)[0]
    hybrid = {"stage": "hybrid", "max_disagreement": 0.1, "live_checks": [40, 2, 10, 3]}
    assert figures(hybrid, {}) == ["live checks of code answers: 40, 2 disagreed (5.0%)",
                                   "answers the code was unsure of (below its cut, so the LLM gave "
                                   "them), compared for free: 10, 3 disagreed"]
    assert figures({"stage": "llm_only"}, None) == []
    assert figures({"stage": "llm_only"}, {"error": "boom"}) == ["last synthesis failed: boom"]
    assert figures({"stage": "hybrid", "wasted_calls": 3, "wasted_cost": 0.0021}, None) == [
        "3 requests sent ahead (concurrency) were not needed, the record answered another way "
        "(mostly just after a stage change): $0.0021, counted in the cost"]


def test_every_filter_is_an_option():
    args = cli.build_parser().parse_args(["traces", "m.machine", "--store", "memory",
                                          "--where", "disagreements"])
    assert args.where == "disagreements" and args.format == "table"
    with pytest.raises(SystemExit):
        cli.build_parser().parse_args(["traces", "m", "--store", "memory", "--where", "nope"])
    assert Path(cli.__file__).exists()


def test_a_success_rate_below_the_policy_floor_is_named():
    class Policy:
        success_rate_threshold = 0.85

    metrics = {"stage": "llm_only", "success_rate": 0.8, "execution_count": 900}
    assert figures(metrics, {}, Policy()) == [
        "synthesis waits while the success rate is below 85.0%: it is 80.0% (failed "
        "executions, such as LLM errors, count against it)"]
    assert figures({**metrics, "success_rate": 0.9}, {}, Policy()) == []


@pytest.mark.cpython_only
def test_a_damaged_store_is_said_and_left_as_it_is_never_replaced_unasked(files):  # noqa: F811
    import sqlite3

    machine, data, tmp = files
    path = tmp / "run.db"
    base = ["evolve", str(machine), "--data", str(data), "--store", f"sqlite:{path}", "--quiet"]
    assert run([*base, "--steps", "90"])[0] == 0
    with sqlite3.connect(path) as db:  # one history record lost (a disk, a hand edit)
        [key] = db.execute("select key from kv where namespace = 'history' "
                           "order by key limit 1 offset 3").fetchone()
        db.execute("delete from kv where namespace = 'history' and key = ?", (key,))
    before = path.read_bytes()
    resumed = run([*base, "--steps", "30"])
    read = traces(["traces", str(machine), "--store", f"sqlite:{path}"])
    for code, _out, error in (resumed, read):
        assert code == 2, error
        assert "the run of 'ticket-triage' saved in sqlite:" in error and key in error
        assert "--fresh starts the machine again and replaces it" in error
    assert path.read_bytes() == before  # nothing was written over it
    code, out, _ = run([*base, "--steps", "30", "--fresh"])  # asked for: replaced
    assert code == 0 and out.splitlines()[2].split()[2] == "10"
