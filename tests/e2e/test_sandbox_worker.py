"""Generated code runs in its own Worker in the browser, behind a boundary that can be killed.

The engine runs in a Worker of its own, which starts the sandbox Worker (nested) and
reaches it through ``globalThis.evomachineSandbox``; these tests speak to that manager in
the engine Worker's scope. A module that hangs inside one C call, or dies of deep
recursion, costs only the sandbox Worker: the engine stays alive, the task falls back to
the LLM, and the next module runs in a fresh Worker. The sandbox Worker has no network,
storage or script loading.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page

from conftest import engine_worker, fresh_lab

pytestmark = pytest.mark.e2e

HOSTILE = Path(__file__).resolve().parents[1] / "unit" / "hostile_redteam"


def run(page, steps: int) -> dict:
    return page.evaluate(f"window.evomachine.run({steps})")


def sandbox(page) -> dict:
    return json.loads(engine_worker(page).evaluate("globalThis.evomachineSandbox.describe()"))


@pytest.fixture(scope="module")
def lab(browser, server) -> Iterator[Page]:
    """One page for the module: each attack comes after the ones before, and the engine must
    go on through all of them (counts are taken before and after each)."""
    for page in fresh_lab(browser, server):
        page.evaluate("window.evomachine.loadExample('ticket-triage')")
        yield page


def test_synthesized_code_answers_from_the_sandbox_worker(lab):
    result = lab.evaluate("window.evomachine.runUntil('hybrid', {max: 3000})")
    assert result["reason"] == "reached", result
    run(lab, 150)
    metrics = lab.evaluate("window.evomachine.state()")["metrics"]["route"]
    assert metrics["code_answers"] > 0 and metrics["code_errors"] == 0
    described = sandbox(lab)
    assert described["running"] and described["modules"] >= 1 and described["restarts"] == 0


def test_the_sandbox_worker_has_no_way_out(lab):
    lab.evaluate("window.evomachine.runUntil('hybrid', {max: 3000})")
    still_open = json.loads(engine_worker(lab).evaluate("globalThis.evomachineSandbox.openDoors()"))
    assert still_open == []
    # and the page's own scope is untouched
    assert lab.evaluate("typeof fetch") == "function"


@pytest.mark.parametrize("name", ["h01_powmod_hang", "h26_scanner_bypass"])
def test_a_hanging_module_is_killed_and_the_engine_goes_on(lab, name):
    lab.evaluate("window.evomachine.runUntil('hybrid', {max: 3000})")
    code = (HOSTILE / f"{name}.py").read_text()
    restarts = sandbox(lab)["restarts"]
    planted = engine_worker(lab).evaluate("""async ([code]) => {
      const manager = globalThis.evomachineSandbox;
      const loaded = JSON.parse(await manager.load("hostile", code, "hostile.py", ""));
      if (!loaded.ok) return {loaded};
      const answers = JSON.parse(await manager.executeMany("hostile",
          JSON.stringify([{text: "my invoice is wrong"}]), "{}"));
      return {loaded, answers};
    }""", [code])
    assert planted["loaded"]["ok"] is True
    assert planted["answers"]["ok"] is False and planted["answers"]["cause"] == "deadline"
    described = sandbox(lab)
    assert described["restarts"] > restarts and described["last_exit"] == "deadline"
    # The engine is alive and its own code runs again in a fresh Worker.
    before = lab.evaluate("window.evomachine.state()")["metrics"]["route"]["code_answers"]
    run(lab, 150)
    after = lab.evaluate("window.evomachine.state()")["metrics"]["route"]
    assert after["code_answers"] > before
    assert sandbox(lab)["running"]


@pytest.mark.parametrize("name", ["h35_deep_c_recursion", "h36_deep_json_loads", "h43_deep_repr",
                                  "h44_deep_tuple_hash"])
def test_deep_recursion_never_kills_the_engine(lab, name):
    code = (HOSTILE / f"{name}.py").read_text()
    outcome = engine_worker(lab).evaluate("""async ([code]) => {
      const manager = globalThis.evomachineSandbox;
      const loaded = JSON.parse(await manager.load("deep", code, "deep.py", ""));
      if (!loaded.ok) return {loaded};
      return {loaded, answers: JSON.parse(await manager.executeMany("deep",
          JSON.stringify([{text: "my invoice is wrong"}]), "{}"))};
    }""", [code])
    answers = outcome.get("answers") or {}
    contained = (not outcome["loaded"]["ok"]) or answers.get("ok") is False or all(
        item["ok"] is False or item["value"]["output"] in ("tech", "sales", "billing")
        for item in answers.get("results", []))
    assert contained, outcome
    # the engine on the page is alive and runs its task
    result = run(lab, 30)
    assert result["steps"] == 30


def test_a_memory_bomb_is_refused_and_a_growing_module_retires_its_worker(lab):
    """The sandbox Worker's heap cannot grow past its limit: one huge allocation is a
    MemoryError (no kill); a module whose state grows across calls gets its Worker retired
    and is failed, and the engine's own code runs on in the next Worker. Counted: calls and
    restarts (the heap's size is what the Worker reports)."""
    ask = """async ([key, code, calls]) => {
      const manager = globalThis.evomachineSandbox;
      const loaded = JSON.parse(await manager.load(key, code, key + ".py", ""));
      const answers = [];
      for (let i = 0; loaded.ok && i < calls; i++) {
        answers.push(JSON.parse(await manager.executeMany(key,
          JSON.stringify([{text: "my invoice is wrong"}]), "{}")));
      }
      return {loaded, answers, described: JSON.parse(manager.describe())};
    }"""
    lab.evaluate("window.evomachine.runUntil('hybrid', {max: 3000})")
    restarts = sandbox(lab)["restarts"]
    bomb = engine_worker(lab).evaluate(ask, ["bomb", (HOSTILE / "h13_type_bytes_alloc.py")
                                             .read_text(), 1])
    [answer] = bomb["answers"][0]["results"]
    assert answer["ok"] is False and "out of memory" in answer["message"], bomb
    assert bomb["described"]["restarts"] == restarts
    # h21 parks ~160 MB more in its globals per call: only the heap may stop it here (a
    # loaded machine could make its calls slow enough for the deadline or the slow rule)
    engine_worker(lab).evaluate("""() => { const m = globalThis.evomachineSandbox;
      [m.savedLimits, m.deadlineMs, m.slowMs] = [[m.deadlineMs, m.slowMs], 60000, 1e9]; }""")
    grows = engine_worker(lab).evaluate(ask, [
        "grows", (HOSTILE / "h21_cross_call_accumulate.py").read_text(), 4])
    engine_worker(lab).evaluate("""() => { const m = globalThis.evomachineSandbox;
      [m.deadlineMs, m.slowMs] = m.savedLimits; }""")
    causes = [item.get("cause") for item in grows["answers"] if item["ok"] is False]
    assert causes and set(causes) == {"retired"}, grows
    assert grows["answers"][0]["ok"] is True  # its first call answered
    assert grows["described"]["restarts"] == restarts + 1
    assert grows["described"]["last_exit"] == "retired"
    assert grows["described"]["peak_heap"] <= 512 * 2 ** 20
    before = lab.evaluate("window.evomachine.state()")["metrics"]["route"]["code_answers"]
    run(lab, 150)
    assert lab.evaluate("window.evomachine.state()")["metrics"]["route"]["code_answers"] > before


def test_the_workers_get_their_own_content_security_policy(page, server):
    sandbox_policy = page.request.get(f"{server.url}web/sandbox/worker.mjs").headers.get(
        "content-security-policy", "")
    assert "connect-src 'self'" in sandbox_policy and "default-src 'none'" in sandbox_policy
    assert "https:" not in sandbox_policy and "unsafe-eval'" not in sandbox_policy.replace(
        "wasm-unsafe-eval'", "")
    engine_policy = page.request.get(f"{server.url}web/engine-worker.mjs").headers.get(
        "content-security-policy", "")
    assert "worker-src 'self'" in engine_policy and "'unsafe-eval'" not in engine_policy
