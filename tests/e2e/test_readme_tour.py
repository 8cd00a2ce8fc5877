"""README's "A five-minute tour" (steps 1-6), walked as written with the mouse alone.

One test on a desktop (1440x1000, mouse clicks), one on a phone-sized screen (390x844, touch:
taps). The keyboard only types text into a field or the editor; ``<select>`` is picked with
``select_option``; files are chosen through the file chooser the control opens.
``window.evomachine`` is only read, for assertions, never used to act. Every click is followed by
a check of what it visibly did, so a control that does nothing fails the test, and no request
may leave 127.0.0.1.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from _editor import editor_text
from playwright.sync_api import Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from conftest import LAB_READY, ROOT, guard_requests

pytestmark = pytest.mark.e2e

DESKTOP = {"viewport": {"width": 1440, "height": 1000}}
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
TITLE = "Ticket triage desk"  # the example's machine, its title edited in the editor
LONG = 120_000  # ms: the machine is shared by several agents; waits are generous, never asserted

# Where a document position of the editor is on screen (CodeMirror's own coordsAtPos): read only.
COORDS = """async (needle) => {
  const { EditorView } = await import('@codemirror/view');
  const view = EditorView.findFromDOM(
    document.getElementById('dsl').shadowRoot.querySelector('.cm-editor'));
  const at = view.state.doc.toString().indexOf(needle);
  if (at < 0) return null;
  const c = view.coordsAtPos(at + needle.length);
  return c && { x: c.left + 1, y: (c.top + c.bottom) / 2 };
}"""


# Each line number drawn in the gutter, and how far (px) it sits from its line of text: read only.
DRIFT = """() => {
  const root = document.getElementById('dsl').shadowRoot;
  const lines = [...root.querySelectorAll('.cm-content .cm-line')];
  return [...root.querySelectorAll('.cm-lineNumbers .cm-gutterElement')]
    .filter((el) => /^\\d+$/.test(el.textContent.trim()) && lines[Number(el.textContent) - 1])
    .map((el) => [Number(el.textContent), Math.round(el.getBoundingClientRect().top
      - lines[Number(el.textContent) - 1].getBoundingClientRect().top)]);
}"""


def gutter_is_level(page: Page) -> None:
    """Scrolled into view (off screen, CodeMirror leaves line heights estimated until it is
    seen), each line number in the gutter is level with its line of text."""
    page.locator("#editor").scroll_into_view_if_needed()
    try:
        page.wait_for_function(f"() => {{ const d = ({DRIFT})();"
                               " return d.length && d.every((p) => Math.abs(p[1]) <= 2); }",
                               timeout=LONG)
    except PlaywrightTimeoutError:
        raise AssertionError("line numbers off their lines (line, px): "
                             f"{page.evaluate(DRIFT)}") from None


def state(page: Page) -> dict:
    return page.evaluate("window.evomachine.state()")


class Person:
    """Acts on the page as a person does: the mouse on a desktop, a finger on a phone."""

    def __init__(self, page: Page, touch: bool) -> None:
        self.page = page
        self.touch = touch

    def press(self, selector: str) -> None:
        """Click (or tap) the one element ``selector`` matches."""
        target = self.page.locator(selector)
        expect(target).to_have_count(1)
        target.scroll_into_view_if_needed()
        if self.touch:
            target.tap()
        else:
            target.click()

    def point(self, x: float, y: float) -> None:
        if self.touch:
            self.page.touchscreen.tap(x, y)
        else:
            self.page.mouse.click(x, y)

    def hover(self, x: float, y: float) -> None:
        """Rest the pointer at (x, y): the mouse moves there, a finger touches there."""
        if self.touch:
            self.page.touchscreen.tap(x, y)
        else:
            self.page.mouse.move(x, y)

    def type_into(self, selector: str, text: str) -> None:
        """Press a field and type ``text`` over what it holds."""
        self.press(selector)
        self.page.locator(selector).fill(text)

    def choose(self, selector: str, value: str) -> None:
        self.page.locator(selector).scroll_into_view_if_needed()
        self.page.select_option(selector, value)

    def pick_file(self, selector: str, path: Path) -> None:
        with self.page.expect_file_chooser() as chooser:
            self.press(selector)
        chooser.value.set_files(str(path))

    def download(self, selector: str, into: Path) -> Path:
        with self.page.expect_download(timeout=LONG) as download:
            self.press(selector)
        path = into / download.value.suggested_filename
        download.value.save_as(str(path))
        return path


def toast(page: Page, text: str) -> None:
    """The toast says ``text`` (a failure names what it said instead)."""
    expect(page.locator("#toast")).to_contain_text(text, timeout=LONG)


def status_starts(page: Page, prefix: str) -> str:
    page.wait_for_function(
        "(p) => document.getElementById('run-status').textContent.startsWith(p)",
        arg=prefix, timeout=LONG * 3)
    return page.inner_text("#run-status")


def no_sideways_scroll(page: Page) -> None:
    width = page.viewport_size["width"]
    assert page.evaluate("document.documentElement.scrollWidth") <= width


def shows_stage(page: Page, task: str) -> str:
    """The task's card shows the stage the engine has it at (badge and timeline); returns it."""
    stage = state(page)["stages"][task]
    card = page.locator(f".task-card[data-task='{task}']")
    expect(card.locator(f"[data-field='badge'][data-stage='{stage}']")).not_to_have_text("",
                                                                                      timeout=LONG)
    expect(card.locator(".timeline li[aria-current='step']")).to_have_attribute(
        "data-stage", stage)
    return stage


def tickets_csv(path: Path, rows: int) -> Path:
    """The first ``rows`` records of the ticket-triage example, as a CSV file with a header."""
    lines = (ROOT / "examples/ticket-triage/data.jsonl").read_text().splitlines()[:rows]
    with path.open("w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["text", "label"])
        for line in lines:
            record = json.loads(line)
            writer.writerow([record["text"], record["label"]])
    return path


def open_lab(browser, server, options: dict) -> Iterator[Page]:
    """A new browser context (empty storage) on the lab, booted; on teardown no request has
    left 127.0.0.1 and the page raised no error."""
    context = browser.new_context(accept_downloads=True, **options)
    log = guard_requests(context)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(server.url)
    page.wait_for_function(LAB_READY, timeout=LONG)
    assert page.evaluate("document.body.dataset.ready") == "true", page.inner_text("#boot-error")
    yield page
    context.close()
    assert log.foreign() == [], f"requests left 127.0.0.1: {log.foreign()}"
    assert errors == [], errors


@pytest.fixture
def desktop(browser, server) -> Iterator[Page]:
    yield from open_lab(browser, server, DESKTOP)


@pytest.fixture
def phone(browser, server) -> Iterator[Page]:
    yield from open_lab(browser, server, PHONE)


def step1_served(page: Page) -> None:
    """1. Served: the boot bar named its phases; no sideways scrolling at this width."""
    for phase in ("runtime", "packages", "engine"):
        expect(page.locator(f"#boot-phases [data-phase='{phase}'] .phase-time")
               ).to_have_text(re.compile(r"^\d+\.\d\d s$"))
    assert page.locator("#serve-hint").count() == 0
    no_sideways_scroll(page)


def step2_machine(page: Page, me: Person, tmp: Path) -> None:
    """2. Load the example with the buttons; edit it, press Load machine; upload a CSV file."""
    me.choose("#example-select", "ticket-triage")
    expect(page.locator("#example-description")).to_contain_text("records")
    me.press("#load-example")
    page.wait_for_selector(".task-card[data-task='route']", timeout=LONG)
    expect(page.locator("#data-info")).to_contain_text("2,500 records")
    toast(page, "Loaded example ticket-triage")

    # Click into the editor after the machine's title and type: a machine of its own
    # (machines are kept by title), so the example as loaded stays in the Machines list.
    page.locator("#editor").scroll_into_view_if_needed()
    spot = page.evaluate(COORDS, 'machine "Ticket triage')
    assert spot, "the editor does not show the example's title"
    me.point(spot["x"], spot["y"])
    page.keyboard.type(" desk")
    assert editor_text(page).startswith('machine "Ticket triage desk"')
    expect(page.locator("#dsl-status")).to_contain_text("press Load machine", timeout=LONG)
    me.press("#apply-dsl")
    toast(page, f"Loaded {TITLE}")
    page.wait_for_function("(t) => window.evomachine.state().then((s) => s.machine.title === t)",
                           arg=TITLE, timeout=LONG)
    expect(page.locator("#dsl-status")).to_have_text("No problems")
    expect(page.locator("#data-info")).to_contain_text("2,500 records")  # the data set was kept

    # Your own data set, through the file control below the editor.
    me.pick_file("#data-file", tickets_csv(tmp / "tickets.csv", 600))
    expect(page.locator("#data-info")).to_contain_text("tickets.csv: 600 records", timeout=LONG)
    toast(page, "Loaded 600 records from tickets.csv")
    assert state(page)["dataset"]["count"] == 600


def step3_llm(page: Page, me: Person, tmp: Path) -> None:
    """3. Simulated LLM settings, then Use these settings."""
    me.choose("#llm-provider", "simulated")
    expect(page.locator("#llm-accuracy")).to_be_visible()
    me.type_into("#llm-accuracy", "0.95")
    me.type_into("#llm-latency", "40")
    page.locator("#llm-wait").scroll_into_view_if_needed()
    if not page.locator("#llm-wait").is_checked():  # sleep the latency: the run lasts to Pause it
        me.press("#llm-wait")
    expect(page.locator("#llm-wait")).to_be_checked()
    me.press("#apply-llm")
    expect(page.locator("#llm-status")).to_contain_text("95%", timeout=LONG)
    expect(page.locator("#llm-status")).to_contain_text("~40 ms")
    llm = state(page)["llm"]
    assert (llm["provider"], llm["accuracy"], llm["latency_ms"], llm["wait"]) == \
        ("simulated", 0.95, 40, True), llm


def step4_run(page: Page, me: Person, tmp: Path) -> None:
    """4. Run 300 steps, Pause it mid-run, Run again."""
    me.type_into("#run-count", "300")
    me.press("#run-btn")
    expect(page.locator("#run-status")).to_contain_text("Running 300 steps", timeout=LONG)
    page.wait_for_function(
        "!document.getElementById('pause-btn').disabled && document.querySelector("
        "'.run-progress').getAttribute('aria-valuenow') !== '0'", timeout=LONG)
    me.press("#pause-btn")
    text = status_starts(page, "Paused after")
    paused = state(page)["step_count"]
    assert 0 < paused < 300, text
    expect(page.locator("#run-btn")).to_be_enabled(timeout=LONG)
    expect(page.locator("#run-position")).to_contain_text(f"{paused} steps", timeout=LONG)
    me.press("#run-btn")
    status_starts(page, "Done after 300 steps")
    assert state(page)["step_count"] == paused + 300
    assert page.get_attribute(".run-progress", "aria-valuenow") == "100"
    # 300 steps are about 100 executions: route may or may not have code yet. Run until it has
    # (at once when it has: the run stops at its first route execution), for step 5's code.
    me.choose("#until-stage", "hybrid")
    me.press("#until-btn")
    status_starts(page, "Stage reached")
    assert state(page)["stages"]["route"] != "llm_only"


def step5_watch(page: Page, me: Person, tmp: Path) -> None:
    """5. The task card: stage, figures, charts; View code and its .py download."""
    card = page.locator(".task-card[data-task='route']")
    shows_stage(page, "route")
    executions = card.locator("dd[data-field='executions']")
    expect(executions).not_to_have_text("—", timeout=LONG)
    assert int(executions.inner_text().replace(",", "")) > 0
    for field in ("llm_rate", "accuracy", "cpe"):
        expect(card.locator(f"dd[data-field='{field}']")).not_to_have_text("—")
    expect(card.locator("[data-field='charts'] canvas").first).to_be_attached(timeout=LONG)
    assert card.locator("[data-field='charts'] canvas").count() >= 3
    readout = card.locator(".chart-readout").first
    expect(readout).to_contain_text("latest", timeout=LONG)
    # Hover (a finger: touch) for values: the readout names the point under it.
    plot = card.locator("[data-field='charts'] .u-over").first
    plot.scroll_into_view_if_needed()
    box = plot.bounding_box()
    me.hover(box["x"] + box["width"] * 0.3, box["y"] + box["height"] / 2)
    expect(readout).not_to_contain_text("latest", timeout=LONG)
    expect(readout).to_contain_text("at execution")
    # The engine's sentences name stages the page's way ("Code first needs", not "code_first").
    words = card.locator("[data-field='next']")
    expect(words).to_contain_text("Next: ", timeout=LONG)
    said = words.inner_text() + card.locator("[data-field='figures']").inner_text()
    assert not re.search(r"llm_only|code_first|code_only", said), said
    # The diagram highlights the current node (one, the one the engine is at).
    expect(page.locator("#diagram .node.current")).to_have_count(1, timeout=LONG)
    expect(page.locator("#diagram .node.current")).to_have_attribute(
        "data-node", state(page)["current_node"])
    assert state(page)["stages"]["route"] != "llm_only", \
        f"after {state(page)['step_count']} steps route has no code: View code shows nothing"
    me.press(".task-card[data-task='route'] [data-action='code']")
    page.wait_for_function("document.querySelector('#code-view code').textContent"
                           ".includes('def execute')", timeout=LONG)
    expect(page.locator("#code-meta")).to_contain_text("route")
    expect(page.locator("#code-meta table.scores tbody tr").first).to_be_visible()
    assert page.locator("#code-meta table.scores tbody tr").count() >= 2  # every candidate
    # ✓ marks the winner only where the scores are the shown version's own
    caption = page.locator("#code-meta table.scores caption").inner_text()
    marks = "".join(page.locator("#code-meta table.scores tbody th").all_inner_texts())
    assert ("✓" in marks) == ("that wrote" in caption) != ("not the code shown" in marks), \
        (caption, marks)
    source = me.download("#code-download", tmp).read_text()
    assert "def execute" in source


def step6_keep(page: Page, me: Person, tmp: Path) -> None:
    """6. Versions, a pattern, Export / Reset / Import, the report, the Machines panel."""
    # Versions: save, run on, save again, compare, roll back to the first.
    me.type_into("#version-label", "tour one")
    me.press("#save-version")
    expect(page.locator("#versions-body tr.head")).to_contain_text("tour one", timeout=LONG)
    first = state(page)["step_count"]
    me.type_into("#run-count", "30")
    me.press("#run-btn")
    status_starts(page, "Done after 30 steps")
    me.type_into("#version-label", "tour two")
    me.press("#save-version")
    expect(page.locator("#versions-body tr.head")).to_contain_text("tour two", timeout=LONG)
    ids = {v["label"]: v["id"] for v in state(page)["versions"]}
    me.choose("#diff-a", ids["tour one"])
    me.choose("#diff-b", ids["tour two"])
    me.press("#diff-btn")
    expect(page.locator("#diff-view table.diff").first).to_be_visible(timeout=LONG)
    expect(page.locator("#diff-view")).to_contain_text("route")
    me.press("#versions-body button[data-rollback][aria-label*='tour one']")
    toast(page, "Rolled back")
    page.wait_for_function("(n) => window.evomachine.state().then((s) => s.step_count === n)",
                           arg=first, timeout=LONG)
    expect(page.locator("#run-position")).to_contain_text(f"{first} steps", timeout=LONG)

    # Patterns: save the route task's code (imported into another machine's task below).
    me.choose("#pattern-task", "route")
    me.type_into("#pattern-name", "tour-router")
    me.press("#pattern-save")
    toast(page, "Saved pattern tour-router")
    expect(page.locator("#patterns-list button[data-import='tour-router']")).to_have_count(1)

    # Export, Reset (asked first, answered with the mouse), Import the file exported.
    exported = me.download("#export-all", tmp)
    assert json.loads(exported.read_text())["format"] == "evomachine.lab"
    toast(page, "Exported")
    me.press("#reset-all")
    expect(page.locator("#app-dialog")).to_be_visible()
    me.press("#reset-confirm")
    toast(page, "Everything was reset")
    page.wait_for_function("window.evomachine.state().then((s) => !s.loaded)", timeout=LONG)
    expect(page.locator(".task-card")).to_have_count(0)
    # Reset forgets it all: nothing of the old run is left on the page.
    for selector, text in (("#machines-body", "No machines yet"), ("#patterns-list", "No patterns"),
                           ("#data-info", "No data loaded"), ("#versions-body", "No versions yet")):
        expect(page.locator(selector)).to_contain_text(text, timeout=LONG)
    for selector in ("#versions-body button", "#diff-view table", "#code-meta table"):
        expect(page.locator(selector)).to_have_count(0)
    expect(page.locator("#run-status")).not_to_contain_text("after", timeout=LONG)
    expect(page.locator("#code-view code")).to_have_text("")
    me.pick_file("#import-label", exported)
    toast(page, f"Imported {exported.name}")
    page.wait_for_function("(n) => window.evomachine.state().then((s) => s.loaded && "
                           "s.step_count === n)", arg=first, timeout=LONG)
    page.wait_for_selector(".task-card[data-task='route']", timeout=LONG)
    expect(page.locator("#data-info")).to_contain_text("600 records")

    # Download report: one HTML file without script.
    report = me.download("#report-download", tmp).read_text()
    assert TITLE in report and "<script" not in report.lower()
    # stages over time, inline SVG charts, the task's metrics, the generated code
    assert "<svg" in report and "route" in report and "def execute" in report

    # Machines: the example as first loaded is kept beside the edited one. Open it, import the
    # pattern into its task (re-checked there), then come back: the first kept its run.
    kept = state(page)
    rows = page.locator("#machines-body tr")
    expect(rows).to_have_count(2, timeout=LONG)
    expect(page.locator("#machines-body tr.head")).to_contain_text(TITLE)
    me.press("#machines-body tr:not(.head) button[data-open-machine]")
    toast(page, "Opened Ticket triage where it was left")
    page.wait_for_function("window.evomachine.state().then((s) => s.machine.title === "
                           "'Ticket triage')", timeout=LONG)
    expect(page.locator("#machines-body tr.head")).not_to_contain_text(TITLE, timeout=LONG)
    me.choose("#patterns-list select[id^='pattern-into-']", "route")
    me.press("#patterns-list button[data-import='tour-router']")
    toast(page, "Imported tour-router into route")
    assert "pattern_import" in [m["type"] for m in state(page)["mutations"]]
    shows_stage(page, "route")
    # The imported code is a model the JavaScript export knows: its .mjs downloads as well.
    me.press(".task-card[data-task='route'] [data-action='code']")
    expect(page.locator("#code-meta")).to_contain_text("pattern:tour-router", timeout=LONG)
    assert "export function execute(input)" in me.download("#code-download-js", tmp).read_text()
    # A machine whose tasks cannot give the pattern's answers is not offered it, and says why.
    me.choose("#example-select", "sentiment")
    me.press("#load-example")
    page.wait_for_function("window.evomachine.state().then((s) => s.example === 'sentiment')",
                           timeout=LONG)
    expect(rows).to_have_count(3, timeout=LONG)
    expect(page.locator("#patterns-list")).to_contain_text("nothing to import it into",
                                                           timeout=LONG)
    expect(page.locator("#patterns-list button[data-import='tour-router']")).to_have_count(0)
    # Back to the first machine: its run, data and charts are as it was left.
    me.press(f"#machines-body tr:has-text('{TITLE}') button[data-open-machine]")
    toast(page, f"Opened {TITLE} where it was left")
    page.wait_for_function("(t) => window.evomachine.state().then((s) => s.machine.title === t)",
                           arg=TITLE, timeout=LONG)
    back = state(page)
    for key in ("step_count", "input_cursor", "dataset", "stages", "dsl"):
        assert back[key] == kept[key], key
    expect(page.locator("#run-position")).to_contain_text(f"{first} steps", timeout=LONG)
    expect(page.locator(".task-card[data-task='route'] [data-field='charts'] canvas").first
           ).to_be_attached(timeout=LONG)
    # Reload: the page comes back where it was (IndexedDB).
    page.reload()
    page.wait_for_function(LAB_READY, timeout=LONG)
    page.wait_for_function("(t) => window.evomachine.state().then((s) => s.machine.title === t)",
                           arg=TITLE, timeout=LONG)
    assert state(page)["step_count"] == first
    expect(page.locator("#run-position")).to_contain_text(f"{first} steps", timeout=LONG)
    expect(page.locator("#machines-body tr")).to_have_count(3, timeout=LONG)
    gutter_is_level(page)


def walk_the_tour(page: Page, touch: bool, tmp: Path) -> None:
    me = Person(page, touch)
    step1_served(page)
    for step in (step2_machine, step3_llm, step4_run, step5_watch, step6_keep):
        step(page, me, tmp)
        no_sideways_scroll(page)


def test_the_tour_with_the_mouse_on_a_desktop(desktop, tmp_path: Path):
    walk_the_tour(desktop, False, tmp_path)


def test_the_tour_with_taps_on_a_phone(phone, tmp_path: Path):
    walk_the_tour(phone, True, tmp_path)
