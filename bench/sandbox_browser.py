"""Code answers and the red-team corpus through the sandbox Worker in Chromium.

    .venv/bin/python bench/sandbox_browser.py [--only h01 h35 ...] [--calls 1000] [--no-corpus]
                                              [--batch 100] [--concurrency 8] [--no-speed]

Part 1, the issue's measure in the browser: one code answer through
``EvolutionaryExecutor.execute_task`` in the engine Worker (ticket-triage with the engine's
own synthesis, promoted to code_only by hand, no audits, no memo), its generated module in
the sandbox Worker (``WorkerHost``, as the engine uses it) and, for comparison, in the engine's
own Pyodide (``InProcessHost``, no boundary). The bench loads a second Pyodide with the engine
wheels inside the engine Worker (the engine's own is not reachable from outside), so the
sandbox Worker is the one the engine uses. A Worker's clock is coarse (100 us without
cross-origin isolation): each figure is the median over batches of 50 calls of the mean
time per call, with the fastest and slowest batch; "module.execute alone" is the same
through the host without the executor. Then ``execute_batch`` on the same executor: code
answers predicted ahead cross in one request (``WorkerModule.submit_many``) while the engine
commits the earlier ones (per answer: the batch's wall time over its size).

``--page-run`` (instead of part 1): the figure a user sees. The page loads ticket-triage with
the simulated LLM, runs 600 steps, presses Evolve until the task is in code_only, then times
``window.evomachine.run(steps)`` (the page's chunked run, as the Run button does it): wall
microseconds per step and per code answer, with the sandbox Worker's requests and inputs
(code answers sent ahead cross 16 a request; one request per answer without); each as the
example comes and with ``auto_evolve: false`` on the task (no re-checks or code refreshes
during the timed run: the code answers and little else).

Part 2:
in headless Chromium, on dist/ served from 127.0.0.1: the page boots, its engine Worker
starts the sandbox Worker, and every module in tests/unit/hostile_redteam is loaded into it
and asked once (three times for the modules that accumulate across calls) through the
manager the engine itself uses (``globalThis.evomachineSandbox`` in the engine Worker).
Printed: the outcome, the wall time of load + calls (a killed Worker is started again on
the next module, and that boot is in the next module's time: shown separately as "boot"),
and whether the engine still answers afterwards (``run(3)`` from the page's API).
The sandbox Worker's WebAssembly heap cannot grow past 512 MB (web/sandbox/worker.mjs
refuses the growth, so Python gets a MemoryError) and a Worker that answers with a heap past
384 MB is retired; the paths table shows the biggest heap reported while each module ran.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from _harness import ROOT, chromium, served_dist, table

CORPUS = ROOT / "tests" / "unit" / "hostile_redteam"
ASK = """async ([code, calls]) => {
  const manager = globalThis.evomachineSandbox;
  const started = performance.now();
  const booted = await manager.openDoors();
  const boot = performance.now() - started;
  const began = performance.now();
  const loaded = JSON.parse(await manager.load("corpus", code, "corpus.py", ""));
  const answers = [];
  if (loaded.ok) {
    for (let i = 0; i < calls; i++) {
      answers.push(JSON.parse(await manager.executeMany("corpus",
        JSON.stringify([{text: "my invoice is wrong"}]), "{}")));
    }
  }
  await manager.unload("corpus");
  return {boot, ms: performance.now() - began, loaded, answers, open: booted};
}"""


BOOT_JS = """async () => {
  if (self.__benchPy) return true;
  const base = new URL("../", self.location.href);
  const { loadPyodide } = await import(new URL("pyodide/pyodide.mjs", base).href);
  const py = await loadPyodide({ indexURL: new URL("pyodide/", base).href, fullStdLib: false });
  const manifest = await (await fetch(new URL("manifest.json", base))).json();
  const urls = manifest.wheels.filter((w) => w.group === "engine")
    .map((w) => new URL(`wheels/${w.file}`, base).href);
  await py.loadPackage(urls, { messageCallback: () => {}, checkIntegrity: false });
  self.__benchPy = py;
  return true;
}"""
RUN_JS = """async ([code, names]) => {
  const py = self.__benchPy;
  for (const [name, value] of Object.entries(names)) py.globals.set(name, value);
  return await py.runPythonAsync(code);
}"""

SPEED_PY = """
import json, statistics, time
from evomachine import EvolutionaryExecutor, SimulatedLLM, parse_machine
from evomachine.sandbox import InProcessHost
from evomachine.sandbox.worker_host import WorkerHost, browser_bridge

async def measure(calls, batch=50):
    data = [json.loads(line) for line in DATA.splitlines() if line.strip()]
    machine = parse_machine(MACHINE)
    rows = []
    for name, host in (("WorkerHost (sandbox Worker)", WorkerHost(browser_bridge())),
                       ("InProcessHost (no boundary)", InProcessHost())):
        llm = SimulatedLLM.from_records(data, "label", seed=7)
        ex = EvolutionaryExecutor(machine, {}, None, llm=llm, seed=7, memo=False,
                                  audit_rate=0.0, auto_evolve=False, sandbox=host)
        for row in data[:400]:
            await ex.execute_task("route", {"text": row["text"]})
        for _ in range(3):
            await ex.trigger_evolution("route")
        means, index = [], 0
        while index < calls:
            started = time.perf_counter()
            for _ in range(batch):
                row = data[400 + index % (len(data) - 400)]
                result = await ex.execute_task("route", {"text": row["text"], "n": index})
                assert not result.used_llm, result
                index += 1
            means.append((time.perf_counter() - started) / batch * 1e6)
        module, alone, index = ex.tasks["route"].module, [], 0
        while index < calls:
            started = time.perf_counter()
            for _ in range(batch):
                row = data[400 + index % (len(data) - 400)]
                await module.execute({"text": row["text"], "n": index}, {})
                index += 1
            alone.append((time.perf_counter() - started) / batch * 1e6)
        batches, index = [], 0
        while index < calls:
            inputs = [{"text": data[400 + (index + i) % (len(data) - 400)]["text"],
                       "n": index + i} for i in range(BATCH)]
            started = time.perf_counter()
            results = await ex.execute_batch("route", inputs, concurrency=CONCURRENCY)
            batches.append((time.perf_counter() - started) / BATCH * 1e6)
            assert not any(result.used_llm for result in results)
            index += BATCH
        rows.append([name, str(ex.tasks["route"].synthesizer), statistics.median(means),
                     min(means), max(means), statistics.median(alone),
                     statistics.median(batches), min(batches), max(batches)])
    return json.dumps(rows)

await measure(CALLS)
"""


def speed(worker: object, calls: int, batch: int, concurrency: int) -> None:
    folder = ROOT / "examples" / "ticket-triage"
    code = SPEED_PY.replace("CALLS", str(int(calls))).replace("BATCH", str(int(batch))) \
        .replace("CONCURRENCY", str(int(concurrency)))
    worker.evaluate(BOOT_JS)
    found = json.loads(worker.evaluate(RUN_JS, [code, {
        "DATA": (folder / "data.jsonl").read_text(),
        "MACHINE": (folder / "ticket-triage.machine").read_text()}]))
    print(f"\nexecute_task() per code answer in the engine Worker, microseconds, ticket-triage "
          f"in code_only, {calls} calls (median of batch means; fastest, slowest batch)\n")
    print(table(["host", "synthesizer", "median", "fastest", "slowest", "module.execute alone"],
                [[name, synth, f"{median:.0f}", f"{low:.0f}", f"{high:.0f}", f"{alone:.0f}"]
                 for name, synth, median, low, high, alone, *_ in found]))
    print(f"\nexecute_batch() of {batch} inputs at concurrency {concurrency}, microseconds per "
          f"answer (code answers sent across ahead in one request while the engine commits the "
          f"earlier ones; median of batches, fastest, slowest)\n")
    print(table(["host", "median", "fastest", "slowest"],
                [[row[0], f"{row[6]:.0f}", f"{row[7]:.0f}", f"{row[8]:.0f}"] for row in found]))


PATHS_PY = """
import json, time
from evomachine._compat import js_global
from evomachine.sandbox.worker_host import WorkerHost, browser_bridge

exec(PATHS_SOURCE, globals())

async def run_paths(cases, names):
    manager = js_global("evomachineSandbox")
    rows = []
    for name, text in cases:
        for path in names:
            began = time.perf_counter()
            await manager.whenReady()  # a Worker running and a spare booted beside it
            boot = time.perf_counter() - began
            before = json.loads(manager.describe())["restarts"]
            manager.peakHeap = 0  # the biggest heap reported while this module runs
            started = time.perf_counter()
            try:
                outcome, wall = await PATHS[path](WorkerHost(browser_bridge()), name, text)
            except Exception as error:
                outcome = f"HOST FAILED: {type(error).__name__}: {error}"[:200]
                wall = time.perf_counter() - started
            described = json.loads(manager.describe())
            rows.append([name, path, boot, wall, described["restarts"] - before,
                         described["peak_heap"] / 2 ** 20, outcome])
    return json.dumps(rows)

await run_paths(json.loads(CASES), json.loads(NAMES))
"""


def paths_corpus(worker: object, paths: list[Path], names: list[str]) -> None:
    worker.evaluate(BOOT_JS)
    cases = [[path.stem, path.read_text()] for path in paths]
    rows = json.loads(worker.evaluate(RUN_JS, [PATHS_PY, {
        "PATHS_SOURCE": (ROOT / "bench" / "_corpus_paths.py").read_text(),
        "CASES": json.dumps(cases), "NAMES": json.dumps(names)}]))
    print("\nred-team corpus through each loading path, code in the sandbox Worker "
          "(deadline 1 s per input; \"kills\" = Worker restarts; \"boot\" = waiting, before "
          "the module's clock starts, for a running Worker and a booted spare (the previous "
          "module's kill); \"heap MB\" = the biggest WebAssembly heap a Worker reported after "
          "an answer while the module ran)\n")
    shown, failures = [], 0
    per_path: dict[str, list[float]] = {}
    for name, path, boot, wall, kills, heap, outcome in rows:
        ok = wall <= 2.0 and heap <= 512 and "FAILED" not in outcome and "STOPPED" not in outcome
        failures += not ok
        per_path.setdefault(path, []).append(wall)
        shown.append([name, path, f"{boot:.2f}", f"{wall:.2f}", str(kills), f"{heap:.0f}",
                      "yes" if ok else "NO", outcome[:90]])
    print(table(["module", "path", "boot s", "wall s", "kills", "heap MB", "within 2 s, 512 MB",
                 "outcome"], shown))
    print("\n" + table(["path", "modules", "over 2 s", "median s", "max s"], [
        [path, str(len(walls)), str(sum(w > 2.0 for w in walls)),
         f"{sorted(walls)[len(walls) // 2]:.2f}", f"{max(walls):.2f}"]
        for path, walls in per_path.items()]))
    print(f"\nnot within 2 s and 512 MB (or the host failed): {failures} of {len(rows)}")


def outcome(found: dict) -> str:
    if not found["loaded"]["ok"]:
        return f"load refused: {found['loaded'].get('kind')}"
    parts = []
    for answer in found["answers"]:
        if not answer.get("ok"):
            parts.append(f"{answer.get('kind')}({answer.get('cause', '')})")
            continue
        item = answer["results"][0]
        parts.append(repr(item["value"]["output"]) if item.get("ok") else item.get("kind", "?"))
    return "; ".join(parts)


PAGE_RUN_JS = """async (steps) => {
  const api = window.evomachine;
  const route = async () => (await api.state()).metrics.route;
  await api.run(600);
  for (let i = 0; i < 4 && (await route()).stage !== "code_only"; i++) await api.evolve("route");
  const before = await route();
  const result = await api.run(steps);
  const after = await route();
  return {stage: before.stage, result, answers: after.code_answers - before.code_answers,
          executions: after.execution_count - before.execution_count, end: after.stage};
}"""


def page_run(page: object, worker: object, steps: int, repeats: int) -> None:
    """Wall time of a page run of ticket-triage in code_only (per step, per code answer), as
    the example comes (the evolver re-checks and refreshes the code as the run goes) and with
    ``auto_evolve: false`` on the task (the code answers and little else)."""
    folder = ROOT / "examples" / "ticket-triage"
    dsl = (folder / "ticket-triage.machine").read_text()
    still = dsl.replace('evolution_stage: "llm_only";',
                        'evolution_stage: "llm_only"; auto_evolve: false;')
    assert still != dsl
    data = [json.loads(line) for line in (folder / "data.jsonl").read_text().splitlines()
            if line.strip()]
    rows = []
    for index in range(2 * repeats):
        variant = "auto_evolve" if index % 2 == 0 else "no auto_evolve"
        page.evaluate("([dsl, rows]) => window.evomachine.load(dsl, rows)",
                      [dsl if index % 2 == 0 else still, data])
        before = json.loads(worker.evaluate("globalThis.evomachineSandbox.describe()"))
        found = page.evaluate(PAGE_RUN_JS, steps)
        after = json.loads(worker.evaluate("globalThis.evomachineSandbox.describe()"))
        result, answers = found["result"], max(1, found["answers"])
        counted = "requests" in after  # the manager counts them from this change on
        rows.append([variant, found["stage"], str(result["steps"]), str(found["answers"]),
                     f"{result['elapsed_ms'] * 1000 / max(1, result['steps']):.0f}",
                     f"{result['elapsed_ms'] * 1000 / answers:.0f}",
                     str(after["requests"] - before["requests"]) if counted else "-",
                     str(after["inputs"] - before["inputs"]) if counted else "-"])
    print(f"\npage run of ticket-triage in code_only (simulated LLM), {steps} steps, wall "
          f"microseconds (the whole run: evolution, audits and the page's chunks included; "
          f"requests/inputs: the sandbox Worker's, since the load)\n")
    print(table(["machine", "stage", "steps", "code answers", "us/step", "us/code answer",
                 "requests", "inputs"], rows))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", help="module name prefixes (default: all)")
    parser.add_argument("--calls", type=int, default=1000, help="code answers to time")
    parser.add_argument("--batch", type=int, default=100, help="execute_batch size")
    parser.add_argument("--concurrency", type=int, default=8, help="execute_batch concurrency")
    parser.add_argument("--page-run", type=int, default=0, metavar="STEPS",
                        help="time a page run of this many steps in code_only instead of part 1")
    parser.add_argument("--repeats", type=int, default=3, help="page runs (--page-run)")
    parser.add_argument("--no-corpus", action="store_true")
    parser.add_argument("--no-speed", action="store_true")
    parser.add_argument("--paths", nargs="*", default=["direct", "pattern import", "LLM-written"],
                        help="loading paths to run the corpus through in the engine's Pyodide "
                             "(none: only the manager-level direct run)")
    args = parser.parse_args()
    paths = sorted(CORPUS.glob("*.py"))
    if args.only:
        paths = [p for p in paths if any(p.stem.startswith(prefix) for prefix in args.only)]
    rows = []
    total = time.perf_counter()
    with served_dist() as url, chromium() as browser:
        page = browser.new_context().new_page()
        page.goto(url)
        page.evaluate("window.evomachine.ready")
        page.evaluate("window.evomachine.loadExample('ticket-triage')")
        worker = next(w for w in page.workers if w.url.endswith("/web/engine-worker.mjs"))
        if args.page_run:
            page_run(page, worker, args.page_run, args.repeats)
        elif not args.no_speed:
            speed(worker, args.calls, args.batch, args.concurrency)
        if not args.no_corpus and args.paths:
            paths_corpus(worker, paths, args.paths)
        for path in paths if not args.no_corpus else []:
            calls = 3 if path.stem[:3] in ("h21", "h37") else 1
            found = worker.evaluate(ASK, [path.read_text(), calls])
            steps = page.evaluate("window.evomachine.run(3)")["steps"]
            described = json.loads(worker.evaluate("globalThis.evomachineSandbox.describe()"))
            rows.append([path.stem, f"{found['boot'] / 1000:.2f}", f"{found['ms'] / 1000:.2f}",
                         outcome(found), "yes" if steps == 3 else "NO",
                         str(described["restarts"])])
    if args.no_corpus:
        return
    print(f"\nred-team corpus through the sandbox Worker in Chromium ({len(paths)} modules, "
          f"deadline 1 s per call)\n")
    print(table(["module", "boot s", "wall s", "outcome", "engine answers after",
                 "Worker restarts so far"], rows))
    print(f"\ntotal {time.perf_counter() - total:.1f} s")


if __name__ == "__main__":
    main()
