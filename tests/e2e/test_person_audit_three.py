"""A third person's long session with the mouse: work lost without a question, a machine run
on another machine's data, controls that looked alive and did nothing. Each test is a bug the
page had before.

One page serves the module (a fresh page costs a boot): the tests run in file order, each from
where the one before left the page, so run the module whole.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from _editor import STARTS_WITH, editor_text
from playwright.sync_api import Page

from conftest import LAB_READY, fresh_lab, guard_requests, run_steps

pytestmark = pytest.mark.e2e

TOAST = "(t) => document.getElementById('toast').textContent.startsWith(t)"
STATUS = "(t) => document.getElementById('run-status').textContent.startsWith(t)"
PRODUCE = """machine "Produce sorter"
Input item { source: "produce.csv"; ground_truth: "label"; }
Task sort { prompt: "Fruit or vegetable: {{ input.text }}"; output<"fruit" | "vegetable">; }
item -> sort;
sort -> item;
"""
# a machine whose Machines row holds words longer than the panel is wide
LONG = ('machine "A produce sorter with a long title_and_no_spaces_in_it_at_all"\n'
        "Input item { }\n"
        "Task sort_produce_into_categories_by_kind { prompt: \"{{ input.text }}\"; "
        'output<"fruit" | "vegetable">; }\n'
        "item -> sort_produce_into_categories_by_kind;\n"
        "sort_produce_into_categories_by_kind -> item;\n")


@pytest.fixture(scope="module")
def lab(browser, server) -> Iterator[Page]:
    yield from fresh_lab(browser, server, accept_downloads=True)


def state(page: Page) -> dict:
    return page.evaluate("() => window.evomachine.state()")


def type_into_editor(page: Page, text: str) -> None:
    page.locator("#editor [contenteditable='true']").first.click()
    page.keyboard.press("Control+A")
    page.keyboard.insert_text(text)


def load_example(page: Page, name: str) -> None:
    page.select_option("#example-select", name)
    page.click("#load-example")
    page.wait_for_function(TOAST, arg=f"Loaded example {name}")


def test_the_lab_stays_hidden_until_it_can_answer_a_click(browser, server):
    """During boot the lab showed under the boot box (a grid beat [hidden]): Run and the
    example list were there, and clicking them did nothing."""
    context = browser.new_context()
    guard_requests(context)
    page = context.new_page()
    page.goto(server.url, wait_until="domcontentloaded")
    assert page.evaluate("document.body.dataset.ready") != "true"
    assert page.evaluate("getComputedStyle(document.getElementById('lab')).display") == "none"
    assert not page.is_visible("#run-btn")
    page.wait_for_function(LAB_READY, timeout=120_000)
    assert page.is_visible("#run-btn")
    context.close()


def test_a_pasted_machine_naming_its_own_file_does_not_run_on_the_last_ones_data(lab):
    load_example(lab, "ticket-triage")
    type_into_editor(lab, PRODUCE)
    lab.keyboard.press("Control+Enter")
    lab.wait_for_function(TOAST, arg="Loaded Produce sorter; now load its data set, produce.csv")
    lab.wait_for_function("document.getElementById('data-info').textContent"
                          ".startsWith('No data loaded: this machine reads produce.csv')")
    assert state(lab)["dataset"]["count"] == 0
    lab.click("#run-btn")  # it ran on the 2,500 tickets: 25 executions failed with 'billing'
    lab.wait_for_function(STATUS, arg="Nothing ran: no data set is loaded")
    assert state(lab)["step_count"] == 0


def test_open_over_edits_not_loaded_asks_and_keep_editing_keeps_them(lab):
    """Open put the other machine's text over the person's edits, with no question."""
    edited = PRODUCE.replace("Fruit or vegetable", "Fruit, or vegetable?")
    type_into_editor(lab, edited)
    lab.wait_for_function("document.getElementById('dsl-status').textContent.includes('edited')")
    lab.click("button[data-open-machine][aria-label='Open machine Ticket triage']")
    lab.click("#open-keep-edits")
    assert editor_text(lab) == edited and state(lab)["machine"]["title"] == "Produce sorter"
    lab.click("button[data-open-machine][aria-label='Open machine Ticket triage']")
    lab.click("#open-drop-edits")
    lab.wait_for_function(TOAST, arg="Opened Ticket triage")
    # (the toast comes as the engine has opened it; the editor at the page's next draw)
    lab.wait_for_function(STARTS_WITH, arg='machine "Ticket triage"')


def test_roll_back_over_steps_no_version_holds_asks_first(lab):
    """A roll back threw away 900 unsaved steps without a word, and the version it came from
    still said "current"."""
    lab.fill("#version-label", "start")
    lab.click("#save-version")
    lab.wait_for_function(TOAST, arg="Saved version “start”.")
    run_steps(lab, 30)
    head = "#versions-body tr.head"
    lab.wait_for_function("(s) => document.querySelector(s)?.textContent.includes('last saved')",
                          arg=head)
    ran = state(lab)["step_count"]
    lab.click("button[data-rollback]")
    lab.click("#rollback-cancel")
    assert state(lab)["step_count"] == ran
    lab.click("button[data-rollback]")
    lab.click("#rollback-confirm")
    lab.wait_for_function(TOAST, arg="Rolled back to “start”")
    lab.wait_for_function("(s) => document.querySelector(s)?.textContent.includes('current')",
                          arg=head)
    lab.click("#save-version")  # no label: the toast said "Saved version saved 01 Dec, …"
    lab.wait_for_function(TOAST, arg="Saved a version (no label), ")


def test_a_fixed_machine_takes_its_error_toast_away(lab):
    """"The machine has 1 problem" stayed nine seconds after Ctrl+Z had put the text right."""
    lab.locator("#editor [contenteditable='true']").first.click()
    lab.keyboard.press("Control+End")
    lab.keyboard.insert_text("\nroute -> nowhere;")
    lab.click("#apply-dsl")
    lab.wait_for_function(TOAST, arg="The machine has 1 problem")
    lab.locator("#editor [contenteditable='true']").first.click()
    lab.keyboard.press("Control+z")
    lab.wait_for_function("document.getElementById('toast').hidden")


def test_an_import_under_way_refuses_a_load_example_instead_of_losing_to_it(lab, tmp_path):
    """Load example pressed while an import was being read asked nothing, and replaced the
    3,500-step run the import had just brought in."""
    export = tmp_path / "export.json"
    export.write_text(lab.evaluate("() => window.evomachine.exportState()"))
    lab.evaluate("() => window.evomachine.reset()")
    # Another tab holds the lab's lock, so the import waits, under way, for as long as needed.
    other = lab.context.new_page()
    other.goto(lab.url)
    other.wait_for_function(LAB_READY, timeout=120_000)
    other.evaluate("() => { navigator.locks.request('evomachine:lab', () => new Promise("
                   "(release) => { window.releaseLock = release; })); }")
    lab.set_input_files("#import-file", str(export))
    lab.wait_for_function(TOAST, arg="Another tab is running this lab")
    lab.select_option("#example-select", "sentiment")
    lab.click("#load-example")
    lab.wait_for_function(TOAST, arg="The import of export.json is under way; try again when")
    lab.click("#reset-all")  # Reset too: it would delete what the import is writing
    lab.click("#reset-confirm")
    lab.wait_for_function(TOAST, arg="The import of export.json is under way")
    other.evaluate("() => window.releaseLock()")
    lab.wait_for_function(TOAST, arg="Imported export.json.")
    assert state(lab)["machine"]["title"] == "Ticket triage"
    other.close()


def test_the_machines_table_keeps_open_and_delete_in_view(lab):
    """Open and Delete were cut to "Ope" and "Dele" at 1280 px, and off-screen on a phone."""
    lab.evaluate("(dsl) => window.evomachine.load(dsl, [{text: 'apple'}])", LONG)
    lab.wait_for_function("document.querySelectorAll('#machines-body tr').length >= 2")
    fits = ("() => { const box = document.querySelector('.machines-panel .table-scroll');"
            " return box.scrollWidth <= box.clientWidth; }")
    assert lab.evaluate(fits)
    lab.set_viewport_size({"width": 390, "height": 844})
    try:
        assert lab.evaluate(fits)
        assert lab.locator("button[data-open-machine]").first.is_visible()
    finally:
        lab.set_viewport_size({"width": 1280, "height": 900})


def test_the_traces_summary_says_what_a_reload_keeps(lab):
    """It said "the newest 100,000 per task are kept"; after a reload 2,000 were."""
    lab.click("button[data-open-machine][aria-label='Open machine Ticket triage']")
    lab.wait_for_function(TOAST, arg="Opened Ticket triage")
    run_steps(lab, 6)
    lab.wait_for_function("document.getElementById('traces-summary').textContent"
                          ".includes('kept while this page is open, 2,000 across a reload')")


def test_the_report_reads_a_roll_back_as_one(lab, tmp_path: Path):
    """The downloaded report showed a roll back as a row of "None | None | None"."""
    lab.click("#save-version")
    lab.wait_for_function(TOAST, arg="Saved a version")
    run_steps(lab, 3)
    lab.click("button[data-rollback]")
    lab.click("#rollback-confirm")
    lab.wait_for_function(TOAST, arg="Rolled back")
    with lab.expect_download() as download:
        lab.click("#report-download")
    html = Path(download.value.path()).read_text()
    assert "rolled back to version" in html and "<td>None</td>" not in html
