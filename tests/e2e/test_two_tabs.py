"""Two tabs on one machine (one browser context, same origin, real IndexedDB) lose no writes.

The page runs every change holding the Web Lock ``evomachine:lab`` after catching
up with what the other tab saved, and announces it on a BroadcastChannel; the
executor's flush is a compare-and-set on the machine's revision, so a stale
write is refused rather than written over the other tab's.
"""

from __future__ import annotations

import json

import pytest
from test_lab import boot, state

from conftest import guard_requests, page_python

pytestmark = pytest.mark.e2e

MACHINE = "ticket-triage"


@pytest.fixture
def tabs(browser, server):
    context = browser.new_context()
    log = guard_requests(context)
    errors: list[str] = []
    pages = []
    for _ in range(2):
        page = context.new_page()
        page.on("pageerror", lambda error: errors.append(str(error)))
        boot(page, server.url)
        pages.append(page)
    yield pages
    context.close()
    assert log.foreign() == [], f"requests left 127.0.0.1: {log.foreign()}"
    assert errors == [], errors


def load_in(tab) -> None:
    tab.evaluate("window.evomachine.reset()")
    tab.evaluate(f"window.evomachine.loadExample('{MACHINE}')")
    tab.evaluate("window.evomachine.setLLM({provider: 'simulated', accuracy: 0.95})")


def follows(tab, predicate: str) -> None:
    """Wait until ``tab`` shows a state for which ``predicate`` (JS over ``s``) holds."""
    tab.wait_for_function(f"window.evomachine.state().then((s) => {predicate})", timeout=30_000)


def stored_state(tab) -> dict:
    """The executor state document as IndexedDB holds it, read by Python in the page's origin."""
    py = page_python(tab)
    return json.loads(tab.evaluate(
        f"""async (machine) => {py}.runPythonAsync(`
import json
from evomachine.storage import create_storage
json.dumps(await create_storage().get("state", "${{machine}}"))
`)""", MACHINE))


def start_run(tab, name: str, steps: int) -> None:
    tab.evaluate(f"""() => {{
        window.{name} = null;
        window.evomachine.run({steps}).then((r) => {{ window.{name} = r; }},
                                            (e) => {{ window.{name} = {{error: e.message}}; }});
    }}""")


def test_runs_in_both_tabs_are_all_counted_the_second_waits_then_follows(tabs):
    tab_a, tab_b = tabs
    load_in(tab_a)
    follows(tab_b, "s.loaded && s.machine_id === 'ticket-triage'")  # told by BroadcastChannel
    start_run(tab_a, "runA", 3000)
    # A holds the lock once its page says it runs (before that, B could take it first)
    tab_a.wait_for_function(
        "document.getElementById('run-status').textContent === 'Running 3,000 steps…'")
    start_run(tab_b, "runB", 1500)
    tab_b.wait_for_function(
        "document.getElementById('run-status').textContent.includes('another tab')")
    tab_a.wait_for_function("window.runA !== null", timeout=120_000)
    tab_b.wait_for_function("window.runB !== null", timeout=120_000)
    run_a, run_b = tab_a.evaluate("window.runA"), tab_b.evaluate("window.runB")
    assert run_a.get("error") is None and run_b.get("error") is None, (run_a, run_b)
    assert (run_a["steps"], run_b["steps"]) == (3000, 1500)
    stored = stored_state(tab_a)
    assert stored["run"]["step_count"] == 4500
    assert stored["tasks"]["route"]["metrics"]["execution_count"] == 1500  # one per 3 steps
    follows(tab_a, "s.step_count === 4500")
    for tab in (tab_a, tab_b):
        shown = state(tab)
        assert shown["step_count"] == 4500
        assert shown["metrics"]["route"]["execution_count"] == 1500


def test_versions_and_patterns_saved_in_both_tabs_appear_in_both(tabs):
    tab_a, tab_b = tabs
    load_in(tab_a)
    tab_a.evaluate("window.evomachine.runUntil('hybrid', {max: 3000})")
    ids = [tab_a.evaluate("window.evomachine.saveVersion('from tab A')")["id"],
           tab_b.evaluate("window.evomachine.saveVersion('from tab B')")["id"]]
    tab_a.evaluate("window.evomachine.savePattern('route', 'route-from-a')")
    tab_b.evaluate("window.evomachine.savePattern('route', 'route-from-b')")
    ids.append(tab_a.evaluate("window.evomachine.saveVersion('from tab A again')")["id"])
    for tab in (tab_a, tab_b):
        assert [v["id"] for v in tab.evaluate("window.evomachine.versions()")] == sorted(ids)
        names = {p["name"] for p in tab.evaluate("window.evomachine.patterns()")}
        assert names == {"route-from-a", "route-from-b"}
    labels = [v["label"] for v in tab_b.evaluate("window.evomachine.versions()")]
    assert labels == ["from tab A", "from tab B", "from tab A again"]


CAS_RACE = """
import json
from evomachine.storage import IndexedDBStorage
storage = IndexedDBStorage(db_name="cas-race")
guard = ("meta", "counter")
conflicts = 0
for index in range(40):
    while True:
        current = await storage.get(*guard)
        new = (current or 0) + 1
        if await storage.write_batch_if(guard, current,
                                        [(*guard, new), ("state", f"{TAB}{index}", new)]):
            break
        conflicts += 1
json.dumps({"conflicts": conflicts})
"""


def test_compare_and_set_on_real_indexeddb_is_atomic_across_two_tabs(tabs):
    for name, tab in zip("ab", tabs, strict=True):
        py = page_python(tab)
        tab.evaluate(f"""([code, name]) => {{
            const py = {py};
            window.cas = null;
            py.runPythonAsync(code, {{globals: py.toPy({{TAB: name}})}}).then(
                (r) => {{ window.cas = JSON.parse(r); }},
                (e) => {{ window.cas = {{error: String(e)}}; }});
        }}""", [CAS_RACE, name])
    results = []
    for tab in tabs:
        tab.wait_for_function("window.cas !== null", timeout=60_000)
        results.append(tab.evaluate("window.cas"))
    assert all("error" not in r for r in results), results
    values = json.loads(tabs[0].evaluate(f"""() => {page_python(tabs[0])}.runPythonAsync(`
import json
from evomachine.storage import IndexedDBStorage
storage = IndexedDBStorage(db_name="cas-race")
json.dumps([await storage.get("meta", "counter"), [v for _, v in await storage.items("state")]])
`)"""))
    counter, written = values
    assert counter == 80
    assert sorted(written) == list(range(1, 81))  # every accepted write saw its own value


def test_a_change_waiting_for_another_tabs_run_says_so(tabs):
    """A red-team pass pressed Delete in one tab while the other ran 3,000 steps: nothing was
    said until the run ended, so the button looked as if it did nothing."""
    tab_a, tab_b = tabs
    load_in(tab_a)
    follows(tab_b, "s.loaded && s.machine_id === 'ticket-triage'")
    start_run(tab_a, "runA", 3000)
    tab_a.wait_for_function(
        "document.getElementById('run-status').textContent === 'Running 3,000 steps…'")
    tab_b.evaluate("""() => { window.saved = null;
        window.evomachine.saveVersion('while A runs').then((r) => { window.saved = r; }); }""")
    tab_b.wait_for_function("document.getElementById('toast').textContent"
                            ".includes('your change waits for its run to end')")
    tab_a.wait_for_function("window.runA !== null", timeout=120_000)
    tab_b.wait_for_function("window.saved !== null", timeout=60_000)
    assert [v["label"] for v in state(tab_b)["versions"]] == ["while A runs"]
