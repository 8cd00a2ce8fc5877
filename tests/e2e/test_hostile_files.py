"""Files from elsewhere must not take over the page (the red-team's findings on the page).

Each test drives the real controls where a person would (file input, buttons, the
confirmation dialog) and checks that nothing from a file runs as script, redirects
the API key, or bricks the page; and that Reset, by mouse, is always a way out.
A page ``dialog`` event (alert, confirm, prompt) would mean script from a file ran:
the page itself asks only in its own <dialog> element.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from test_lab import boot, state

from conftest import use_openai_endpoint
from unit.llm_fake_server import FakeLLMServer

pytestmark = pytest.mark.e2e

PAYLOAD = 'x"><img src=x onerror="window.__pwned=1;alert(1)">'
KEY = "sk-test-HOSTILE-FILES-0123456789"
# Records what would show that a file's text ran: CSP reports, and any <img> ever inserted.
WATCH = """
window.__violations = [];
document.addEventListener('securitypolicyviolation', (e) => {
  window.__violations.push(`${e.violatedDirective} ${e.blockedURI}`);
});
new MutationObserver((records) => {
  for (const r of records) for (const n of r.addedNodes) {
    const tags = 'img, iframe, object, embed';
    if (n.nodeType === 1 && (n.matches(tags) || n.querySelector(tags))) {
      window.__injected = (window.__injected || 0) + 1;
    }
  }
}).observe(document, { childList: true, subtree: true });
"""


@pytest.fixture
def watched(page, server, requests_log):
    """The booted page, with every dialog recorded and dismissed and the watchers installed."""
    dialogs: list[str] = []
    errors: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(f"{dialog.type}: {dialog.message}"),
                                      dialog.dismiss()))
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.add_init_script(WATCH)
    boot(page, server.url)
    page.dialogs, page.errors = dialogs, errors
    yield page
    assert dialogs == [], f"a dialog opened: {dialogs}"


def nothing_ran(page) -> None:
    assert page.dialogs == []
    assert page.evaluate("window.__pwned") is None
    assert page.evaluate("window.__injected || 0") == 0
    assert page.evaluate("document.querySelectorAll('img, iframe, object').length") == 0


def load_and_run(page, steps: int = 30) -> None:
    page.select_option("#example-select", "ticket-triage")
    page.click("#load-example")
    page.wait_for_selector(".task-card[data-task='route']")
    page.fill("#run-count", str(steps))
    page.click("#run-btn")
    page.wait_for_function("(n) => document.getElementById('run-status').textContent"
                           ".startsWith(`Done after ${n}`)", arg=steps, timeout=60_000)


def export_by_button(page, tmp_path: Path) -> dict:
    with page.expect_download() as download:
        page.click("#export-all")
    path = tmp_path / "exported.json"
    download.value.save_as(str(path))
    return json.loads(path.read_text())


def import_by_file(page, tmp_path: Path, document: dict, name: str = "hostile.json") -> None:
    path = tmp_path / name
    path.write_text(json.dumps(document))
    page.set_input_files("#import-file", str(path))


def toast(page, needle: str) -> str:
    page.wait_for_function("(n) => !document.getElementById('toast').hidden && "
                           "document.getElementById('toast').textContent.includes(n)", arg=needle)
    return page.inner_text("#toast")


def item(document: dict, namespace: str, key: str) -> list:
    return next(entry for entry in document["storage"][namespace] if entry[0] == key)


def test_the_page_runs_under_a_strict_csp_and_keeps_pyodide_to_itself(watched):
    page = watched
    policy = page.get_attribute('meta[http-equiv="Content-Security-Policy"]', "content")
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
    assert directives["default-src"] == "'none'"
    # The one inline script is the import map, allowed by its hash (checked in the unit layer).
    sources = directives["script-src"].split()
    assert sources[:2] == ["'self'", "'wasm-unsafe-eval'"] and len(sources) == 3
    assert sources[2].startswith("'sha256-")
    assert "'unsafe-inline'" not in policy and "'unsafe-eval'" not in policy
    assert directives["style-src"] == "'self'" and directives["object-src"] == "'none'"
    assert page.evaluate("""[...document.querySelectorAll('script:not([src])')]
        .map((s) => s.type)""") == ["importmap"]
    assert page.evaluate("""[...document.querySelectorAll('*')].filter((el) =>
        [...el.attributes].some((a) => a.name.startsWith('on'))).length""") == 0
    # No Pyodide handle anywhere on window: only the API reaches Python.
    assert page.evaluate("window.evomachine.pyodide") is None
    assert page.evaluate("""Object.getOwnPropertyNames(window).filter((name) => {
        try { const v = window[name]; return v && typeof v.runPythonAsync === 'function'; }
        catch { return false; } })""") == []
    # Pyodide booted under the policy and a run works with nothing refused.
    load_and_run(page, 20)
    assert page.evaluate("window.__violations") == []
    # ... and the policy is enforced: an inline script is refused.
    page.evaluate("""() => { const s = document.createElement('script');
        s.textContent = 'window.__inline = 1'; document.body.append(s); }""")
    assert page.evaluate("window.__inline") is None
    assert any("script-src" in v for v in page.evaluate("window.__violations"))
    page.evaluate("window.__violations = []")


def test_an_export_with_a_script_in_its_stage_is_refused_and_nothing_runs(
        watched, server, tmp_path):
    page = watched
    load_and_run(page)
    page.click("#save-version")
    page.wait_for_selector("#versions-body tr.head")
    document = export_by_button(page, tmp_path)
    before = state(page)
    hostile = copy.deepcopy(document)
    item(hostile, "state", "ticket-triage")[1]["tasks"]["route"]["stage"] = PAYLOAD
    import_by_file(page, tmp_path, hostile)
    message = toast(page, "not imported")
    assert "nothing was changed" in message and "tasks.route.stage" in message
    nothing_ran(page)
    after = state(page)
    for key in ("step_count", "stages", "versions", "dsl", "series"):
        assert after[key] == before[key], key
    boot(page, server.url)  # and again after a reload
    nothing_ran(page)
    assert state(page)["step_count"] == before["step_count"]
    page.wait_for_selector(".task-card[data-task='route']")
    page.click("#step-btn")
    page.wait_for_function("(n) => window.evomachine.state().then((s) => s.step_count === n)",
                           arg=before["step_count"] + 1)
    assert page.evaluate("window.__violations") == []


def test_markup_in_every_free_text_field_is_shown_as_text(watched, tmp_path):
    page = watched
    page.evaluate("window.evomachine.loadExample('ticket-triage')")
    page.evaluate("window.evomachine.runUntil('hybrid', {max: 5000})")
    page.evaluate("window.evomachine.saveVersion('plain')")
    document = json.loads(page.evaluate("window.evomachine.exportState()"))
    marked = copy.deepcopy(document)
    run = item(marked, "state", "ticket-triage")[1]
    run["machine"]["title"] = PAYLOAD
    run["machine"]["nodes"][1]["title"] = PAYLOAD[:15]
    run["machine"]["edges"][1]["label"] = PAYLOAD
    synthesis = run["tasks"]["route"]["last_synthesis"]
    synthesis["synthesizer"] = PAYLOAD
    first = next(iter(synthesis["scores"]))
    synthesis["scores"][first]["dropped"] = PAYLOAD
    run["mutations"].append({"type": PAYLOAD, "timestamp": 1.0, "data": {"why": PAYLOAD}})
    marked["storage"]["versions"][0][1]["label"] = PAYLOAD
    item(marked, "meta", "lab/session")[1]["dataset"]["name"] = PAYLOAD
    import_by_file(page, tmp_path, marked)
    page.click("#import-confirm")  # it replaces the loaded run of ticket triage: asked first
    toast(page, "Imported")
    page.wait_for_function("(p) => document.getElementById('versions-body').textContent"
                           ".includes(p)", arg=PAYLOAD)
    page.click(".task-card[data-task='route'] [data-action='code']")
    page.wait_for_function("(p) => document.getElementById('code-meta').textContent.includes(p)",
                           arg=PAYLOAD[:60])
    assert PAYLOAD in page.inner_text("#activity")
    assert PAYLOAD in page.inner_text("#data-info")
    assert page.locator(".diagram .edge-label", has_text="onerror").count() == 1
    nothing_ran(page)
    assert page.evaluate("window.__violations") == []


def test_an_export_with_a_broken_document_is_refused_and_the_old_state_is_whole(
        watched, tmp_path):
    page = watched
    load_and_run(page)
    for label in ("first", "second"):
        page.fill("#version-label", label)
        page.click("#save-version")
        page.wait_for_function("(l) => document.getElementById('versions-body').textContent"
                               ".includes(l)", arg=label)
    document = export_by_button(page, tmp_path)
    before = state(page)
    broken = copy.deepcopy(document)
    broken["storage"]["snapshots"][0][1]["machine"] = 42  # one state document of many
    import_by_file(page, tmp_path, broken)
    assert "nothing was changed" in toast(page, "not imported")
    after = state(page)
    assert [v["id"] for v in after["versions"]] == [v["id"] for v in before["versions"]]
    assert after["step_count"] == before["step_count"]
    assert page.locator("#versions-body tr").count() == 2
    exported_again = json.loads(page.evaluate("window.evomachine.exportState()"))
    assert len(exported_again["storage"]["snapshots"]) == 2
    nothing_ran(page)


@pytest.fixture
def servers():
    mine, theirs = FakeLLMServer(answer="tech").start(), FakeLLMServer(answer="sales").start()
    yield mine, theirs
    mine.stop()
    theirs.stop()


def test_an_imported_base_url_never_receives_the_key(watched, servers, tmp_path):
    page = watched
    mine, theirs = servers
    page.evaluate("window.evomachine.loadExample('ticket-triage')")
    # One request at a time: with requests sent ahead, a step's extra requests to the file's
    # endpoint could still arrive after its count is taken below.
    use_openai_endpoint(page, f"{mine.base_url}/v1", KEY)
    assert "key set" in page.inner_text("#llm-status")
    document = json.loads(page.evaluate("window.evomachine.exportState()"))
    elsewhere = copy.deepcopy(document)
    session = item(elsewhere, "meta", "lab/session")[1]
    session["llm"] = {**session["llm"], "base_url": f"{theirs.base_url}/v1", "model": "theirs"}

    # Through the file control: the page asks, showing both URLs; the user declines the key.
    import_by_file(page, tmp_path, elsewhere)
    dialog = page.locator("#app-dialog")
    dialog.wait_for(state="visible")
    text = dialog.inner_text()
    assert f"{theirs.base_url}/v1" in text and f"{mine.base_url}/v1" in text
    page.click("#import-file-llm")  # "Use <their URL> without my API key"
    toast(page, "Imported")
    page.wait_for_function("(u) => document.getElementById('llm-status').textContent.includes(u)",
                           arg=f"{theirs.base_url}/v1")
    assert "no key" in page.inner_text("#llm-status")
    sent_before = len(mine.requests)
    page.click("#step-btn")
    page.click("#step-btn")
    page.wait_for_function("() => window.evomachine.state().then((s) => "
                           "s.metrics.route && s.metrics.route.llm_calls >= 1)")
    assert theirs.requests, "the file's endpoint was not called at all"
    assert all("authorization" not in headers for _, headers, _ in theirs.requests)
    assert all(KEY not in json.dumps(body) for _, _, body in theirs.requests)
    assert len(mine.requests) == sent_before

    # Through the API, without confirmation: the settings in use are kept.
    calls = len(theirs.requests)
    page.evaluate("(u) => window.evomachine.setLLM({provider: 'openai', base_url: u, "
                  "model: 'my-model'})", f"{mine.base_url}/v1")  # back to mine: the key is held
    shown = page.evaluate("(t) => window.evomachine.importState(t)", json.dumps(elsewhere))
    assert shown["llm"]["endpoint_url"] == f"{mine.base_url}/v1" and shown["llm"]["has_key"]
    page.evaluate("window.evomachine.step(3)")
    assert len(theirs.requests) == calls
    assert mine.requests and mine.requests[-1][1]["authorization"] == f"Bearer {KEY}"
    assert all("authorization" not in headers for _, headers, _ in theirs.requests)
    nothing_ran(page)


def set_session_to_42(page) -> None:
    """Write 42 as the stored session, straight into IndexedDB (as a damaged profile would)."""
    page.evaluate("""() => new Promise((resolve, reject) => {
        const open = indexedDB.open('evomachine');
        open.onerror = () => reject(open.error);
        open.onsuccess = () => {
          const db = open.result;
          const tx = db.transaction('meta', 'readwrite');
          tx.objectStore('meta').put('42', 'lab/session');
          tx.oncomplete = () => { db.close(); resolve(true); };
          tx.onerror = () => reject(tx.error);
        };
    })""")


def remember_a_key(page) -> None:
    page.select_option("#llm-provider", "anthropic")
    page.fill("#llm-model", "claude-test")
    page.fill("#llm-key", KEY)
    page.check("#llm-remember")
    page.click("#apply-llm")
    page.wait_for_function("localStorage.getItem('evomachine:llm-key') !== null")


def test_a_session_of_42_never_bricks_the_page_and_reset_by_mouse_clears_the_key(
        watched, server):
    page = watched
    page.evaluate("window.evomachine.loadExample('ticket-triage')")
    remember_a_key(page)
    set_session_to_42(page)
    boot(page, server.url)  # boots: the damaged document is named instead
    banner = page.locator("#problems")
    banner.wait_for(state="visible")
    assert "meta/lab/session" in banner.inner_text()
    assert page.evaluate("localStorage.getItem('evomachine:llm-key')") is not None
    page.click("#reset-all")
    dialog = page.locator("#app-dialog")
    dialog.wait_for(state="visible")
    assert "remembered API key" in dialog.inner_text()
    assert "evomachine" in dialog.inner_text()
    page.click("#reset-confirm")
    page.wait_for_function("localStorage.getItem('evomachine:llm-key') === null")
    banner.wait_for(state="hidden")
    assert page.evaluate("Object.keys(localStorage).filter((k) => k.startsWith('evomachine:'))"
                         ) == []
    assert state(page)["loaded"] is False and state(page)["llm"]["has_key"] is False
    boot(page, server.url)
    assert state(page)["problems"] == [] and state(page)["loaded"] is False
    nothing_ran(page)


def test_a_damaged_session_can_be_dropped_alone(watched, server):
    page = watched
    page.evaluate("window.evomachine.loadExample('ticket-triage')")
    page.evaluate("window.evomachine.saveVersion('kept')")
    set_session_to_42(page)
    boot(page, server.url)
    page.locator("#problems").wait_for(state="visible")
    page.focus("#drop-damaged")
    page.keyboard.press("Enter")
    page.locator("#problems").wait_for(state="hidden")
    # The banner went with its button: the keyboard's place is the Machine panel, not the body.
    page.wait_for_function("document.activeElement.id === 'machine-title'")
    page.select_option("#example-select", "ticket-triage")
    page.click("#load-example")
    page.wait_for_selector(".task-card[data-task='route']")
    assert [v["label"] for v in state(page)["versions"]] == ["kept"]  # only the session went


def test_switching_to_the_simulated_llm_forgets_the_remembered_key(watched):
    page = watched
    page.evaluate("window.evomachine.loadExample('ticket-triage')")
    remember_a_key(page)
    page.select_option("#llm-provider", "simulated")
    page.click("#apply-llm")
    page.wait_for_function("localStorage.getItem('evomachine:llm-key') === null")


def test_reset_is_a_way_out_when_boot_fails(page, server, requests_log):
    boot(page, server.url)
    page.evaluate("window.evomachine.loadExample('ticket-triage')")
    remember_a_key(page)
    page.route("**/manifest.json", lambda route: route.fulfill(status=500, body="broken"))
    page.goto(server.url)
    page.wait_for_function("document.body.dataset.ready === 'failed'", timeout=60_000)
    assert page.locator("#reset-all").is_visible()
    assert not page.locator("#export-all").is_visible()
    assert "not affected" not in page.inner_text("#boot-error")
    page.click("#reset-all")
    page.locator("#app-dialog").wait_for(state="visible")
    assert "remembered API key" in page.inner_text("#app-dialog")
    with page.expect_navigation():
        page.click("#reset-confirm")
    page.wait_for_function("document.body.dataset.ready === 'failed'", timeout=60_000)
    assert page.evaluate("Object.keys(localStorage).filter((k) => k.startsWith('evomachine:'))"
                         ) == []
    assert "evomachine" not in page.evaluate(
        "indexedDB.databases().then((all) => all.map((d) => d.name))")
    page.unroute("**/manifest.json")
    boot(page, server.url)
    assert state(page)["loaded"] is False


def _plant(value, bomb: str) -> int:
    """Put ``bomb`` in front of every generated module stored in an export; how many."""
    planted = 0
    items = value.items() if isinstance(value, dict) else enumerate(value) \
        if isinstance(value, list) else ()
    for key, inner in list(items):
        if isinstance(inner, str) and inner.startswith('"""Generated code for task'):
            value[key] = bomb + inner
            planted += 1
        else:
            planted += _plant(inner, bomb)
    return planted


def test_an_imported_module_nested_through_lambda_commas_never_stops_the_engine(watched):
    """``lambda a,: lambda a,: …`` 2,000 deep passed the nesting check (a comma reset its
    count) and ``ast.parse`` overflowed Pyodide's stack in the engine Worker: every reload
    then died within seconds, and only Reset (deleting everything) got the page back (rt10)."""
    page = watched
    load_and_run(page)
    assert page.evaluate("() => window.evomachine.runUntil('hybrid')")["reason"] == "reached"
    document = json.loads(page.evaluate("() => window.evomachine.exportState()"))
    assert _plant(document, "X = " + "lambda a,: " * 2000 + "1\n") >= 1
    page.evaluate("(text) => window.evomachine.importState(text)", json.dumps(document))
    code = page.evaluate("() => window.evomachine.code('route').then((c) => c.exportable,"
                         " (e) => e.message)")
    assert code is False or "nests" in str(code), code  # refused, never parsed
    result = page.evaluate("() => window.evomachine.run(30)")
    assert result["steps"] == 30
    assert "The engine stopped" not in page.inner_text("body")
    nothing_ran(page)
