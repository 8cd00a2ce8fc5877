"""A second person's audit of the page: what a person with a mouse and keyboard meets in the
editor, the panels and the header, each test a bug the first version of the page had.

One page serves the whole module (a fresh page costs a boot): the tests run in file order,
each from where the one before left the page (which machines are stored and loaded, how far
they ran), so run the module whole.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from _editor import STARTS_WITH, editor_selection, editor_text
from playwright.sync_api import Page

from conftest import fresh_lab, run_steps

pytestmark = pytest.mark.e2e

TOAST = "(t) => document.getElementById('toast').textContent.startsWith(t)"
HERE_NOW = "document.getElementById('versions-body').textContent.includes('here now')"
SUMMARY = "(t) => document.getElementById('traces-summary').textContent.startsWith(t)"
DETAIL = "(t) => document.querySelector('#trace-detail h3')?.textContent === t"
MINE = 'machine "Mine"\nTask t { prompt: "hi"; }\n'


@pytest.fixture(scope="module")
def lab(browser, server) -> Iterator[Page]:
    yield from fresh_lab(browser, server)


def editor_holds(page: Page, start: str) -> None:
    page.wait_for_function(STARTS_WITH, arg=start)


def test_picking_an_example_keeps_a_machine_being_written(lab: Page):
    """Nothing loaded: picking an example shows its text, but not over the person's own
    machine (it was replaced, and Ctrl+Z could not bring it back)."""
    lab.select_option("#example-select", "sentiment")
    editor_holds(lab, 'machine "Review sentiment"')  # an untouched editor shows the pick
    sentiment = lab.inner_text("#example-description")
    lab.locator("#dsl .cm-content").click()
    lab.keyboard.press("Control+a")
    lab.keyboard.type(MINE)
    lab.select_option("#example-select", "ticket-triage")
    lab.wait_for_function(TOAST, arg="Your edits stay in the editor")
    assert editor_text(lab).startswith(MINE)
    assert lab.inner_text("#example-description") != sentiment  # the pick is described


def test_ctrl_enter_keeps_the_caret_and_the_undo_history(lab: Page):
    """Loading the editor's own text (Ctrl+Enter) left the caret at the top of the machine
    and emptied the undo history: the next key typed went to line 1, Ctrl+Z did nothing."""
    lab.click("#load-example")  # ticket-triage, over the person's own text (asked for)
    lab.wait_for_function(TOAST, arg="Loaded example ticket-triage")
    editor_holds(lab, 'machine "Ticket triage"')
    line = lab.locator("#dsl .cm-line", has_text="evolution_stage").first
    line.click()
    lab.keyboard.press("End")
    lab.keyboard.type(" // mine")
    before = editor_selection(lab)
    lab.keyboard.press("Control+Enter")
    lab.wait_for_function(TOAST, arg="Loaded Ticket triage")
    lab.wait_for_function("document.getElementById('dsl-status').textContent === 'No problems'")
    assert editor_selection(lab)["line"] == before["line"]
    lab.keyboard.type("X")
    assert "// mineX" in editor_text(lab)
    lab.keyboard.press("Control+z")
    lab.keyboard.press("Control+z")
    assert "// mine" not in editor_text(lab)


def test_the_open_execution_goes_when_a_roll_back_removes_it(lab: Page):
    """A trace opened below the table stayed there after Roll back took its execution away:
    the table said 10 executions and the record below was execution 20's, of a run now gone."""
    run_steps(lab, 30)  # 3 steps an execution of route: 10 executions
    lab.click("#save-version")
    lab.wait_for_function(HERE_NOW)  # the version saved is where the machine is
    run_steps(lab, 30)
    newest = lab.locator("#traces-viewport .trace-row[data-seq]:not([hidden])").first
    lab.wait_for_function(SUMMARY, arg="20 of")
    newest.click()
    lab.wait_for_function(DETAIL, arg="Execution 20 of route")
    lab.locator("button[data-rollback]").click()
    lab.click("#rollback-confirm")  # 30 steps no version holds: asked first
    lab.wait_for_function(TOAST, arg="Rolled back")
    lab.wait_for_function(SUMMARY, arg="10 of")
    lab.wait_for_function("document.getElementById('trace-detail').textContent === ''")
    # One still kept stays open while the run goes on.
    newest.click()
    lab.wait_for_function(DETAIL, arg="Execution 10 of route")
    run_steps(lab, 6)
    lab.wait_for_function(SUMMARY, arg="12 of")
    assert lab.inner_text("#trace-detail h3") == "Execution 10 of route"


def test_reset_forgets_what_the_editor_status_said(lab: Page):
    """After Reset the editor holds the example's text again, nothing is loaded, and the line
    under it still said 'edited: press Load machine to use it' of the machine just deleted."""
    lab.locator("#dsl .cm-line").first.click()
    lab.keyboard.press("End")
    lab.keyboard.type(" // edited")
    lab.wait_for_function("document.getElementById('dsl-status').textContent.includes('edited')")
    lab.click("#reset-all")
    lab.click("#reset-confirm")
    lab.wait_for_function(TOAST, arg="Everything was reset.")
    lab.wait_for_function("document.body.dataset.loaded === 'false'")
    assert "edited" not in lab.inner_text("#dsl-status")
    assert "// edited" not in editor_text(lab)


def focused(page: Page) -> str:
    return page.evaluate("(() => { const a = document.activeElement;"
                         " return a.dataset.seq ? `row ${a.dataset.seq}` : a.id; })()")


def test_the_traces_table_is_one_tab_stop_and_arrow_keys_move_between_rows(lab: Page):
    """Every row drawn was a Tab stop: about 30 presses of Tab to get past the table, and no
    key moved to the row below. Tab now passes the table in one press; the arrow keys, Home and
    End move between rows (drawing those scrolled into view), Enter opens one."""
    lab.select_option("#example-select", "ticket-triage")
    lab.click("#load-example")
    lab.wait_for_function(TOAST, arg="Loaded example ticket-triage")
    run_steps(lab, 150)  # 50 executions of route
    lab.wait_for_function(SUMMARY, arg="50 of")
    lab.click("#traces-search")
    lab.keyboard.press("Tab")
    assert focused(lab) == "traces-viewport"
    lab.keyboard.press("Tab")
    assert not focused(lab).startswith("row"), focused(lab)
    lab.keyboard.press("Shift+Tab")
    assert focused(lab) == "traces-viewport"
    lab.keyboard.press("ArrowDown")
    lab.wait_for_function("document.activeElement.dataset.seq === '50'")
    lab.keyboard.press("ArrowDown")
    lab.wait_for_function("document.activeElement.dataset.seq === '49'")
    lab.keyboard.press("End")
    lab.wait_for_function("document.activeElement.dataset.seq === '1'")
    lab.keyboard.press("Enter")
    lab.wait_for_function(DETAIL, arg="Execution 1 of route")
    lab.keyboard.press("Home")
    lab.wait_for_function("document.activeElement.dataset.seq === '50'")
    assert lab.evaluate("document.getElementById('traces-viewport').scrollTop") == 0


def test_ctrl_z_after_load_example_brings_back_the_text_typed(lab: Page):
    """Load example put the example's text in a new document: the machine the person had been
    editing was gone and Ctrl+Z did nothing. The text typed now comes back with Ctrl+Z."""
    lab.locator("#dsl .cm-line", has_text="evolution_stage").first.click()
    lab.keyboard.press("End")
    lab.keyboard.type(" // my change")
    edited = editor_text(lab)
    lab.select_option("#example-select", "sentiment")
    lab.click("#load-example")  # sentiment has not run: nothing is asked
    lab.wait_for_function(TOAST, arg="Loaded example sentiment")
    editor_holds(lab, 'machine "Review sentiment"')
    lab.locator("#dsl .cm-content").click()
    lab.keyboard.press("Control+z")
    assert editor_text(lab) == edited


def test_an_example_that_cannot_be_fetched_is_said(lab: Page):
    """With nothing loaded, picking an example whose file did not come (the server stopped, a
    file missing) changed nothing and said nothing: the error was lost in the page."""
    lab.click("#reset-all")
    lab.click("#reset-confirm")
    lab.wait_for_function(TOAST, arg="Everything was reset.")
    lab.route("**/examples/fact-check/*.machine", lambda route: route.fulfill(status=404))
    try:
        lab.select_option("#example-select", "fact-check")
        lab.wait_for_function(TOAST, arg="Could not show the example")
        assert "HTTP 404" in lab.inner_text("#toast")
        assert lab.evaluate("document.getElementById('toast').dataset.kind") == "error"
    finally:
        lab.unroute("**/examples/fact-check/*.machine")


def test_a_pick_answered_after_a_load_does_not_replace_the_loaded_text(lab: Page):
    """Nothing loaded, a pick fetches the example's text for the editor; when the load pressed
    meanwhile came first, the late text replaced the loaded machine's in the editor."""
    held = []
    lab.route("**/examples/sentiment/*.machine",
              lambda route: held.append(route) if not held else route.continue_())
    try:
        lab.select_option("#example-select", "sentiment")
        lab.click("#load-example")
        lab.wait_for_function(TOAST, arg="Loaded example sentiment")
        # The toast comes as the load returns, the page draws the loaded machine after it (the
        # editor may hold the same text before: Reset showed the example picked then).
        lab.wait_for_function("document.body.dataset.loaded === 'true'")
        editor_holds(lab, 'machine "Review sentiment"')
        assert len(held) == 1
        with lab.expect_request_finished(lambda r: "sentiment" in r.url):
            held[0].fulfill(status=200, body='machine "Late"\n')
        assert lab.evaluate("document.body.dataset.loaded") == "true"
        assert editor_text(lab).startswith('machine "Review sentiment"')
    finally:
        lab.unroute("**/examples/sentiment/*.machine")


def test_compare_with_one_version_saved_asks_for_a_second(lab: Page):
    """With one version saved, Compare compared it with itself (a table of '=' under
    'saved 05:26 → saved 05:26'); it now says to save a second one, and with two versions
    picked twice the same, to pick two different ones."""
    lab.select_option("#example-select", "ticket-triage")
    lab.click("#load-example")
    lab.wait_for_function(TOAST, arg="Loaded example ticket-triage")
    lab.click("#save-version")
    lab.wait_for_function(HERE_NOW)  # the version saved is where the machine is
    lab.click("#diff-btn")
    lab.wait_for_function(TOAST, arg="Save two versions to compare them.")
    assert lab.inner_text("#diff-view") == ""
    run_steps(lab, 3)
    lab.click("#save-version")
    lab.wait_for_function("document.querySelectorAll('#diff-a option').length === 2")
    first = lab.eval_on_selector("#diff-a", "s => s.options[0].value")
    second = lab.eval_on_selector("#diff-a", "s => s.options[1].value")
    lab.select_option("#diff-a", first)
    lab.select_option("#diff-b", second)
    lab.click("#diff-btn")
    lab.wait_for_selector("#diff-view table.diff")
    # then the same version twice: the comparison above does not stay beside the message
    # (a newcomer's tour)
    lab.select_option("#diff-b", first)
    lab.click("#diff-btn")
    lab.wait_for_function(TOAST, arg="Pick two different versions to compare.")
    assert lab.inner_text("#diff-view") == ""


def test_a_pattern_search_that_finds_nothing_does_not_say_there_are_none(lab: Page):
    """With a pattern saved, a search that matched none said 'No patterns yet: once a task has
    code, save it here', as if the pattern were gone."""
    lab.select_option("#until-stage", "hybrid")
    lab.click("#until-btn")
    lab.wait_for_function("document.getElementById('run-status').textContent"
                          ".startsWith('Stage reached')", timeout=300_000)
    lab.fill("#pattern-name", "my-router")
    lab.click("#pattern-save")
    lab.wait_for_selector("#patterns-list button[data-import='my-router']")
    lab.locator("#pattern-search").press_sequentially("billing-bot")
    lab.wait_for_function("document.getElementById('patterns-list').textContent"
                          ".startsWith('No patterns match “billing-bot”')")
    assert "yet" not in lab.inner_text("#patterns-list")
    assert "see all 1" in lab.inner_text("#patterns-list")
    lab.fill("#pattern-search", "")
    lab.wait_for_selector("#patterns-list button[data-import='my-router']")


def test_activity_follows_a_roll_back(lab: Page):
    """The activity list was redrawn only when the number of entries changed: rolling back
    from one stage change to a version with none (plus the roll back itself) kept the count,
    so the list still showed the stage change undone and not the roll back."""
    lab.wait_for_function("document.getElementById('activity').textContent.includes('→ Hybrid')")
    lab.locator("button[data-rollback]").first.click()
    lab.click("#rollback-confirm")  # the run to hybrid is in no version: asked first
    lab.wait_for_function(TOAST, arg="Rolled back")
    lab.wait_for_function("document.getElementById('activity').textContent"
                          ".includes('rolled back to')")
    assert "→ Hybrid" not in lab.inner_text("#activity")


def evolve_now(page: Page) -> None:
    page.click("#tasks button[data-action='evolve']")
    page.click("#promote-confirm")
    page.wait_for_function(TOAST, arg="route is now")
    page.wait_for_function("document.getElementById('code-meta').textContent.includes('version v')")


def test_open_shows_the_code_of_the_machine_opened(lab: Page):
    """Two machines with a task of the same name, each with its first code at hybrid: Open
    left the Generated code panel on the other machine's code (and Download .py saved it)."""
    run_steps(lab, 90)
    evolve_now(lab)
    first = lab.evaluate("window.evomachine.code('route').then((c) => c.source)")
    lab.locator("#dsl .cm-line").first.click()
    lab.keyboard.press("End")
    lab.keyboard.press("Backspace")
    lab.keyboard.type(' copy"')
    lab.keyboard.press("Control+Enter")
    lab.wait_for_function(TOAST, arg="Loaded Ticket triage copy")
    run_steps(lab, 180)
    evolve_now(lab)
    copy = lab.evaluate("window.evomachine.code('route').then((c) => c.source)")
    assert copy != first
    lab.locator("button[aria-label='Open machine Ticket triage']").click()
    lab.wait_for_function(TOAST, arg="Opened Ticket triage where it was left")
    lab.wait_for_function("(source) => document.querySelector('#code-view code').textContent"
                          " === source", arg=first)


def route_series(page: Page) -> dict:
    return page.evaluate("window.evomachine.state().then((s) => ({ executions:"
                         " s.tasks.route.execution_count, points: s.series.route.points.length,"
                         " changes: s.series.route.changes.map((c) => c.at) }))")


def test_open_draws_the_charts_of_the_machine_opened(lab: Page):
    """The task card's charts were redrawn when their number of points, last execution or
    number of stage changes changed: opening a machine whose task of the same name had run as
    far kept the other machine's curves (and their stage marks) on the card."""
    lab.locator("button[aria-label='Open machine Ticket triage copy']").click()
    lab.wait_for_function(TOAST, arg="Opened Ticket triage copy")
    editor_holds(lab, 'machine "Ticket triage copy"')
    copy = route_series(lab)  # 180 steps, its code since execution 60
    lab.locator("#dsl .cm-line").first.click()
    lab.keyboard.press("End")
    lab.keyboard.press("Backspace")
    lab.keyboard.type(' two"')
    lab.keyboard.press("Control+Enter")
    lab.wait_for_function(TOAST, arg="Loaded Ticket triage copy two")
    run_steps(lab, 90)
    evolve_now(lab)
    run_steps(lab, 90)
    two = route_series(lab)
    assert (two["points"], two["executions"], len(two["changes"])) == \
        (copy["points"], copy["executions"], len(copy["changes"]))
    assert two["changes"] != copy["changes"]
    lab.locator("button[aria-label='Open machine Ticket triage copy']").click()
    lab.wait_for_function(TOAST, arg="Opened Ticket triage copy")
    mark = f"Hybrid at execution {copy['changes'][-1]}"
    lab.wait_for_function("(m) => document.querySelector("
                          "'#tasks [data-chart=\"llm\"] .chart-summary').textContent.includes(m)",
                          arg=mark)


def test_a_data_set_of_one_record_is_one_record(lab: Page, tmp_path):
    """A one-record data file was 'Loaded 1 records from one.csv' and '1 records' beside it."""
    one = tmp_path / "one.csv"
    one.write_text("text,label\nmy invoice is wrong,billing\n", encoding="utf-8")
    lab.set_input_files("#data-file", str(one))
    lab.click("#replace-confirm")  # the machine has run: it starts again
    lab.wait_for_function(TOAST, arg="Loaded 1 record from one.csv")
    lab.wait_for_function("document.getElementById('data-info').textContent"
                          ".startsWith('one.csv: 1 record (text, label)')")


def test_view_code_by_keyboard_takes_the_focus_to_the_code(lab: Page):
    """View code scrolled the page to the generated code and left the focus on the card's
    button: the next Tab went to Evolve now and scrolled the page back up to the card."""
    lab.locator("#tasks button[data-action='code']").focus()
    lab.keyboard.press("Enter")
    lab.wait_for_function("document.activeElement.id === 'code-title'")
    lab.keyboard.press("Tab")
    assert lab.evaluate("document.activeElement.id") == "code-task"


def test_the_price_form_follows_the_model_in_use(lab: Page):
    """The price form took the model in use only while its Model field was empty: after
    Anthropic's claude-haiku-4-5 it kept that name when the settings moved to another model,
    while the note above said 'my-model is not in the table: set its price below'. And
    claude-haiku-4-5 (priced by the table's claude-haiku-4 row) came with empty prices."""
    lab.select_option("#llm-provider", "anthropic")
    lab.fill("#llm-key", "sk-test")
    lab.click("#apply-llm")
    lab.wait_for_function("document.getElementById('prices-note').textContent"
                          ".startsWith('claude-haiku-4-5 costs $1.00')")
    assert lab.input_value("#price-model") == "claude-haiku-4-5"
    assert (lab.input_value("#price-in"), lab.input_value("#price-out")) == ("1", "5")
    lab.select_option("#llm-provider", "openai")
    lab.fill("#llm-base-url", "http://127.0.0.1:9/v1")
    lab.fill("#llm-model", "my-model")
    lab.fill("#llm-key", "sk-test")
    lab.click("#apply-llm")
    lab.wait_for_function("document.getElementById('prices-note').textContent"
                          ".startsWith('my-model is not in the table')")
    assert lab.input_value("#price-model") == "my-model"
    assert lab.input_value("#price-in") == ""
    lab.fill("#price-model", "gpt-4o")  # a name typed there stays
    lab.select_option("#llm-provider", "simulated")
    lab.click("#apply-llm")
    lab.wait_for_function("document.getElementById('prices-note').textContent"
                          ".startsWith('The simulated LLM')")
    assert lab.input_value("#price-model") == "gpt-4o"


def test_ctrl_enter_on_one_problem_says_one_problem(lab: Page):
    """Ctrl+Enter on a machine with one problem said 'The machine has 1 problem(s)'."""
    lab.locator("#dsl .cm-line", has_text="evolution_stage").first.click()
    lab.keyboard.press("End")
    lab.keyboard.type(" @@")
    lab.wait_for_function("document.getElementById('dsl-status').textContent === '1 problem'")
    lab.keyboard.press("Control+Enter")
    lab.wait_for_function(TOAST, arg="The machine has 1 problem; see the list under the editor.")
    lab.keyboard.press("Control+z")
    lab.wait_for_function("document.getElementById('dsl-status').textContent === 'No problems'")


def test_one_execution_exported_is_one_execution(lab: Page):
    """Export CSV of one execution said 'Exported 1 executions as CSV.'"""
    run_steps(lab, 3)  # the one-record data set: one execution of route
    lab.wait_for_function(SUMMARY, arg="1 of 1")
    with lab.expect_download():
        lab.click("#traces-csv")
    lab.wait_for_function(TOAST, arg="Exported 1 execution as CSV.")


def test_a_reset_answered_after_a_load_does_not_replace_the_loaded_text(lab: Page):
    """Reset shows the picked example's text once it is fetched; when Load example came first,
    the late text replaced the loaded machine's in the editor (the audit's Reset race)."""
    assert lab.evaluate("document.body.dataset.loaded") == "true"
    lab.select_option("#example-select", "sentiment")  # something is loaded: nothing is fetched
    held = []
    lab.route("**/examples/sentiment/*.machine",
              lambda route: held.append(route) if not held else route.continue_())
    try:
        lab.click("#reset-all")
        lab.click("#reset-confirm")
        for _ in range(400):
            if held:
                break
            lab.wait_for_timeout(25)
        assert len(held) == 1  # Reset asked for the example's text
        lab.click("#load-example")
        lab.wait_for_function("document.body.dataset.loaded === 'true'")
        editor_holds(lab, 'machine "Review sentiment"')
        with lab.expect_request_finished(lambda r: "sentiment" in r.url):
            held[0].fulfill(status=200, body='machine "Late"\n')
        lab.wait_for_function(TOAST, arg="Everything was reset.")
        assert editor_text(lab).startswith('machine "Review sentiment"')
    finally:
        lab.unroute("**/examples/sentiment/*.machine")
