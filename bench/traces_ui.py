"""The Traces panel at 100,000 executions: scrolling, jumping, filtering and searching in the page.

    .venv/bin/python bench/traces_ui.py [--executions 100000] [--jumps 40]

In headless Chromium on dist/ served from 127.0.0.1: a one-task machine runs
``--executions`` executions (the simulated LLM; repeated inputs are answered from
the memo, so the run is quick), then the Traces panel is measured with 100,000
traces kept: the longest gap between animation frames while the wheel scrolls
through the table, the time from a jump (scrollbar drag to a random place) until
that place's rows are drawn (the engine is asked for one page of rows), the rows
in the DOM (the table is virtual), and how long a filter and a search take to
show their count. Timings come from the page's clock.
"""

from __future__ import annotations

import argparse
import json

from _harness import chromium, served_dist, summary, table

DSL = """machine "Echo"
Input item { ground_truth: "label"; }
Task echo { prompt: "Which letter: {{ input.text }}"; output<"a" | "b" | "c">; }
item -> echo;
echo -> item;
"""

WHEEL = """async ([steps, scroll]) => {
  const viewport = document.getElementById("traces-viewport");
  viewport.scrollTop = 0;
  await new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)));
  const long = [];
  const observer = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) long.push(e.duration);
  });
  observer.observe({ entryTypes: ["longtask"] });
  let last = performance.now(), running = true;
  const gaps = [];
  const frame = (now) => { gaps.push(now - last); last = now;
    if (running) requestAnimationFrame(frame); };
  requestAnimationFrame(frame);
  for (let i = 0; i < steps; i += 1) {
    if (!scroll) { await new Promise((resolve) => requestAnimationFrame(resolve)); continue; }
    viewport.dispatchEvent(new WheelEvent("wheel", { deltaY: 600, bubbles: true }));
    viewport.scrollTop += 600;
    await new Promise((resolve) => requestAnimationFrame(resolve));
  }
  running = false;
  observer.disconnect();
  const rows = viewport.querySelectorAll(".trace-row").length;
  gaps.sort((a, b) => a - b);
  const at = (q) => gaps[Math.min(gaps.length - 1, Math.floor(q * gaps.length))];
  return { longest: gaps[gaps.length - 1], median: at(0.5), p95: at(0.95), frames: gaps.length,
           rows, top: viewport.scrollTop, longTasks: long.length,
           longTaskMs: long.reduce((a, b) => a + b, 0) };
}"""

JUMP = """async (fraction) => {
  const viewport = document.getElementById("traces-viewport");
  const started = performance.now();
  viewport.scrollTop = Math.floor((viewport.scrollHeight - viewport.clientHeight) * fraction);
  const index = Math.floor(viewport.scrollTop / 28);
  while (performance.now() - started < 10000) {
    await new Promise((resolve) => requestAnimationFrame(resolve));
    const row = viewport.querySelector(`.trace-row[aria-rowindex="${index + 1}"]:not([hidden])`);
    if (row) return performance.now() - started;
  }
  return null;
}"""

SUMMARY_AFTER = """async ([id, value]) => {
  const summary = document.getElementById("traces-summary");
  const before = summary.textContent;
  const control = document.getElementById(id);
  const started = performance.now();
  control.value = value;
  control.dispatchEvent(new Event(id === "traces-search" ? "input" : "change", { bubbles: true }));
  while (summary.textContent === before && performance.now() - started < 30000) {
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  return [performance.now() - started, summary.textContent];
}"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--executions", type=int, default=100_000)
    parser.add_argument("--jumps", type=int, default=40)
    args = parser.parse_args()
    records = [{"text": f"item {i % 300}", "label": "abc"[i % 300 % 3]}
               for i in range(args.executions)]
    with served_dist() as url, chromium() as browser:
        context = browser.new_context(viewport={"width": 1440, "height": 1000})
        page = context.new_page()
        page.goto(url)
        page.evaluate("window.evomachine.ready")
        page.evaluate("window.evomachine.reset()")
        page.evaluate("window.evomachine.setLLM({provider: 'simulated', accuracy: 1})")
        page.evaluate("([dsl, data]) => window.evomachine.load(dsl, data)",
                      [DSL, "\n".join(json.dumps(r) for r in records)])
        run = page.evaluate(f"window.evomachine.run({2 * args.executions})")
        kept = page.evaluate("window.evomachine.traces('echo', 'all', '', 0, 1)")["total"]
        page.wait_for_function("(n) => document.getElementById('traces-summary').textContent"
                               ".startsWith(n)", arg=f"{kept:,} of", timeout=60_000)
        page.locator("#traces-viewport").scroll_into_view_if_needed()
        idle = page.evaluate(WHEEL, [200, False])
        wheel = page.evaluate(WHEEL, [200, True])
        jumps = [page.evaluate(JUMP, (i * 0.6180339) % 1.0) for i in range(1, args.jumps + 1)]
        filtered = page.evaluate(SUMMARY_AFTER, ["traces-filter", "llm"])
        searched = page.evaluate(SUMMARY_AFTER, ["traces-search", "item 42"])
        context.close()
    drawn = [j for j in jumps if j is not None]
    jumps_sorted = sorted(drawn)
    p95 = jumps_sorted[int(0.95 * (len(jumps_sorted) - 1))] if jumps_sorted else float("nan")
    rows = [
        ["run", f"{run['steps']:,} steps", f"{run['steps_per_s']:,.0f} steps/s"],
        ["traces kept (task echo)", f"{kept:,}", ""],
        ["wheel: 200 scrolls of 600 px, frame gap median / p95", f"{wheel['median']:.0f} ms",
         f"p95 {wheel['p95']:.0f} ms, longest {wheel['longest']:.0f} ms, "
         f"{wheel['frames']} frames; main-thread tasks > 50 ms: {wheel['longTasks']} "
         f"({wheel['longTaskMs']:.0f} ms)"],
        ["idle page (no scrolling), frame gap median / p95", f"{idle['median']:.0f} ms",
         f"p95 {idle['p95']:.0f} ms, longest {idle['longest']:.0f} ms; tasks > 50 ms: "
         f"{idle['longTasks']}"],
        ["rows in the DOM", str(wheel["rows"]), f"of {kept:,}"],
        [f"jump to a random place -> rows drawn ({len(drawn)}/{len(jumps)})",
         f"median {summary(drawn)[1]:.0f} ms" if drawn else "-", f"p95 {p95:.0f} ms"],
        ["filter 'answered by the LLM' -> count shown", f"{filtered[0]:.0f} ms", filtered[1][:50]],
        ["search 'item 42' -> count shown", f"{searched[0]:.0f} ms", searched[1][:50]],
    ]
    print(f"The Traces panel at {kept:,} executions, headless Chromium\n")
    print(table(["measure", "value", "detail"], rows))


if __name__ == "__main__":
    main()
