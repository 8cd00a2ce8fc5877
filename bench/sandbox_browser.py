"""The red-team corpus through the browser's boundary: the sandbox Worker in Chromium.

    .venv/bin/python bench/sandbox_browser.py [--only h01 h35 ...]

In headless Chromium, on dist/ served from 127.0.0.1: the page boots, its engine Worker
starts the sandbox Worker, and every module in tests/unit/hostile_redteam is loaded into it
and asked once (three times for the modules that accumulate across calls) through the
manager the engine itself uses (``globalThis.evomachineSandbox`` in the engine Worker).
Printed: the outcome, the wall time of load + calls (a killed Worker is started again on
the next module, and that boot is in the next module's time: shown separately as "boot"),
and whether the engine still answers afterwards (``run(3)`` from the page's API).
Chromium gives a Worker no memory limit of its own and no way to read its memory without
cross-origin isolation: the sizes the sandbox's size checks refuse are in bench/sandbox.py.
"""

from __future__ import annotations

import argparse
import json
import time

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", help="module name prefixes (default: all)")
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
        for path in paths:
            calls = 3 if path.stem[:3] in ("h21", "h37") else 1
            found = worker.evaluate(ASK, [path.read_text(), calls])
            steps = page.evaluate("window.evomachine.run(3)")["steps"]
            described = json.loads(worker.evaluate("globalThis.evomachineSandbox.describe()"))
            rows.append([path.stem, f"{found['boot'] / 1000:.2f}", f"{found['ms'] / 1000:.2f}",
                         outcome(found), "yes" if steps == 3 else "NO",
                         str(described["restarts"])])
    print(f"\nred-team corpus through the sandbox Worker in Chromium ({len(paths)} modules, "
          f"deadline 2 s per call)\n")
    print(table(["module", "boot s", "wall s", "outcome", "engine answers after",
                 "Worker restarts so far"], rows))
    print(f"\ntotal {time.perf_counter() - total:.1f} s")


if __name__ == "__main__":
    main()
