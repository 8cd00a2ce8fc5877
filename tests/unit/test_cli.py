"""``python -m evomachine evolve``: a smoke run, the report, resuming from a store, input errors."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from test_evolution_auto import workload
from test_evolution_stages import TRIAGE

from evomachine import cli

# The CLI is a CPython tool: it drives its run with asyncio.run, which needs a real loop.
pytestmark = pytest.mark.needs_event_loop


@pytest.fixture
def files(tmp_path: Path):
    machine = tmp_path / "triage.machine"
    machine.write_text(TRIAGE % "llm_only", encoding="utf-8")
    data = tmp_path / "data.jsonl"
    data.write_text("\n".join(json.dumps(r) for r in workload(300)) + "\n", encoding="utf-8")
    return machine, data, tmp_path


def run(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    args = cli.build_parser().parse_args(argv)
    try:
        code = cli.asyncio.run(cli.evolve(args, out, err))
    except cli.CLIError as error:
        return 2, out.getvalue(), str(error)
    return code, out.getvalue(), err.getvalue()


def test_smoke_run_prints_a_table_and_writes_a_report(files):
    machine, data, tmp = files
    report = tmp / "out.json"
    code, out, err = run(["evolve", str(machine), "--data", str(data), "--steps", "600",
                          "--report", str(report), "--seed", "2"])
    assert code == 0
    header, _rule, row, footer, why, *figures = out.splitlines()
    assert header.split()[:3] == ["task", "stage", "executions"]
    assert row.split()[0] == "route" and row.split()[1] == "hybrid" and row.split()[2] == "200"
    assert footer.startswith("600 steps")
    assert why.startswith("route: code_first needs") and figures  # the next stage, in words
    assert any("held-out agreement" in line for line in figures)
    assert "600/600 steps" in err and "route=" in err
    saved = json.loads(report.read_text())
    assert saved["tasks"]["route"]["execution_count"] == 200
    assert saved["summary"]["route"]["cost_saved"] > 0
    assert saved["mutations"][0]["data"]["to_stage"] == "hybrid"
    assert 0.9 <= saved["summary"]["route"]["accuracy"] <= 1.0


@pytest.mark.cpython_only
def test_store_resumes_where_the_last_run_stopped(files):
    machine, data, tmp = files
    store = f"sqlite:{tmp / 'run.db'}"
    base = ["evolve", str(machine), "--data", str(data), "--store", store, "--quiet"]
    assert run([*base, "--steps", "90"])[0] == 0
    code, out, err = run([*base, "--steps", "90"])
    assert code == 0 and "resuming 'ticket-triage'" in err and "record 30" in err
    assert out.splitlines()[2].split()[2] == "60"
    code, out, _ = run([*base, "--steps", "30", "--fresh"])
    assert out.splitlines()[2].split()[2] == "10"


def test_steps_beyond_the_data_stop_when_the_input_runs_out(files):
    machine, data, _ = files
    code, out, _ = run(["evolve", str(machine), "--data", str(data), "--steps", "5000", "--quiet"])
    assert code == 0 and out.splitlines()[3].startswith("900 steps")


def test_input_errors_are_reported_without_tracebacks(files, capsys):
    machine, data, tmp = files
    bad = tmp / "bad.jsonl"
    bad.write_text('{"text": "a", "label": "tech"}\nnot json\n', encoding="utf-8")
    assert run(["evolve", str(machine), "--data", str(bad)])[2].startswith(
        f"{bad}: line 2: not valid JSON")
    broken = tmp / "broken.machine"
    broken.write_text('machine "x"\nTask t {', encoding="utf-8")
    assert str(broken) in run(["evolve", str(broken), "--data", str(data)])[2]
    no_truth = tmp / "plain.machine"
    no_truth.write_text((TRIAGE % "llm_only").replace('{ ground_truth: "label"; }', ";"))
    assert "ground_truth" in run(["evolve", str(no_truth), "--data", str(data)])[2]
    assert cli.main(["evolve", str(tmp / "missing.machine"), "--data", str(data)]) == 2
    assert "cannot read machine file" in capsys.readouterr().err


def test_the_cli_reads_data_files_as_the_page_does(files):
    """CSV, Latin-1 and ragged rows: the same reader as the page (evomachine.datafile)."""
    from evomachine.datafile import read_data

    machine, data, tmp = files
    rows = [json.loads(line) for line in data.read_text().splitlines()[:40]]
    latin = tmp / "tickets.csv"
    latin.write_bytes(("text,label\n" + "".join(
        f"\"{r['text']} café\",{r['label']}\n" for r in rows)).encode("latin-1"))
    code, _out, err = run(["evolve", str(machine), "--data", str(latin), "--steps", "20",
                          "--quiet"])
    assert code == 0, err
    assert f"note: {latin}: this file is not UTF-8" in err and "Windows-1252" in err
    assert cli.read_records(latin) == read_data(latin.read_bytes(), latin.name).records
    assert cli.read_records(latin)[0]["text"].endswith(" café")
    ragged = tmp / "ragged.csv"
    ragged.write_text("text,label\na,tech\nb\n", encoding="utf-8")
    error = run(["evolve", str(machine), "--data", str(ragged)])[2]
    assert error == (f"{ragged}: 1 row does not have the header's 2 columns: line 3: 1 value; "
                     "quote values that contain ','")


def test_a_data_file_without_a_field_the_prompt_reads_is_warned_about(files):
    machine, data, tmp = files
    rows = [json.loads(line) for line in data.read_text().splitlines()[:10]]
    bodies = tmp / "bodies.jsonl"
    bodies.write_text("".join(json.dumps({"body": r["text"], "label": r["label"]}) + "\n"
                              for r in rows), encoding="utf-8")
    code, _out, err = run(["evolve", str(machine), "--data", str(bodies), "--steps", "4",
                          "--quiet"])
    assert code == 0, err
    assert f"warning: {bodies}: no record has the field 'text', which task" in err
    assert "warning" not in run(["evolve", str(machine), "--data", str(data), "--steps", "4",
                                 "--quiet"])[2]


def test_a_task_attribute_that_does_nothing_is_warned_about_with_its_place(files):
    machine, data, tmp = files
    old = tmp / "old.machine"
    old.write_text(machine.read_text().replace(
        'evolution_stage: "llm_only";', 'evolution_stage: "llm_only"; hybrid_min_heldout: 0.9;'),
        encoding="utf-8")
    code, _out, err = run(["evolve", str(old), "--data", str(data), "--steps", "4", "--quiet"])
    assert code == 0, err
    assert f"warning: {old}:" in err and "'hybrid_min_heldout' has no effect since 0.2" in err
