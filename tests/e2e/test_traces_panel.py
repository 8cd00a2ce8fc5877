"""The trace table and per-task ground truth in the page, used as a person uses them.

One page is booted for the module and the tests run in file order on it: run the ticket
example, find executions by filter and search, scroll the virtual table to the oldest row,
open a row, export the filtered rows; then a two-task machine typed in the editor shows each
task's accuracy against its own truth. No request leaves 127.0.0.1.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from playwright.sync_api import expect

from conftest import fresh_lab
from conftest import run_steps as run_with_button

pytestmark = pytest.mark.e2e

ROWS = ".trace-spacer .trace-row:not([hidden])"

PIPELINE = """machine "Language then topic"
Input doc { ground_truth: { lang: "lang", topic: "label" }; }
Task lang { prompt: "Language of: {{ input.text }}"; output<"en" | "fr">; }
Task topic { prompt: "Topic of: {{ input.text }}"; output<"sport" | "food" | "tech">; }
State done;
doc -> lang -> topic -> done;
done -> doc;
"""


def state(page) -> dict:
    return page.evaluate("window.evomachine.state()")


def summary_has(page, text: str) -> None:
    page.wait_for_function("(t) => document.getElementById('traces-summary').textContent"
                           ".includes(t)", arg=text, timeout=30_000)


def run_steps(page, steps: int) -> None:
    """conftest's run_steps, then the engine's step count moved by exactly ``steps``."""
    before = state(page)["step_count"]
    run_with_button(page, steps)
    assert state(page)["step_count"] == before + steps


def replace_if_asked(page) -> None:
    page.wait_for_timeout(0)
    if page.locator("#app-dialog[open]").count():
        page.click("#replace-confirm")


@pytest.fixture(scope="module")
def lab(browser, server):
    """One fresh page for the module's tests (storage reset, no request off 127.0.0.1)."""
    yield from fresh_lab(browser, server, accept_downloads=True)


def test_the_table_shows_every_execution_but_draws_only_the_rows_in_view(lab):
    lab.select_option("#example-select", "ticket-triage")
    lab.click("#load-example")
    lab.wait_for_selector(".task-card[data-task='route']")
    run_steps(lab, 900)
    # The card says what the next stage needs, with the figures behind it.
    card = lab.locator(".task-card[data-task='route']")
    expect(card.locator("[data-field='next']")).to_contain_text("needs")
    expect(card.locator("[data-field='figures'] li").first).to_contain_text("held-out agreement")
    expect(lab.locator("#traces-task")).to_have_value("route")
    summary_has(lab, "300 of 300 kept executions")
    newest = lab.locator(ROWS).first
    expect(newest.locator(".c-seq")).to_have_text("300")
    drawn = lab.locator(ROWS).count()
    assert 10 <= drawn <= 40, drawn  # 300 rows, a screenful in the DOM
    # Scroll with the wheel to the bottom: the oldest execution is drawn, still a screenful.
    lab.locator("#traces-viewport").hover()
    for _ in range(30):
        lab.mouse.wheel(0, 2000)
    expect(lab.locator(f"{ROWS}[data-seq='1']")).to_be_visible()
    assert lab.locator(ROWS).count() <= 40


def test_filter_and_search_narrow_the_rows(lab):
    lab.select_option("#traces-filter", "code")
    summary_has(lab, "(answered by code)")
    expect(lab.locator(ROWS).first.locator(".c-by")).to_contain_text("code")
    bys = lab.locator(f"{ROWS} .c-by").all_inner_texts()
    assert bys and all(b.startswith("code") for b in bys)
    lab.select_option("#traces-filter", "all")
    summary_has(lab, "300 of 300")
    lab.fill("#traces-search", "refund")
    summary_has(lab, "matching “refund”")
    shown = int(lab.inner_text("#traces-summary").split(" of ")[0].replace(",", ""))
    assert 0 < shown < 300
    inputs = lab.locator(f"{ROWS} .c-input").all_inner_texts()
    # A row shows the start of a long input (…): the match may lie past it.
    assert inputs and all("refund" in text.lower() or text.endswith("…") for text in inputs)
    assert any("refund" in text.lower() for text in inputs)


def test_a_row_opens_the_whole_record(lab):
    row = lab.locator(ROWS).first
    seq = row.get_attribute("data-seq")
    row.click()
    expect(lab.locator("#trace-detail h3")).to_have_text(f"Execution {seq} of route")
    expect(lab.locator("#trace-detail [data-field='input']")).to_contain_text("refund")
    expect(lab.locator("#trace-detail [data-field='prompt']")).to_contain_text("refund")
    expect(lab.locator("#trace-detail [data-field='expected']")).not_to_have_text("—")
    # The keyboard opens a row too.
    other = lab.locator(ROWS).nth(1)
    other_seq = other.get_attribute("data-seq")
    other.focus()
    lab.keyboard.press("Enter")
    expect(lab.locator("#trace-detail h3")).to_have_text(f"Execution {other_seq} of route")


def test_the_filtered_rows_export_as_csv_and_jsonl(lab, tmp_path: Path):
    shown = int(lab.inner_text("#traces-summary").split(" of ")[0].replace(",", ""))
    with lab.expect_download() as download:
        lab.click("#traces-csv")
    path = tmp_path / download.value.suggested_filename
    download.value.save_as(path)
    rows = list(csv.DictReader(io.StringIO(path.read_text())))
    assert path.suffix == ".csv" and len(rows) == shown
    assert all("refund" in (r["input"] + r["output"] + r["error"]).lower() for r in rows)
    with lab.expect_download() as download:
        lab.click("#traces-jsonl")
    path = tmp_path / download.value.suggested_filename
    download.value.save_as(path)
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    assert path.suffix == ".jsonl" and len(lines) == shown
    assert {line["task"] for line in lines} == {"route"}


def test_a_two_task_machine_measures_each_task_against_its_own_truth(lab, tmp_path: Path):
    editor = lab.locator("#editor [contenteditable='true'], #editor textarea").first
    editor.click()
    lab.keyboard.press("Control+A")
    lab.keyboard.insert_text(PIPELINE)
    lab.click("#apply-dsl")
    replace_if_asked(lab)
    lab.wait_for_selector(".task-card[data-task='topic']")
    data = tmp_path / "docs.jsonl"
    langs, topics = ("en", "fr"), ("sport", "food", "tech")
    data.write_text("\n".join(json.dumps({"text": f"doc {i}", "lang": langs[i % 2],
                                          "label": topics[i % 3]}) for i in range(90)))
    with lab.expect_file_chooser() as chooser:
        lab.click("#data-file")
    chooser.value.set_files(str(data))
    replace_if_asked(lab)
    lab.wait_for_function("document.getElementById('data-info').textContent.includes('90 records')")
    lab.fill("#llm-accuracy", "1")
    lab.click("#apply-llm")
    run_steps(lab, 120)
    for task in ("lang", "topic"):
        card = lab.locator(f".task-card[data-task='{task}']")
        expect(card.locator("[data-field='accuracy']")).to_have_text("100.0%")
        expect(card.locator("[data-field='success']")).to_have_text("100.0%")
    lab.fill("#traces-search", "")
    lab.select_option("#traces-task", "topic")
    summary_has(lab, "30 of 30 kept executions")
    expect(lab.locator(ROWS).first.locator(".c-output")).to_have_text("tech")  # doc 29 -> tech


def visible_rows(page) -> list[str]:
    """The seq of each trace row a person can see (a row in the pool may be hidden)."""
    return page.evaluate("[...document.querySelectorAll('.trace-spacer .trace-row')]"
                         ".filter((r) => r.getClientRects().length).map((r) => r.dataset.seq)")


def load_example(page, name: str, task: str) -> None:
    """Load example ``name``, starting its stored run again when the page asks."""
    page.select_option("#example-select", name)
    page.click("#load-example")
    card = f".task-card[data-task='{task}']"
    page.wait_for_function("(c) => document.querySelector('#app-dialog[open]') || "
                           "window.evomachine.state().then((s) => s.example === "
                           f"'{name}' && s.step_count === 0 && document.querySelector(c))",
                           arg=card)
    if page.locator("#app-dialog[open]").count():
        page.click("#replace-confirm")
    page.wait_for_selector(card)


def test_another_machine_shows_only_its_own_executions(lab):
    load_example(lab, "ticket-triage", "route")
    run_steps(lab, 40)
    ran = state(lab)["metrics"]["route"]["execution_count"]
    summary_has(lab, f"{ran} of {ran} kept executions")
    assert len(visible_rows(lab)) >= 10  # ticket triage's rows are drawn
    load_example(lab, "sentiment", "classify")
    expect(lab.locator("#traces-task")).to_have_value("classify")
    summary_has(lab, "0 of 0 kept executions")
    assert visible_rows(lab) == []
    run_steps(lab, 12)
    ran = state(lab)["metrics"]["classify"]["execution_count"]
    assert 0 < ran < 10
    summary_has(lab, f"{ran} of {ran} kept executions")
    lab.wait_for_function("(n) => document.querySelectorAll('.trace-spacer .trace-row"
                          ":not([hidden])').length === n", arg=ran)
    assert sorted(visible_rows(lab), key=int) == [str(i) for i in range(1, ran + 1)]
