"""The page while the engine works in its Worker: Pause latency, frame gaps, run throughput.

    .venv/bin/python bench/ui.py [--runs 5]

In headless Chromium, on dist/ served from 127.0.0.1, with ticket-triage and the simulated
LLM. "Pause -> stopped" is a click on Pause until the run status says "Paused" (the chunk
running in the engine Worker ends, the page persists and reports). "Longest frame gap" is the
longest time between two animation frames on the page during a 2 s run: the main thread never
runs Python, so it stays near one frame. "Run" is steps/s of ``run(3000)`` from the API.
"""

from __future__ import annotations

import argparse

from _harness import chromium, served_dist, summary, table

PAUSE_CLICK = """async (waitMs) => {
  const status = document.getElementById("run-status");
  document.getElementById("run-count").value = "1000000";
  document.getElementById("run-btn").click();
  await new Promise((resolve) => setTimeout(resolve, waitMs));
  const paused = new Promise((resolve) => {
    const seen = new MutationObserver(() => {
      if (!status.textContent.startsWith("Paused")) return;
      seen.disconnect();
      resolve(performance.now());
    });
    seen.observe(status, { childList: true, characterData: true, subtree: true });
  });
  const clicked = performance.now();
  document.getElementById("pause-btn").click();
  return (await paused) - clicked;
}"""

FRAME_GAPS = """async () => {
  let last = performance.now();
  let longest = 0;
  let running = true;
  const frame = (now) => {
    longest = Math.max(longest, now - last);
    last = now;
    if (running) requestAnimationFrame(frame);
  };
  requestAnimationFrame(frame);
  const run = window.evomachine.run(1000000);
  await new Promise((resolve) => setTimeout(resolve, 2000));
  await window.evomachine.pause();
  await run;
  running = false;
  return longest;
}"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    pauses, gaps, rates = [], [], []
    with served_dist() as url, chromium() as browser:
        context = browser.new_context(viewport={"width": 1440, "height": 1000})
        page = context.new_page()
        page.goto(url)
        page.evaluate("window.evomachine.ready")
        page.evaluate("window.evomachine.reset()")
        page.evaluate("window.evomachine.loadExample('ticket-triage')")
        page.evaluate("window.evomachine.setLLM({provider: 'simulated', accuracy: 0.97})")
        fresh = "window.evomachine.loadExample('ticket-triage')"  # data for the whole run
        for index in range(args.runs):
            page.evaluate(fresh)
            pauses.append(page.evaluate(PAUSE_CLICK, 150 + 100 * index))
            page.evaluate(fresh)
            gaps.append(page.evaluate(FRAME_GAPS))
            page.evaluate(fresh)
            rates.append(page.evaluate("window.evomachine.run(3000)")["steps_per_s"])
        context.close()
    rows = [
        ["Pause click -> 'Paused' shown", *(f"{v:.0f} ms" for v in summary(pauses))],
        ["longest frame gap during a run", *(f"{v:.0f} ms" for v in summary(gaps))],
        ["run(3000), simulated LLM", *(f"{v:,.0f} steps/s" for v in summary(rates))],
    ]
    print(f"The page during engine work in headless Chromium, {args.runs} runs\n")
    print(table(["measure", "min", "median", "max"], rows))


if __name__ == "__main__":
    main()
