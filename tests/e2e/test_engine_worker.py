"""The engine runs in a Worker: the page never loads Pyodide, storage lives in the worker.

The page (main thread) renders and talks to ``web/engine-worker.mjs`` in messages; Pyodide,
the engine and IndexedDB are there. Pause reaches a chunk while it runs in the worker; the
localStorage fallback (the worker has no localStorage) goes through the page.
"""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlparse

import pytest
from playwright.sync_api import Page
from test_lab import boot, state

from conftest import engine_worker, fresh_lab
from unit.llm_fake_server import FakeLLMServer

pytestmark = pytest.mark.e2e

RESOURCES = "performance.getEntriesByType('resource').map((e) => new URL(e.name).pathname)"


@pytest.fixture(scope="module")
def lab(browser, server) -> Iterator[Page]:
    """One booted page for the tests that need nothing but a lab (each loads what it runs)."""
    yield from fresh_lab(browser, server)


def test_the_page_runs_no_python_and_the_engine_worker_does(app, requests_log):
    page = app
    assert page.evaluate("typeof globalThis.loadPyodide") == "undefined"
    assert page.evaluate("window.evomachine.pyodide") is None
    assert page.evaluate("""Object.getOwnPropertyNames(window).filter((name) => {
        try { const v = window[name]; return v && typeof v.runPythonAsync === 'function'; }
        catch { return false; } })""") == []
    # The page itself fetched none of Pyodide or the wheels: the worker did.
    fetched_by_page = page.evaluate(RESOURCES)
    assert not [p for p in fetched_by_page if "/pyodide/" in p or "/wheels/" in p], fetched_by_page
    worker = engine_worker(page)
    fetched_by_worker = worker.evaluate(RESOURCES)
    assert "/pyodide/pyodide.asm.wasm" in fetched_by_worker
    assert any(p.startswith("/wheels/evomachine-") for p in fetched_by_worker)
    # Its global scope is a worker's: IndexedDB, no DOM, no localStorage.
    assert worker.evaluate("[typeof indexedDB, typeof document, typeof localStorage]") == [
        "object", "undefined", "undefined"]
    # Every request (the worker's too) went to 127.0.0.1 and passed the guard.
    assert any(urlparse(url).path == "/pyodide/pyodide.asm.wasm" for url in requests_log.urls)


def test_the_engine_keeps_its_state_in_indexeddb_from_the_worker(lab):
    page = lab
    page.evaluate("window.evomachine.reset()")
    info = page.evaluate("window.evomachine.storage()")
    assert info["backend"] == "indexeddb"
    assert "IndexedDB" in info["chosen_because"]
    page.evaluate("window.evomachine.loadExample('sentiment')")
    page.evaluate("window.evomachine.setLLM({provider: 'simulated', accuracy: 0.95})")
    page.evaluate("window.evomachine.run(40)")
    # The page sees what the worker wrote: one origin, one database.
    keys = page.evaluate("""() => new Promise((resolve, reject) => {
        const open = indexedDB.open('evomachine');
        open.onerror = () => reject(open.error);
        open.onsuccess = () => {
          const db = open.result;
          const request = db.transaction('meta').objectStore('meta').getAllKeys();
          request.onsuccess = () => { db.close(); resolve(request.result); };
          request.onerror = () => reject(request.error);
        };
      })""")
    assert "session" in " ".join(map(str, keys))
    before = state(page)
    boot(page, page.url)  # navigates again: a reload
    after = state(page)
    for key in ("dsl", "stages", "step_count", "input_cursor", "series"):
        assert after[key] == before[key], key


def test_the_csp_lets_only_same_origin_workers_start(lab):
    page = lab
    policy = page.get_attribute('meta[http-equiv="Content-Security-Policy"]', "content")
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
    assert directives["worker-src"] == "'self'"
    refused = page.evaluate("""() => new Promise((resolve) => {
        document.addEventListener('securitypolicyviolation',
          (e) => resolve(e.violatedDirective), { once: true });
        try { new Worker(URL.createObjectURL(new Blob(['1'], { type: 'text/javascript' }))); }
        catch (error) { resolve(`threw ${error.name}`); }
      })""")
    assert "worker-src" in refused or refused.startswith("threw")


def test_the_engine_worker_boots_and_runs_under_the_page_policy_sent_as_a_header(
        page, server, requests_log):
    # A meta CSP governs the page only: a Worker's policy comes with its script's response.
    # Served with the page's policy as a header, the engine still boots and runs, and eval is
    # refused in the worker as on the page.
    policy = page.context.request.get(server.url).text().split(
        'http-equiv="Content-Security-Policy" content="')[1].split('"')[0]

    def with_policy(route) -> None:
        response = route.fetch()
        route.fulfill(response=response,
                      headers={**response.headers, "content-security-policy": policy})

    page.route("**/web/engine-worker.mjs", with_policy)
    boot(page, server.url)
    refused = engine_worker(page).evaluate("""new Promise((resolve) => setTimeout(() => {
        try { resolve(String(eval('1 + 1'))); } catch (error) { resolve(error.name); } }))""")
    assert refused == "EvalError"
    page.evaluate("window.evomachine.loadExample('ticket-triage')")
    page.evaluate("window.evomachine.setLLM({provider: 'simulated', accuracy: 0.97})")
    assert page.evaluate("window.evomachine.run(50)")["steps"] == 50


@pytest.fixture
def slow_llm():
    server = FakeLLMServer(answer="tech", hang_s=60.0).start()
    yield server
    server.stop()


def test_pause_stops_a_run_waiting_on_a_provider_that_never_answers(lab, slow_llm):
    page = lab
    page.evaluate("window.evomachine.loadExample('ticket-triage')")
    configured = page.evaluate("(c) => window.evomachine.setLLM(c)", {
        "provider": "openai", "base_url": f"{slow_llm.base_url}/v1", "model": "local",
        "api_key": "sk-test-pause", "remember": False,
        "concurrency": 1})  # one request at a time: the third one is the one that hangs
    assert configured["ready"], configured
    page.fill("#run-count", "5000")
    slow_llm.script.extend(["ok", "ok", "hang"])
    page.click("#run-btn")
    page.wait_for_function("document.getElementById('run-status').textContent.startsWith('Running')")
    # The third request never answers (the server holds it for a minute, past this test).
    checks = 0
    while len(slow_llm.requests) < 3 or slow_llm.script:
        page.wait_for_timeout(20)
        checks += 1
        assert checks < 1500, "the run never reached the hanging request"
    page.click("#pause-btn")
    # Pause aborted the request in the worker: the run ends without the server ever answering.
    page.wait_for_function(
        "document.getElementById('run-status').textContent.startsWith('Paused after')")
    assert not slow_llm.release.is_set()
    # (the page says Paused as the run stops; the run ends once what it did is saved)
    page.wait_for_function("!window.evomachine.isRunning()")
    status = page.inner_text("#run-status")
    assert "The step at route was waiting for the LLM" in status, status
    steps = int(status.split("after ")[1].split(" ")[0].replace(",", ""))
    after = state(page)
    # The interrupted step did not happen: the steps before it are all there, and the record it
    # was answering is still the one the machine works on.
    assert after["step_count"] == steps and after["current_node"] == "route"
    routed = after["metrics"]["route"]["execution_count"]
    assert routed == 2 and after["metrics"]["route"]["success_rate"] == 1.0
    # The next Run takes that record again, once the provider answers.
    slow_llm.script.clear()
    again = page.evaluate("window.evomachine.run(2)")
    assert (again["reason"], again["steps"], again["interrupted"]) == ("done", 2, False)
    assert state(page)["metrics"]["route"]["execution_count"] == routed + 1
    assert state(page)["input_cursor"] == after["input_cursor"]  # route took the same record


def test_pause_from_the_api_reports_where_the_run_stopped(lab):
    page = lab
    page.evaluate("window.evomachine.loadExample('ticket-triage')")
    page.evaluate("window.evomachine.setLLM({provider: 'simulated', accuracy: 0.97})")
    summary = page.evaluate("""async () => {
        const running = window.evomachine.run(100000);
        await new Promise((r) => setTimeout(r, 0));
        await window.evomachine.pause();
        return running;
      }""")
    assert summary["reason"] == "paused"
    assert isinstance(summary["interrupted"], bool)
    assert summary["steps"] < 100000


@pytest.fixture
def local_storage_page(page, server, requests_log):
    page.add_init_script("window.evomachineOptions = { storage: 'localstorage' };")
    boot(page, server.url)
    return page


def test_the_localstorage_fallback_goes_through_the_page_and_survives_reload(local_storage_page):
    page = local_storage_page
    page.evaluate("window.evomachine.reset()")
    info = page.evaluate("window.evomachine.storage()")
    assert info["backend"] == "localstorage", info
    page.evaluate("window.evomachine.loadExample('sentiment')")
    page.evaluate("window.evomachine.setLLM({provider: 'simulated', accuracy: 0.95})")
    page.evaluate("window.evomachine.run(30)")
    # The worker has no localStorage: its writes landed in the page's, under the engine's prefix.
    names = page.evaluate("Object.keys(localStorage)")
    engine_items = [n for n in names if n.startswith("evomachine:|")]
    assert any(n.startswith("evomachine:|meta|") for n in engine_items), names
    assert any(n.startswith("evomachine:|state|") for n in engine_items), names
    before = state(page)
    page.evaluate("localStorage.setItem('evomachine:page-only', 'not for the engine')")
    boot(page, page.url)  # navigates again: a reload
    assert page.evaluate("window.evomachine.storage()")["backend"] == "localstorage"
    after = state(page)
    for key in ("dsl", "stages", "step_count", "input_cursor"):
        assert after[key] == before[key], key
    # The engine got only its own entries, not the page's (a remembered key, drafts, settings).
    seen = engine_worker(page).evaluate("""() => {
        const store = globalThis.evomachinePageStorage;
        return store ? [...Array(store.length).keys()].map((i) => store.key(i)) : null; }""")
    assert seen and all(name.startswith("evomachine:|") for name in seen), seen
    page.evaluate("window.evomachine.reset()")
    left = page.evaluate("Object.keys(localStorage)")
    assert [n for n in left if n.startswith("evomachine:")] == []
