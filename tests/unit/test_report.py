"""The shareable HTML report: content, charts, and hostile run text kept inert."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from test_evolution_auto import evolving, workload

from evomachine.dsl import parse_machine
from evomachine.evolution import EvolutionaryExecutor
from evomachine.llm.simulated import SimulatedLLM
from evomachine.report import MAX_POINTS, history_points, render_html, report_context

EVIL = "<script>alert(1)</script>"
HOSTILE = """machine "Evil <b onmouseover=alert(2)>title</b> </title><script>alert(3)</script>"
Input ticket { ground_truth: "label"; }
Task route {
    prompt: "Route: {{ input.text }}";
    evolution_stage: "llm_only";
}
State done;
ticket -> route;
route -> done;
done -> ticket;
"""


class Tags(HTMLParser):
    """Every start tag and attribute of a document, as a browser's tokenizer sees them."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))


def tags_of(html: str) -> list[tuple[str, list[tuple[str, str | None]]]]:
    parser = Tags()
    parser.feed(html)
    return parser.tags


def assert_inert(html: str) -> None:
    """No script, no event handler, no URL that leaves the file."""
    tags = tags_of(html)
    assert "script" not in {tag for tag, _ in tags}
    for tag, attrs in tags:
        for name, value in attrs:
            assert not name.startswith("on"), (tag, name)
            if name in ("href", "src", "action", "xlink:href"):
                assert (value or "").startswith("#"), (tag, name, value)
    assert not re.search(r"(https?:)?//[a-z0-9]", html.replace("http://www.w3.org/2000/svg", "")
                         .replace("http-equiv", ""), re.IGNORECASE)
    assert "@import" not in html and "url(" not in html


async def hostile_run() -> EvolutionaryExecutor:
    rows = [{"text": f"{EVIL} number {i}", "label": EVIL if i % 2 else "<i>fine</i>"}
            for i in range(40)]
    llm = SimulatedLLM.from_records(rows, "label", accuracy=1.0, seed=1)
    ex = EvolutionaryExecutor(parse_machine(HOSTILE), llm=llm, inputs=rows)
    await ex.run(max_steps=60)
    return ex


async def test_hostile_title_inputs_outputs_and_code_are_escaped():
    ex = await hostile_run()
    ex.tasks["route"].code = f'"""</code></pre>{EVIL}"""\n'
    html = render_html(ex, run={"LLM": f"sim {EVIL}"})
    assert_inert(html)
    assert EVIL not in html and "<b onmouseover" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html  # shown as text, not dropped
    assert "&lt;/code&gt;&lt;/pre&gt;" in html
    assert "Evil &lt;b onmouseover=alert(2)&gt;title&lt;/b&gt;" in html
    # the CSP meta forbids scripts even if something slipped through
    assert "default-src 'none'" in html


async def test_evolved_run_shows_stages_chart_tables_and_code():
    ex = evolving(workload(600))
    await ex.run(max_steps=900)
    state = ex.tasks["route"]
    assert state.stage != "llm_only" and state.code
    html = render_html(ex, run={"steps": 900})
    assert_inert(html)
    assert html.count("<svg") == 1 and "<polyline" in html
    assert 'class="rule"' in html  # the stage change is marked on the chart
    context = report_context(ex)
    [task] = context["tasks"]
    assert context["mutations"][0]["to"] == "hybrid"
    assert context["mutations"][0]["when"].endswith("UTC")
    assert task["rows"][0]["seq"] == ex.histories["route"].recent[-1].seq
    assert len(task["rows"]) == 20
    assert "def execute" in html and "naive_bayes" in html
    assert f"{ex.machine_id}_route_{state.version_name}.py" in html


async def test_charts_use_the_labs_series_when_given():
    ex = evolving(workload(100))
    await ex.run(max_steps=60)
    series = {"route": {"points": [[5, 0.01, 1.0, None], [10, 0.005, 0.5, 0.9]],
                        "changes": [{"at": 8, "from": "llm_only", "to": "hybrid"}]}}
    chart = report_context(ex, series)["tasks"][0]["chart"]
    assert [line["label"] for line in chart["series"]] == ["LLM-call rate", "agreement"]
    assert chart["low"] == 5 and chart["high"] == 10
    [rule] = chart["rules"]
    assert rule["to"] == "hybrid" and chart["left"] < rule["x"] < chart["right"]
    # agreement is None at the first point: that point is left out of its line
    assert len(chart["series"][1]["points"].split()) == 1


def test_history_points_are_bounded_and_measure_rates():
    class R:
        def __init__(self, seq: int) -> None:
            self.seq, self.stage = seq, "llm_only" if seq < 500 else "hybrid"
            self.answered_by = "llm" if seq % 4 == 0 else "code"
            self.expected, self.output = "a", "a" if seq % 2 == 0 else "b"

    points, changes = history_points([R(i) for i in range(1000)])
    assert len(points) <= MAX_POINTS
    assert all(abs(p[2] - 0.25) < 0.06 and abs(p[3] - 0.5) < 0.06 for p in points)
    assert changes == [{"at": 500, "from": "llm_only", "to": "hybrid"}]
    assert history_points([]) == ([], [])


def test_empty_machine_renders():
    ex = EvolutionaryExecutor(parse_machine(HOSTILE), llm=SimulatedLLM.from_records(
        [{"text": "x", "label": "y"}], "label"))
    html = render_html(ex)
    assert_inert(html)
    assert "No executions to chart yet." in html and "No stage change yet." in html


@pytest.mark.needs_event_loop
def test_cli_writes_html_for_an_html_suffix_and_json_otherwise(tmp_path):
    import io
    import json

    from test_evolution_stages import TRIAGE

    from evomachine import cli

    machine = tmp_path / "triage.machine"
    machine.write_text(TRIAGE % "llm_only", encoding="utf-8")
    data = tmp_path / "data.jsonl"
    data.write_text("\n".join(json.dumps(r) for r in workload(300)) + "\n", encoding="utf-8")
    for name in ("run.html", "RUN.HTM", "run.json"):
        args = cli.build_parser().parse_args(["evolve", str(machine), "--data", str(data),
                                              "--steps", "600", "--quiet", "--seed", "2",
                                              "--report", str(tmp_path / name)])
        assert cli.asyncio.run(cli.evolve(args, io.StringIO(), io.StringIO())) == 0
    html = (tmp_path / "run.html").read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>") and "Ticket triage" in html
    assert "<svg" in html and "def execute" in html and "Steps" in html
    assert_inert(html)
    assert (tmp_path / "RUN.HTM").read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    saved = json.loads((tmp_path / "run.json").read_text(encoding="utf-8"))
    assert saved["tasks"]["route"]["execution_count"] == 200


async def test_the_lab_reports_its_run_with_the_sampled_series():
    from test_app import call, loaded_lab, run, value

    from evomachine.app import Lab
    from evomachine.storage import MemoryStorage

    reply = await call(Lab(MemoryStorage()), "report")
    assert reply["ok"] is False and "no machine is loaded" in reply["error"]
    lab = await loaded_lab()
    await run(lab, 300)
    await value(lab, "persist")  # samples the chart series, as the page's loop does
    report = await value(lab, "report")
    assert report["filename"] == "ticket-triage-report.html"
    html = report["text"]
    assert_inert(html)
    assert "route" in html and "hybrid" in html and "<svg" in html
    assert "data.jsonl" in html and "simulated" in html
    assert ">agreement</title>" in html  # the lab's series, not the history's accuracy


async def test_run_facts_that_are_mappings_read_as_text():
    ex = evolving(workload(100))
    facts = report_context(ex, run={"LLM": {"provider": "simulated", "seed": 0}})["run"]
    assert facts == {"LLM": "provider: simulated, seed: 0"}


async def test_a_two_task_pipeline_gets_a_section_and_a_chart_per_task():
    import json

    from test_app import run, value
    from test_ground_truth import PIPELINE, records

    from evomachine.app import Lab
    from evomachine.storage import MemoryStorage

    lab = Lab(MemoryStorage())
    await value(lab, "set_llm", json.dumps({"provider": "simulated", "accuracy": 1.0}))
    dsl = PIPELINE % ('ground_truth: { lang: "lang", topic: "label" };', "", "")
    await value(lab, "load", dsl, "\n".join(json.dumps(r) for r in records(120)), "d.jsonl", None)
    await run(lab, 200)
    html = (await value(lab, "report"))["text"]
    assert_inert(html)
    assert "Task lang" in html and "Task topic" in html
    assert html.count('<section id="task-') == 2 and html.count("<svg") == 2
    context = report_context(lab.executor)
    assert [(t["name"], t["executions"]) for t in context["tasks"]] == [("lang", 50),
                                                                       ("topic", 50)]
    assert all(t["metrics"]["accuracy"] == 1.0 for t in context["tasks"])


async def test_a_huge_generated_module_is_cut_and_says_so():
    from evomachine import report

    ex = evolving(workload(100))
    code = "x = 1\n" * (report.MAX_CODE // 3)
    ex.tasks["route"].code = code
    html = render_html(ex)
    assert f"the first {report.MAX_CODE} of its {len(code)} characters" in html
    assert len(html) < report.MAX_CODE + 40_000


def test_a_roll_back_and_a_pattern_import_read_as_what_they_were_not_none():
    """A rollback showed as "None | None | None" in the downloaded report."""
    from evomachine.report import mutation_row

    rollback = mutation_row({"type": "rollback", "timestamp": 0,
                             "data": {"to_version": "v-abc", "from_version": None}})
    assert rollback["task"] == rollback["from"] == rollback["to"] == "—"
    assert rollback["reason"] == "rolled back to version v-abc"
    imported = mutation_row({"type": "pattern_import", "timestamp": 0, "data": {
        "task": "route", "pattern": "router", "version": "v2", "installed_stage": "hybrid"}})
    assert (imported["task"], imported["to"]) == ("route", "hybrid")
    assert imported["reason"] == "imported pattern router v2"
    assert "None" not in str(rollback) + str(imported)
