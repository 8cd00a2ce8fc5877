"""The lab page in Chromium: the whole journey through the real controls and window.evomachine.

One page is booted per module and the tests run in file order on it (the journey
is one story: load, run, code, version, reload, rollback, export, import).
Screenshots land in test-results/ as artifacts.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from _editor import editor_selection, editor_text, gutter_lines

from conftest import ROOT, guard_requests, run_under_way

pytestmark = pytest.mark.e2e

SHOTS = ROOT / "test-results"
READY = "document.body.dataset.ready === 'true' || document.body.dataset.ready === 'failed'"


def shot(page, name: str) -> None:
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / f"lab-{name}.png"), full_page=True)


def boot(page, url: str) -> None:
    page.goto(url)
    page.wait_for_function(READY, timeout=120_000)
    assert page.evaluate("document.body.dataset.ready") == "true", page.inner_text("#boot-error")
    page.evaluate("window.evomachine.ready")


def state(page) -> dict:
    return page.evaluate("window.evomachine.state()")


@pytest.fixture(scope="module")
def lab(browser, server):
    context = browser.new_context(viewport={"width": 1440, "height": 1000})
    log = guard_requests(context)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("dialog", lambda dialog: dialog.accept())
    boot(page, server.url)
    page.evaluate("window.evomachine.reset()")
    yield page
    context.close()
    assert log.foreign() == [], f"requests left 127.0.0.1: {log.foreign()}"
    assert errors == [], errors


def test_the_api_is_there_when_ready(lab):
    names = lab.evaluate("Object.keys(window.evomachine)")
    for name in ("ready", "version", "examples", "loadExample", "load", "setLLM", "step", "run",
                 "state", "saveVersion", "rollback", "exportState", "importState", "pause",
                 "reset"):
        assert name in names
    assert lab.evaluate("window.evomachine.examples()") == [
        "ticket-triage", "sentiment", "entity-normalisation", "fact-check", "spam-assassin"]
    lab.locator("#lab").wait_for(state="visible")
    lab.locator("#boot").wait_for(state="hidden")
    assert lab.evaluate("window.evomachine.step(1).then(() => 'ok', (e) => e.message)") \
        .startswith("no machine is loaded")


# What the journey reached, for the later steps (when a stage changes is the engine's business).
JOURNEY: dict = {}


def test_journey_load_run_to_hybrid_and_see_the_code(lab):
    lab.select_option("#example-select", "ticket-triage")
    lab.click("#load-example")
    lab.wait_for_function("window.evomachine.state().then((s) => s.loaded)")
    lab.wait_for_selector(".task-card[data-task='route']")
    assert "2,500 records" in lab.inner_text("#data-info")
    lab.select_option("#llm-provider", "simulated")
    lab.fill("#llm-accuracy", "0.97")
    lab.fill("#llm-latency", "300")
    lab.click("#apply-llm")
    lab.wait_for_function("document.getElementById('llm-status').textContent.includes('97%')")
    lab.fill("#run-count", "300")
    lab.click("#run-btn")
    lab.wait_for_function(
        "document.getElementById('run-status').textContent.startsWith('Done after 300')",
        timeout=60_000)
    assert state(lab)["step_count"] == 300
    assert "steps/s" in lab.inner_text("#run-rate")
    if state(lab)["stages"] != {"route": "hybrid"}:  # not there yet: run until it is
        lab.select_option("#until-stage", "hybrid")
        lab.click("#until-btn")
        lab.wait_for_function(
            "document.getElementById('run-status').textContent.startsWith('Stage reached')",
            timeout=120_000)
    current = state(lab)
    assert current["stages"] == {"route": "hybrid"}
    JOURNEY.update(steps=current["step_count"],
                   executions=current["metrics"]["route"]["execution_count"],
                   hybrid_at=current["series"]["route"]["changes"][-1]["at"])
    badge = lab.locator(".task-card[data-task='route'] .stage-badge")
    assert badge.inner_text() == "Hybrid"
    assert lab.locator(".task-card .timeline li[aria-current='step']").inner_text() == "Hybrid"
    lab.click(".task-card[data-task='route'] [data-action='code']")
    lab.wait_for_function(
        "document.querySelector('#code-view code').textContent.includes('def execute')")
    assert lab.inner_text("[data-field='code-version']") == current["tasks"]["route"]["code"][
        "version"]
    assert "held-out agreement" in lab.inner_text("#code-meta")
    assert lab.locator(".scores tr.selected").count() == 1
    assert not lab.locator("#code-download").is_disabled()
    with lab.expect_download() as download:
        lab.click("#code-download")
    assert download.value.suggested_filename.endswith(".py")
    lab.wait_for_function(
        "[...document.querySelectorAll('.chart')].every((f) => f.dataset.stageMarks === '1')")
    assert lab.locator(".chart .chart-plot canvas").count() == 3
    assert lab.evaluate(STAGE_MARKS_DRAWN) == ["#6d28d9"] * 3
    summaries = lab.locator(".chart .chart-summary").all_inner_texts()
    assert len(summaries) == 3
    assert all(f"Hybrid at execution {JOURNEY['hybrid_at']}" in text for text in summaries), \
        summaries
    assert lab.locator(".diagram .node.current").count() == 1
    shot(lab, "after-300-steps")


def test_journey_save_version_reload_and_state_is_back(lab, server):
    lab.fill("#version-label", "hybrid reached")
    lab.click("#save-version")
    lab.wait_for_selector("#versions-body tr.head")
    before = state(lab)
    assert len(before["versions"]) == 1
    boot(lab, server.url)
    after = state(lab)
    for key in ("dsl", "example", "stages", "step_count", "input_cursor", "current_node",
                "versions", "series", "dataset"):
        assert after[key] == before[key], key
    assert after["metrics"]["route"]["execution_count"] == JOURNEY["executions"]
    lab.wait_for_selector(".task-card[data-task='route']")
    assert lab.locator(".task-card .stage-badge").inner_text() == "Hybrid"
    assert editor_text(lab) == before["dsl"]
    assert "hybrid reached" in lab.inner_text("#versions-body")
    shot(lab, "after-reload")


def test_journey_roll_back_through_the_versions_panel(lab):
    lab.evaluate("document.querySelector('.chart canvas').dataset.probe = 'kept'")
    lab.evaluate("window.evomachine.run(60)")
    assert state(lab)["step_count"] == JOURNEY["steps"] + 60
    last = state(lab)["series"]["route"]["points"][-1][0]
    lab.wait_for_function("(n) => document.querySelector('.chart .chart-summary').textContent"
                          ".includes(`over ${n} executions`)", arg=last)
    # The charts took the new points in place: same canvases, no extra uPlot instances.
    assert lab.locator(".chart canvas[data-probe='kept']").count() == 1
    assert lab.locator(".task-card .uplot").count() == 3
    lab.click("#versions-body button[data-rollback]")
    lab.click("#rollback-confirm")  # the 60 steps since are in no version: asked first
    lab.wait_for_function("(n) => window.evomachine.state().then((s) => s.step_count === n)",
                          arg=JOURNEY["steps"])
    current = state(lab)
    assert current["stages"] == {"route": "hybrid"}
    assert [m["type"] for m in current["mutations"]][-1] == "rollback"
    lab.wait_for_function("document.getElementById('activity').textContent.includes('rolled back')")


def test_journey_export_reset_and_import(lab):
    exported = lab.evaluate("window.evomachine.exportState()")
    document = json.loads(exported)
    assert document["format"] == "evomachine.lab"
    before = state(lab)
    lab.click("#reset-all")
    dialog = lab.locator("#app-dialog")
    dialog.wait_for(state="visible")
    assert "IndexedDB database “evomachine”" in dialog.inner_text()  # it says what it deletes
    lab.click("#reset-confirm")
    lab.wait_for_function("window.evomachine.state().then((s) => !s.loaded)")
    lab.locator(".empty").wait_for(state="visible")  # the page redraws after the state says so
    restored = lab.evaluate("(text) => window.evomachine.importState(text)", exported)
    assert restored["step_count"] == before["step_count"]
    assert restored["stages"] == before["stages"]
    assert [v["id"] for v in restored["versions"]] == [v["id"] for v in before["versions"]]
    lab.wait_for_selector(".task-card[data-task='route']")
    shot(lab, "after-import")


def test_import_through_the_file_control(lab, tmp_path: Path):
    exported = lab.evaluate("window.evomachine.exportState()")
    path = tmp_path / "state.json"
    path.write_text(exported)
    lab.evaluate("window.evomachine.reset()")
    lab.set_input_files("#import-file", str(path))
    lab.wait_for_function(
        "(n) => window.evomachine.state().then((s) => s.loaded && s.step_count === n)",
        arg=JOURNEY["steps"])


def test_dsl_errors_are_marked_and_clicking_one_moves_the_caret(lab):
    broken = 'machine "Broken"\nTask route {\n    prompt: "x"\n    output<"a" | "b">;\n}\n'
    lab.locator("#dsl .cm-content").click()
    lab.keyboard.press("Control+A")
    lab.keyboard.insert_text(broken)
    lab.wait_for_selector("#dsl-errors .error-link")
    message = lab.locator("#dsl-errors .error-link").first.inner_text()
    assert message.startswith("Line ")
    line = int(message.split()[1].rstrip(","))
    column = int(message.split()[3].rstrip(":"))
    assert line in gutter_lines(lab, ".cm-lint-marker-error")  # the marker beside its line
    assert lab.locator("#dsl .cm-lintRange-error, #dsl .cm-lintPoint-error").count() >= 1
    lab.locator("#dsl-errors .error-link").first.click()
    caret = editor_selection(lab)
    lines = broken.split("\n")
    assert (caret["line"], caret["column"]) == (line, min(column, len(lines[line - 1]) + 1))
    assert lab.evaluate("document.activeElement.id") == "dsl"
    shot(lab, "dsl-errors")
    lab.keyboard.press("Control+Enter")
    lab.wait_for_function("!document.getElementById('toast').hidden")
    assert state(lab)["machine"]["title"] == "Ticket triage"  # the broken text was not loaded


def test_keyboard_shortcuts_step_and_run(lab):
    lab.locator("h1").click()
    steps = state(lab)["step_count"]
    lab.keyboard.press("s")
    lab.wait_for_function(f"window.evomachine.state().then((s) => s.step_count === {steps + 1})")
    assert "S" in lab.inner_text("#shortcuts")


def test_long_runs_stay_responsive_and_pause(lab):
    lab.evaluate("() => { window.__run = window.evomachine.run(100000); }")
    run_under_way(lab, 100000)
    # The engine runs in its Worker: the page keeps drawing frames while it works. Counted,
    # not timed (frame gaps are a bench/ui.py figure): 40 frames arrive during the run.
    frames_while_running = lab.evaluate("""() => new Promise((resolve) => {
        let frames = 0;
        function tick() {
          frames += 1;
          if (frames < 40) requestAnimationFrame(tick);
          else resolve(window.evomachine.isRunning() ? frames : -frames);
        }
        requestAnimationFrame(tick);
    })""")
    assert frames_while_running == 40
    lab.click("#pause-btn")
    result = lab.evaluate("window.__run")
    assert result["reason"] == "paused"
    assert 0 < result["steps"] < 100000
    assert "Paused" in lab.inner_text("#run-status")


def test_upload_csv_data(lab, tmp_path: Path):
    path = tmp_path / "tickets.csv"
    path.write_text("text,label\n\"My invoice is wrong\",billing\n\"The app crashes\",tech\n"
                    "\"Do you offer discounts?\",sales\n")
    lab.set_input_files("#data-file", str(path))
    lab.click("#replace-confirm")  # the machine has run: new records start it again, it asks
    lab.wait_for_function("document.getElementById('data-info').textContent.includes('3 records')")
    result = lab.evaluate("window.evomachine.run(20)")
    assert result["reason"] == "halted"
    assert state(lab)["metrics"]["route"]["execution_count"] == 3


def test_the_api_key_is_never_stored_unless_remembered_and_never_exported(lab):
    secret = "sk-ant-test-0123456789"
    lab.evaluate("""(key) => window.evomachine.setLLM({provider: 'anthropic', model: 'claude-x',
                    api_key: key, remember: false})""", secret)
    assert lab.evaluate("localStorage.getItem('evomachine:llm-key')") is None
    assert secret not in lab.evaluate("window.evomachine.exportState()")
    lab.select_option("#llm-provider", "anthropic")
    lab.fill("#llm-model", "claude-x")
    lab.fill("#llm-key", secret)
    lab.check("#llm-remember")
    lab.click("#apply-llm")
    lab.wait_for_function("localStorage.getItem('evomachine:llm-key') !== null")
    assert secret in lab.evaluate("localStorage.getItem('evomachine:llm-key')")
    assert secret not in lab.evaluate("window.evomachine.exportState()")
    assert state(lab)["llm"]["has_key"] is True
    lab.evaluate("window.evomachine.setLLM({provider: 'simulated', accuracy: 0.97})")
    lab.evaluate("localStorage.removeItem('evomachine:llm-key')")


def test_patterns_save_and_import_through_the_panel(lab):
    lab.evaluate("window.evomachine.loadExample('ticket-triage')")
    lab.evaluate("window.evomachine.runUntil('hybrid')")
    lab.select_option("#pattern-task", "route")
    lab.fill("#pattern-name", "ticket-router")
    lab.click("#pattern-save")
    lab.wait_for_selector("#patterns-list button[data-import='ticket-router']")
    lab.click("#patterns-list button[data-import='ticket-router']")
    lab.wait_for_function(
        "document.getElementById('toast').textContent.includes('Imported ticket-router')")
    kinds = [m["type"] for m in state(lab)["mutations"]]
    assert "pattern_import" in kinds
    # A machine none of whose tasks allows "sales" is not offered the router (a mouse user's
    # session: the Import button was there and the engine refused after the click).
    narrow = lab.evaluate("window.evomachine.state()")["dsl"].replace(
        '| "sales">', '>').replace('machine "Ticket triage"', 'machine "Two queues"')
    lab.evaluate("(text) => window.evomachine.load(text)", narrow)
    lab.wait_for_function("document.getElementById('patterns-list').textContent"
                          ".includes('nothing to import it into')")
    assert lab.locator("#patterns-list button[data-import='ticket-router']").count() == 0
    lab.evaluate("window.evomachine.loadExample('ticket-triage')")
    lab.wait_for_selector("#patterns-list button[data-import='ticket-router']")


# Per chart, whether its canvas shows the hybrid colour (the dashed marker) around the x the
# marker plugin reports.
STAGE_MARKS_DRAWN = """() => [...document.querySelectorAll('.chart')].map((figure) => {
  const canvas = figure.querySelector('.chart-plot canvas');
  const ratio = canvas.width / canvas.getBoundingClientRect().width;
  const x = Math.round(parseFloat(figure.dataset.markX) * ratio);
  const band = canvas.getContext('2d').getImageData(x - 2, 0, 5, canvas.height).data;
  for (let i = 0; i < band.length; i += 4) {
    const [r, g, b, a] = band.slice(i, i + 4);
    const near = Math.abs(r - 0x6d) + Math.abs(g - 0x28) + Math.abs(b - 0xd9) < 30;
    if (near && a > 128) return '#6d28d9';
  }
  return 'no marker';
})"""

CONTRAST = """() => {
  function rgb(text) { const m = text.match(/[\\d.]+/g) || []; return m.map(Number); }
  function lum([r, g, b]) {
    const f = (c) => { c /= 255; return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
  }
  function background(el) {
    for (let e = el; e; e = e.parentElement) {
      const c = rgb(getComputedStyle(e).backgroundColor);
      if (c.length === 3 || (c.length === 4 && c[3] > 0.5)) return c.slice(0, 3);
    }
    return [255, 255, 255];
  }
  const bad = [];
  const walker = document.createTreeWalker(document.getElementById('lab'), NodeFilter.SHOW_TEXT);
  const seen = new Set();
  while (walker.nextNode()) {
    const el = walker.currentNode.parentElement;
    if (!walker.currentNode.textContent.trim() || seen.has(el)) continue;
    seen.add(el);
    if (el.closest('svg, .highlight, [hidden], textarea') || !el.getClientRects().length) continue;
    const style = getComputedStyle(el);
    if (style.visibility === 'hidden' || style.color === 'rgba(0, 0, 0, 0)') continue;
    const fg = rgb(style.color).slice(0, 3), bg = background(el);
    const [a, b] = [lum(fg), lum(bg)].sort((x, y) => y - x);
    const ratio = (a + 0.05) / (b + 0.05);
    const size = parseFloat(style.fontSize);
    const large = size >= 24 || (size >= 18.6 && +style.fontWeight >= 700);
    const text = el.textContent.trim().slice(0, 30);
    if (ratio < (large ? 3 : 4.5)) bad.push(`${el.tagName}: ${ratio.toFixed(2)} ${text}`);
  }
  return bad;
}"""

UNLABELLED = """() => [...document.querySelectorAll(
    '#lab input, #lab select, #lab textarea, #lab button, header input, header button')]
  .filter((el) => {
    const by = el.getAttribute('aria-labelledby');
    const name = el.getAttribute('aria-label')
      || (el.labels && [...el.labels].map((l) => l.textContent).join(''))
      || (by ? document.getElementById(by)?.textContent : '')
      || (el.tagName === 'BUTTON' ? el.textContent : '') || '';
    return !name.trim();
  }).map((el) => el.id || el.outerHTML.slice(0, 80))"""


def test_accessibility_labels_contrast_and_focus_order(lab):
    assert lab.evaluate(UNLABELLED) == []
    assert lab.evaluate(CONTRAST) == []
    # the checks do catch what they look for
    lab.evaluate("""() => {
        const probe = document.createElement('p');
        probe.id = 'probe';
        probe.textContent = 'faint';
        probe.style.color = '#bbb';  // through the CSSOM: the page's CSP allows no style attributes
        const input = document.createElement('input');
        input.id = 'probe-input';
        document.querySelector('#lab .panel').append(probe, input);
    }""")
    assert any("faint" in row for row in lab.evaluate(CONTRAST))
    assert "probe-input" in lab.evaluate(UNLABELLED)
    lab.evaluate("() => { document.getElementById('probe').remove(); "
                 "document.getElementById('probe-input').remove(); }")
    lab.locator("h1").click()
    order = []
    for _ in range(40):
        lab.keyboard.press("Tab")
        order.append(lab.evaluate("document.activeElement.id"))
    expected = ["export-all", "import-file", "reset-all", "example-select", "load-example", "dsl",
                "apply-dsl", "data-file", "llm-provider"]
    positions = [order.index(name) for name in expected]
    assert positions == sorted(positions), order
    assert "step-btn" in order and "run-btn" in order
    # The run controls come first after the header, as they do on screen (one column on a phone).
    assert order.index("reset-all") < order.index("step-btn") < order.index("example-select")
    # Panels sit on screen in the document's (so Tab's) order from the code panel down: the
    # traces panel was drawn last, so Tab from its table went up to Versions.
    tops = lab.evaluate("""() => ['.code-panel', '#traces-panel', '.versions-panel',
        '.activity-panel'].map((s) => document.querySelector(s).getBoundingClientRect().top)""")
    assert tops == sorted(tops), tops
    shot(lab, "final")
