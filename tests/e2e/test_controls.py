"""Every control on the page, used as a person uses it: click, type, pick a file, press keys.

``CONTROLS`` names each control of the page (by id, or by its role in a repeated row) and the
test that exercises it and checks its effect. ``test_every_control_on_the_page_has_a_test``
walks the live DOM in several states (a machine with code, versions, patterns; the questions the
page asks) and fails on a control that is not in the registry, so a new control without a test
fails the suite; ``test_the_registry_names_real_tests`` fails on an entry whose test does not
exist or never mentions the control's selector. One page is booted for the module and the tests
run in file order on it.
"""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from conftest import fresh_lab, run_under_way

pytestmark = pytest.mark.e2e

HERE = Path(__file__).resolve().parent

# key -> (selector a test uses to reach it, test that exercises it: "name" here or "file::name")
CONTROLS: dict[str, tuple[str, str]] = {
    "export-all": ("#export-all", "test_import_asks_where_the_llm_goes_and_each_answer_does_it"),
    "report-download": ("#report-download",
                        "test_report_page.py::test_download_report_opens_offline_in_a_fresh_browser"),
    "import-file": ("#import-label", "test_import_asks_where_the_llm_goes_and_each_answer_does_it"),
    "reset-all": ("#reset-all", "test_reset_asks_first_then_clears_the_page"),
    "reset-cancel": ("#reset-cancel", "test_reset_asks_first_then_clears_the_page"),
    "reset-confirm": ("#reset-confirm", "test_reset_asks_first_then_clears_the_page"),
    "import-keep": ("#import-keep", "test_import_asks_where_the_llm_goes_and_each_answer_does_it"),
    "import-file-llm": ("#import-file-llm",
                        "test_import_asks_where_the_llm_goes_and_each_answer_does_it"),
    "import-file-llm-key": ("#import-file-llm-key",
                            "test_import_asks_where_the_llm_goes_and_each_answer_does_it"),
    "import-confirm": ("#import-confirm",
                       "test_machines.py::test_import_asks_first_and_keeps_the_other_machines"),
    "import-cancel": ("#import-cancel",
                      "test_import_asks_where_the_llm_goes_and_each_answer_does_it"),
    "example-select": ("#example-select", "test_example_select_describes_and_shows_the_example"),
    "load-example": ("#load-example", "test_load_example_button_loads_it"),
    "editor": ("#editor", "test_typing_a_machine_and_pressing_load_machine_loads_it"),
    "apply-dsl": ("#apply-dsl", "test_typing_a_machine_and_pressing_load_machine_loads_it"),
    "dsl-error": ("#dsl-errors",
                  "test_lab.py::test_dsl_errors_are_marked_and_clicking_one_moves_the_caret"),
    "data-file": ("#data-file", "test_data_file_control_loads_csv"),
    "llm-provider": ("#llm-provider", "test_http_provider_fields_and_use_these_settings"),
    "llm-accuracy": ("#llm-accuracy", "test_simulated_llm_fields_and_use_these_settings"),
    "llm-latency": ("#llm-latency", "test_simulated_llm_fields_and_use_these_settings"),
    "llm-price-in": ("#llm-price-in", "test_simulated_llm_fields_and_use_these_settings"),
    "llm-price-out": ("#llm-price-out", "test_simulated_llm_fields_and_use_these_settings"),
    "apply-llm": ("#apply-llm", "test_simulated_llm_fields_and_use_these_settings"),
    "llm-concurrency": ("#llm-concurrency", "test_simulated_llm_fields_and_use_these_settings"),
    "llm-wait": ("#llm-wait", "test_simulated_llm_fields_and_use_these_settings"),
    "llm-base-url": ("#llm-base-url", "test_http_provider_fields_and_use_these_settings"),
    "llm-model": ("#llm-model", "test_http_provider_fields_and_use_these_settings"),
    "llm-key": ("#llm-key", "test_http_provider_fields_and_use_these_settings"),
    "llm-remember": ("#llm-remember", "test_http_provider_fields_and_use_these_settings"),
    "step-btn": ("#step-btn", "test_step_button_takes_one_step"),
    "run-count": ("#run-count", "test_run_button_runs_the_steps_typed"),
    "run-btn": ("#run-btn", "test_run_button_runs_the_steps_typed"),
    "until-stage": ("#until-stage", "test_run_until_stops_when_a_task_reaches_the_stage"),
    "until-btn": ("#until-btn", "test_run_until_stops_when_a_task_reaches_the_stage"),
    "pause-btn": ("#pause-btn", "test_pause_button_stops_a_long_run"),
    "card-code": ("[data-action='code']", "test_card_buttons_view_code_and_evolve"),
    "card-evolve": ("[data-action='evolve']", "test_card_buttons_view_code_and_evolve"),
    "promote-cancel": ("#promote-cancel", "test_card_buttons_view_code_and_evolve"),
    "promote-confirm": ("#promote-confirm", "test_card_buttons_view_code_and_evolve"),
    "rollback-cancel": ("#rollback-cancel", "test_person_audit_three.py::"
                        "test_roll_back_over_steps_no_version_holds_asks_first"),
    "rollback-confirm": ("#rollback-confirm", "test_person_audit_three.py::"
                         "test_roll_back_over_steps_no_version_holds_asks_first"),
    "open-keep-edits": ("#open-keep-edits", "test_person_audit_three.py::"
                        "test_open_over_edits_not_loaded_asks_and_keep_editing_keeps_them"),
    "open-drop-edits": ("#open-drop-edits", "test_person_audit_three.py::"
                        "test_open_over_edits_not_loaded_asks_and_keep_editing_keeps_them"),
    "code-task": ("#code-task", "test_code_task_select_shows_that_task"),
    "code-download": ("#code-download", "test_card_buttons_view_code_and_evolve"),
    "code-download-js": ("#code-download-js", "test_card_buttons_view_code_and_evolve"),
    "code-download-dts": ("#code-download-dts", "test_card_buttons_view_code_and_evolve"),
    "version-label": ("#version-label", "test_versions_save_compare_and_roll_back"),
    "save-version": ("#save-version", "test_versions_save_compare_and_roll_back"),
    "rollback": ("[data-rollback]", "test_versions_save_compare_and_roll_back"),
    "diff-a": ("#diff-a", "test_versions_save_compare_and_roll_back"),
    "diff-b": ("#diff-b", "test_versions_save_compare_and_roll_back"),
    "diff-btn": ("#diff-btn", "test_versions_save_compare_and_roll_back"),
    "pattern-task": ("#pattern-task", "test_patterns_save_search_and_import"),
    "pattern-name": ("#pattern-name", "test_patterns_save_search_and_import"),
    "pattern-save": ("#pattern-save", "test_patterns_save_search_and_import"),
    "pattern-search": ("#pattern-search", "test_patterns_save_search_and_import"),
    "pattern-into": ("pattern-into-", "test_patterns_save_search_and_import"),
    "pattern-import": ("[data-import", "test_patterns_save_search_and_import"),
    "machine-open": ("[data-open-machine",
                     "test_machines.py::test_the_machine_list_switches_and_keeps_each_ones_work"),
    "machine-delete": ("[data-delete-machine",
                       "test_machines.py::test_delete_asks_first_and_removes_the_machine"),
    "delete-machine-cancel": ("#delete-machine-cancel",
                              "test_machines.py::test_delete_asks_first_and_removes_the_machine"),
    "delete-machine-confirm": ("#delete-machine-confirm",
                               "test_machines.py::test_delete_asks_first_and_removes_the_machine"),
    "replace-confirm": ("#replace-confirm", "test_data_file_control_loads_csv"),
    "replace-cancel": ("#replace-cancel", "test_machines.py::test_loading_over_a_run_asks_first"),
    "drop-damaged": ("#drop-damaged",
                     "test_hostile_files.py::test_a_damaged_session_can_be_dropped_alone"),
    "traces-task": ("#traces-task", "test_traces_panel.py::"
                    "test_a_two_task_machine_measures_each_task_against_its_own_truth"),
    "traces-filter": ("#traces-filter",
                      "test_traces_panel.py::test_filter_and_search_narrow_the_rows"),
    "traces-search": ("#traces-search",
                      "test_traces_panel.py::test_filter_and_search_narrow_the_rows"),
    "traces-csv": ("#traces-csv",
                   "test_traces_panel.py::test_the_filtered_rows_export_as_csv_and_jsonl"),
    "traces-jsonl": ("#traces-jsonl",
                     "test_traces_panel.py::test_the_filtered_rows_export_as_csv_and_jsonl"),
    "price-model": ("#price-model",
                    "test_prices.py::test_a_listed_model_can_be_repriced_and_put_back"),
    "price-in": ("#price-in", "test_prices.py::test_a_listed_model_can_be_repriced_and_put_back"),
    "price-out": ("#price-out", "test_prices.py::"
                  "test_a_model_the_table_does_not_know_is_named_and_priced_by_typing"),
    "price-save": ("#price-save",
                   "test_prices.py::test_a_listed_model_can_be_repriced_and_put_back"),
    "price-default": ("#price-default",
                      "test_prices.py::test_a_listed_model_can_be_repriced_and_put_back"),
}

# The name a control goes by in CONTROLS (repeated rows share one), or "unnamed: <html>".
CONTROL_KEYS = """() => [...document.querySelectorAll(
    'button, input, select, textarea, [contenteditable="true"]')].map((el) => {
  if (el.closest('#editor')) return 'editor';
  if (el.closest('#dsl-errors')) return 'dsl-error';
  if (el.dataset.rollback !== undefined) return 'rollback';
  if (el.dataset.import !== undefined) return 'pattern-import';
  if (el.dataset.action) return `card-${el.dataset.action}`;
  if (/^pattern-into-\\d+$/.test(el.id)) return 'pattern-into';
  if (el.dataset.openMachine !== undefined) return 'machine-open';
  if (el.dataset.deleteMachine !== undefined) return 'machine-delete';
  return el.id || `unnamed: ${el.outerHTML.slice(0, 100)}`;
})"""

TWO_TASKS = """machine "Two tasks"
Input ticket { ground_truth: { route: "label", check: "label" }; }
Task route { prompt: "Route: {{ input.text }}"; output<"billing" | "tech" | "sales">; }
Task check { prompt: "Check: {{ input.text }}"; output<"billing" | "tech" | "sales">; }
ticket -> route;
route -> check;
check -> ticket;
"""


def state(page) -> dict:
    return page.evaluate("window.evomachine.state()")


def unregistered(page) -> list[str]:
    return sorted(set(page.evaluate(CONTROL_KEYS)) - set(CONTROLS))


def toast(page, text: str) -> None:
    page.wait_for_function("(t) => document.getElementById('toast').textContent.includes(t)",
                           arg=text)


def status_starts(page, prefix: str, timeout: float = 60_000) -> None:
    page.wait_for_function(
        "(p) => document.getElementById('run-status').textContent.startsWith(p)",
        arg=prefix, timeout=timeout)


def type_into_editor(page, text: str) -> None:
    """Focus the editor, select everything and type ``text`` over it (as a paste would)."""
    target = page.locator("#editor [contenteditable='true'], #editor textarea").first
    target.click()
    page.keyboard.press("Control+A")
    page.keyboard.insert_text(text)


@pytest.fixture(scope="module")
def lab(browser, server):
    """One fresh page for the module's tests (storage reset, no request off 127.0.0.1)."""
    yield from fresh_lab(browser, server, accept_downloads=True)


def _sources(path: Path) -> dict[str, str]:
    """Each top-level function of ``path``: its source and that of the functions it calls."""
    text = path.read_text()
    functions = {node.name: node for node in ast.parse(text).body
                 if isinstance(node, ast.FunctionDef)}
    own = {name: ast.get_source_segment(text, node) or "" for name, node in functions.items()}
    result = {}
    for name, node in functions.items():
        called = {c.func.id for c in ast.walk(node)
                  if isinstance(c, ast.Call) and isinstance(c.func, ast.Name)}
        result[name] = "\n".join([own[name], *(own[c] for c in called if c in own)])
    return result


def test_the_registry_names_real_tests():
    sources: dict[Path, dict[str, str]] = {}
    for key, (selector, where) in CONTROLS.items():
        file, _, name = where.rpartition("::")
        path = HERE / (file or Path(__file__).name)
        if path not in sources:
            sources[path] = _sources(path)
        assert name in sources[path], f"{key}: no test {where}"
        assert selector in sources[path][name], f"{key}: {where} never uses {selector}"


def test_example_select_describes_and_shows_the_example(lab):
    assert not state(lab)["loaded"]
    lab.select_option("#example-select", "sentiment")
    lab.wait_for_function("document.getElementById('example-description').textContent"
                          ".includes('records')")
    described = lab.inner_text("#example-description")
    lab.select_option("#example-select", "ticket-triage")
    lab.wait_for_function("(d) => document.getElementById('example-description').textContent"
                          " !== d", arg=described)
    # With nothing loaded, the editor shows the example's machine to read before loading it.
    expect(lab.locator("#editor .cm-content")).to_contain_text("Ticket triage", timeout=30_000)


def test_load_example_button_loads_it(lab):
    lab.click("#load-example")
    lab.wait_for_selector(".task-card[data-task='route']")
    assert "2,500 records" in lab.inner_text("#data-info")
    assert state(lab)["example"] == "ticket-triage"
    # nothing ran: rates and means say "—", not 0.0% or 0.0 ms (a newcomer's tour)
    card = lab.locator(".task-card[data-task='route']")
    for field in ("success", "llm_rate", "avg", "p95", "cpe"):
        assert card.locator(f"[data-field='{field}']").inner_text() == "—", field


def test_typing_a_machine_and_pressing_load_machine_loads_it(lab):
    type_into_editor(lab, TWO_TASKS)
    lab.click("#apply-dsl")  # another machine, and the loaded one has not run: nothing to ask
    lab.wait_for_selector(".task-card[data-task='check']")
    assert state(lab)["machine"]["title"] == "Two tasks"
    assert "2,500 records" in lab.inner_text("#data-info")  # the data set was kept


def test_code_task_select_shows_that_task(lab):
    lab.wait_for_function("document.getElementById('code-task').options.length === 2")
    lab.select_option("#code-task", "check")
    lab.wait_for_function("document.getElementById('code-meta').textContent.includes('check')")
    lab.select_option("#code-task", "route")
    lab.wait_for_function("document.getElementById('code-meta').textContent.includes('route')")


def test_simulated_llm_fields_and_use_these_settings(lab):
    lab.select_option("#llm-provider", "simulated")
    lab.fill("#llm-accuracy", "0.9")
    lab.fill("#llm-latency", "120")
    lab.fill("#llm-price-in", "2.5")
    lab.fill("#llm-price-out", "11")
    lab.click("#apply-llm")
    lab.wait_for_function("document.getElementById('llm-status').textContent.includes('90%')")
    status = lab.inner_text("#llm-status")
    assert "~120 ms" in status and "$2.5/$11" in status, status
    llm = state(lab)["llm"]
    assert (llm["accuracy"], llm["latency_ms"], llm["price_in"], llm["price_out"]) == \
        (0.9, 120, 2.5, 11)
    lab.fill("#llm-concurrency", "4")
    lab.check("#llm-wait")
    lab.click("#apply-llm")
    lab.wait_for_function("window.evomachine.state().then((s) => s.llm.wait === true)")
    assert state(lab)["llm"]["concurrency"] == 4
    lab.uncheck("#llm-wait")  # (the later runs need not sleep the simulated latency)
    lab.click("#apply-llm")
    lab.wait_for_function("window.evomachine.state().then((s) => s.llm.wait === false)")


def test_http_provider_fields_and_use_these_settings(lab):
    assert lab.is_hidden("#llm-base-url")
    lab.select_option("#llm-provider", "openai")
    assert lab.is_visible("#llm-base-url") and lab.is_hidden("#llm-accuracy")
    lab.fill("#llm-base-url", "http://127.0.0.1:9/v1")
    lab.fill("#llm-model", "local-model")
    # Another provider does not inherit this one's URL, model or key (a newcomer's tour: the
    # Anthropic key went to the URL the fields still held); coming back restores them.
    lab.fill("#llm-key", "sk-for-the-local-server")
    lab.select_option("#llm-provider", "anthropic")
    assert [lab.input_value(f) for f in ("#llm-base-url", "#llm-model", "#llm-key")] == \
        ["", "", ""]
    assert lab.get_attribute("#llm-base-url", "placeholder") == "https://api.anthropic.com"
    lab.select_option("#llm-provider", "openai")
    assert [lab.input_value(f) for f in ("#llm-base-url", "#llm-model", "#llm-key")] == \
        ["http://127.0.0.1:9/v1", "local-model", ""]
    lab.fill("#llm-key", "sk-controls-test")
    lab.check("#llm-remember")
    lab.click("#apply-llm")
    lab.wait_for_function("document.getElementById('llm-status').textContent.includes('local-model')")
    status = lab.inner_text("#llm-status")
    assert "http://127.0.0.1:9/v1" in status and "key set (remembered)" in status, status
    assert lab.input_value("#llm-key") == ""  # the field does not keep the key
    assert "sk-controls-test" in lab.evaluate("localStorage.getItem('evomachine:llm-key')")
    lab.select_option("#llm-provider", "simulated")
    lab.click("#apply-llm")
    lab.wait_for_function("document.getElementById('llm-status').textContent.startsWith('Simulated')")
    assert lab.evaluate("localStorage.getItem('evomachine:llm-key')") is None


def test_step_button_takes_one_step(lab):
    before = state(lab)["step_count"]
    lab.click("#step-btn")
    lab.wait_for_function("(n) => window.evomachine.state().then((s) => s.step_count === n)",
                          arg=before + 1)
    lab.wait_for_function("(n) => document.getElementById('run-position').textContent"
                          ".startsWith(`${n} step${n === 1 ? '' : 's'} so far`)", arg=before + 1)


def test_run_button_runs_the_steps_typed(lab):
    before = state(lab)["step_count"]
    lab.fill("#run-count", "40")
    lab.click("#run-btn")
    status_starts(lab, "Done after 40")
    assert state(lab)["step_count"] == before + 40
    assert lab.get_attribute(".run-progress", "aria-valuenow") == "100"


def test_a_run_whose_task_executions_fail_says_how_many_and_why(lab):
    before = state(lab)["llm"]
    lab.evaluate("(c) => window.evomachine.setLLM({...c, error_rate: 1})", before)
    lab.fill("#run-count", "12")
    lab.click("#run-btn")
    status_starts(lab, "Done after 12 steps.")
    said = lab.inner_text("#run-status")
    assert re.search(r"\d+ task executions? failed; the last, \w+: ", said), said
    assert "bad" in lab.get_attribute("#run-status", "class")
    lab.evaluate("(c) => window.evomachine.setLLM(c)", before)
    lab.fill("#run-count", "3")
    lab.click("#run-btn")
    status_starts(lab, "Done after 3 steps.")
    assert "failed" not in lab.inner_text("#run-status")
    assert "bad" not in (lab.get_attribute("#run-status", "class") or "")


def test_run_until_stops_when_a_task_reaches_the_stage(lab):
    lab.select_option("#until-stage", "hybrid")
    lab.click("#until-btn")
    status_starts(lab, "Stage reached", timeout=120_000)
    [task] = [name for name, stage in state(lab)["stages"].items() if stage == "hybrid"]
    assert lab.inner_text("#run-status").endswith(f": {task} is at Hybrid.")
    before = state(lab)["step_count"]
    lab.click("#until-btn")  # already there: said at once, and nothing runs
    status_starts(lab, f"Stage reached already: {task} is at Hybrid; nothing ran.")
    assert state(lab)["step_count"] == before


def test_pause_button_stops_a_long_run(lab):
    lab.fill("#run-count", "100000")
    lab.click("#run-btn")
    run_under_way(lab, 100000)
    assert not lab.is_disabled("#pause-btn")
    lab.click("#pause-btn")
    status_starts(lab, "Paused after")
    assert lab.is_disabled("#pause-btn") and not lab.is_disabled("#run-btn")
    assert state(lab)["step_count"] < 100000


def test_card_buttons_view_code_and_evolve(lab):
    stages = state(lab)["stages"]
    task = next(name for name, stage in stages.items() if stage == "hybrid")
    other = next(name for name in stages if name != task)
    lab.click(f".task-card[data-task='{task}'] [data-action='code']")
    lab.wait_for_function("document.querySelector('#code-view code').textContent"
                          ".includes('def execute')")
    assert lab.input_value("#code-task") == task
    with lab.expect_download() as download:
        lab.click("#code-download")
    assert download.value.suggested_filename.endswith(".py")
    source = Path(download.value.path()).read_text()
    assert "def execute" in source
    # the same model as a JavaScript ES module, and its types (the winner here is not LLM code)
    with lab.expect_download() as download:
        lab.click("#code-download-js")
    assert download.value.suggested_filename.endswith(".mjs")
    assert "export function execute(input)" in Path(download.value.path()).read_text()
    with lab.expect_download() as download:
        lab.click("#code-download-dts")
    assert download.value.suggested_filename.endswith(".d.ts")
    assert "export declare function execute(input: Input): Result;" in Path(
        download.value.path()).read_text()
    before = stages[other]
    lab.click(f".task-card[data-task='{other}'] [data-action='evolve']")
    lab.click("#promote-cancel")  # asked first; Cancel moves nothing
    assert state(lab)["stages"][other] == before
    lab.click(f".task-card[data-task='{other}'] [data-action='evolve']")
    lab.click("#promote-confirm")
    lab.wait_for_function("(a) => window.evomachine.state().then((s) => s.stages[a[0]] !== a[1])",
                          arg=[other, before])
    toast(lab, f"{other} is now")


def test_versions_save_compare_and_roll_back(lab):
    lab.fill("#version-label", "first")
    lab.click("#save-version")
    lab.wait_for_selector("#versions-body tr.head")
    first_steps = state(lab)["step_count"]
    lab.fill("#run-count", "30")
    lab.click("#run-btn")
    status_starts(lab, "Done after 30")
    lab.fill("#version-label", "second")
    lab.click("#save-version")
    lab.wait_for_function("document.querySelectorAll('#versions-body tr').length === 2")
    # The version just saved is where the machine is: it offers no rollback (it would do nothing).
    lab.wait_for_function("document.querySelector('#versions-body tr.head').textContent"
                          ".includes('here now')")
    assert lab.locator("#versions-body tr.head button[data-rollback]").count() == 0
    assert lab.locator("#versions-body button[data-rollback][aria-label*='second']").count() == 0
    ids = [v["id"] for v in state(lab)["versions"]]
    lab.select_option("#diff-a", ids[0])
    lab.select_option("#diff-b", ids[1])
    lab.click("#diff-btn")
    lab.wait_for_selector("#diff-view table.diff")
    assert "steps" in lab.inner_text("#diff-view") or "executions" in lab.inner_text("#diff-view")
    lab.click("#versions-body button[data-rollback][aria-label*='first']")
    lab.wait_for_function("(n) => window.evomachine.state().then((s) => s.step_count === n)",
                          arg=first_steps)
    toast(lab, "Rolled back")
    # "Done after 30 steps." spoke of the run before the roll back (a newcomer's tour)
    lab.wait_for_function("document.getElementById('run-status').textContent === 'Idle'")
    # the activity log names the version by its label, not its id (a newcomer's tour)
    lab.wait_for_function("document.getElementById('activity').textContent"
                          ".includes('rolled back to version “first”')")
    lab.wait_for_selector("#versions-body button[data-rollback][aria-label*='second']")
    assert lab.locator("#versions-body button[data-rollback][aria-label*='first']").count() == 0
    assert unregistered(lab) == []


def test_patterns_save_search_and_import(lab):
    task = next(name for name, stage in state(lab)["stages"].items() if stage != "llm_only")
    lab.select_option("#pattern-task", task)
    lab.fill("#pattern-name", "router-from-controls")
    lab.click("#pattern-save")
    lab.wait_for_selector("#patterns-list button[data-import='router-from-controls']")
    lab.locator("#pattern-search").press_sequentially("no-such-pattern")
    lab.wait_for_function("document.getElementById('patterns-list').textContent"
                          ".includes('No patterns')")
    lab.fill("#pattern-search", "")
    lab.locator("#pattern-search").press_sequentially("router")
    lab.wait_for_selector("#patterns-list button[data-import='router-from-controls']")
    into = lab.locator("#patterns-list li").first.locator("select[id^='pattern-into-']")
    into.select_option("check")
    lab.click("#patterns-list button[data-import='router-from-controls']")
    toast(lab, "Imported router-from-controls into check")
    assert "pattern_import" in [m["type"] for m in state(lab)["mutations"]]
    assert unregistered(lab) == []


def test_a_double_click_on_save_saves_once(lab):
    versions = len(state(lab)["versions"])
    lab.fill("#version-label", "twice-clicked")
    lab.dblclick("#save-version")
    toast(lab, "Saved version")
    lab.wait_for_function("!document.getElementById('version-form').hasAttribute('aria-busy')")
    assert [v["label"] for v in state(lab)["versions"]].count("twice-clicked") == 1
    assert len(state(lab)["versions"]) == versions + 1
    lab.fill("#pattern-search", "twice")
    lab.fill("#pattern-name", "twice-clicked")
    lab.dblclick("#pattern-save")
    lab.wait_for_selector("#patterns-list button[data-import='twice-clicked']")
    lab.wait_for_function("!document.getElementById('pattern-save-form').hasAttribute('aria-busy')")
    saved = lab.evaluate("window.evomachine.patterns('twice-clicked')")
    assert [p["version"] for p in saved if p["name"] == "twice-clicked"] == ["v1"], saved


def _set_http_llm(page, url: str, key: str | None, remember: bool = False) -> None:
    page.select_option("#llm-provider", "openai")
    page.fill("#llm-base-url", url)
    page.fill("#llm-model", "m")
    page.fill("#llm-key", key or "")
    page.set_checked("#llm-remember", remember)
    page.click("#apply-llm")
    page.wait_for_function("(u) => document.getElementById('llm-status').textContent.includes(u)",
                           arg=url)


def _import(page, path: Path) -> None:
    with page.expect_file_chooser() as chooser:
        page.click("#import-label")
    chooser.value.set_files(str(path))
    page.locator("#app-dialog").wait_for(state="visible")


def test_import_asks_where_the_llm_goes_and_each_answer_does_it(lab, tmp_path: Path):
    a, b = "http://127.0.0.1:9/v1", "http://127.0.0.1:10/v1"
    _set_http_llm(lab, a, None)
    with lab.expect_download() as download:
        lab.click("#export-all")
    exported = tmp_path / "state.json"
    exported.write_text(Path(download.value.path()).read_text())
    assert json.loads(exported.read_text())["format"] == "evomachine.lab"
    toast(lab, "Exported")

    _set_http_llm(lab, b, "sk-import-test", remember=True)
    _import(lab, exported)
    assert unregistered(lab) == []
    assert lab.locator("#app-dialog button").count() == 4
    lab.click("#import-cancel")
    toast(lab, "cancelled")
    assert state(lab)["llm"]["base_url"] == b

    _import(lab, exported)
    lab.click("#import-keep")
    toast(lab, "Imported state.json")
    assert state(lab)["llm"]["base_url"] == b and state(lab)["llm"]["has_key"]

    _import(lab, exported)
    lab.click("#import-file-llm-key")
    lab.wait_for_function("(u) => window.evomachine.state().then((s) => s.llm.base_url === u)",
                          arg=a)
    assert state(lab)["llm"]["has_key"]
    # the remembered key went with it: after a reload it is used there, and only there
    remembered = json.loads(lab.evaluate("localStorage.getItem('evomachine:llm-key')"))
    assert remembered["url"].startswith(a) and remembered["key"] == "sk-import-test"

    _set_http_llm(lab, b, "sk-import-test")
    _import(lab, exported)
    lab.click("#import-file-llm")
    lab.wait_for_function("(u) => window.evomachine.state().then((s) => s.llm.base_url === u)",
                          arg=a)
    assert not state(lab)["llm"]["has_key"]
    lab.select_option("#llm-provider", "simulated")
    lab.click("#apply-llm")
    lab.wait_for_function("document.getElementById('llm-status').textContent.startsWith('Simulated')")


def test_data_file_control_loads_csv(lab, tmp_path: Path):
    path = tmp_path / "tickets.csv"
    path.write_text("text,label\n\"My invoice is wrong\",billing\n\"The app crashes\",tech\n"
                    "\"Do you offer discounts?\",sales\n")
    with lab.expect_file_chooser() as chooser:
        lab.click("#data-file")
    chooser.value.set_files(str(path))
    # New records start the loaded machine again, and it has run: the page asks first.
    lab.locator("#app-dialog").wait_for(state="visible")
    assert "Start Two tasks again?" in lab.inner_text("#app-dialog")
    assert unregistered(lab) == []
    lab.click("#replace-confirm")
    lab.wait_for_function("document.getElementById('data-info').textContent.includes('3 records')")
    assert state(lab)["dataset"]["count"] == 3 and state(lab)["step_count"] == 0


def test_reset_asks_first_then_clears_the_page(lab):
    lab.click("#reset-all")
    lab.locator("#app-dialog").wait_for(state="visible")
    assert unregistered(lab) == []
    lab.click("#reset-cancel")
    lab.locator("#app-dialog").wait_for(state="hidden")
    assert state(lab)["loaded"]
    lab.click("#reset-all")
    lab.click("#reset-confirm")
    lab.wait_for_function("window.evomachine.state().then((s) => !s.loaded)")
    lab.locator(".empty").wait_for(state="visible")
    toast(lab, "Everything was reset")


def test_every_control_on_the_page_has_a_test(lab):
    lab.click("#load-example")
    lab.wait_for_selector(".task-card[data-task='route']")
    assert unregistered(lab) == []
