"""The page while the engine works in its Worker: Pause latency, frame gaps, boot, throughput.

    .venv/bin/python bench/ui.py [--runs 5]

In headless Chromium, on dist/ served from 127.0.0.1, with ticket-triage. "Pause -> stopped" is
a click on Pause until the run status says "Paused" (the chunk running in the engine Worker
ends, the page persists and reports): with the simulated LLM, and with an OpenAI-compatible
server on 127.0.0.1 that never answers (tests/unit/llm_fake_server.py; Pause aborts the request
in flight). Frame gaps are the times between animation frames on the page during a 2,000-step
evolving run from the start of the data (the main thread never runs Python). "Boot to ready" is
from navigation to ``window.evomachine.ready``. "Run" is steps/s of ``run(3000)``.
"""

from __future__ import annotations

import argparse
import sys

from _harness import ROOT, chromium, served_dist, summary, table

sys.path.insert(0, str(ROOT / "tests" / "unit"))
from llm_fake_server import FakeLLMServer

PAUSE_CLICK = """async (waitMs) => {
  const status = document.getElementById("run-status");
  document.getElementById("run-count").value = "1000000";
  document.getElementById("run-btn").click();
  await new Promise((resolve) => setTimeout(resolve, waitMs));
  const paused = new Promise((resolve) => {
    const seen = new MutationObserver(() => {
      if (/^(Running|Pausing|Waiting)/.test(status.textContent)) return;
      seen.disconnect();  // "Paused", or the run ended another way: the caller says which
      resolve(performance.now());
    });
    seen.observe(status, { childList: true, characterData: true, subtree: true });
  });
  const clicked = performance.now();
  document.getElementById("pause-btn").click();
  return [(await paused) - clicked, status.textContent];
}"""

FRAME_GAPS = """async () => {
  let last = performance.now();
  const gaps = [];
  let running = true;
  const frame = (now) => {
    gaps.push(now - last);
    last = now;
    if (running) requestAnimationFrame(frame);
  };
  requestAnimationFrame(frame);
  await window.evomachine.run(2000);
  running = false;
  return [Math.max(...gaps), gaps.filter((gap) => gap > 50).length];
}"""

PAUSE_NOW = """async () => {
  const status = document.getElementById("run-status");
  const paused = new Promise((resolve) => {
    const seen = new MutationObserver(() => {
      if (/^(Running|Pausing|Waiting)/.test(status.textContent)) return;
      seen.disconnect();  // "Paused", or the run ended another way: the caller says which
      resolve(performance.now());
    });
    seen.observe(status, { childList: true, characterData: true, subtree: true });
  });
  const clicked = performance.now();
  document.getElementById("pause-btn").click();
  return [(await paused) - clicked, status.textContent];
}"""


def paused(reply: list) -> float:
    """The time a Pause took, or exit naming the status the run ended with instead."""
    took, status = reply
    if not status.startswith("Paused"):
        raise SystemExit(f"the run did not pause: {status}")
    return took


def pause_while_waiting(page, server: FakeLLMServer) -> float:
    """Run against a server that holds every request; Pause once one is in flight."""
    server.script.extend(["hang"] * 4)
    seen = len(server.requests)
    page.evaluate("window.evomachine.loadExample('ticket-triage')")
    page.evaluate("document.getElementById('run-btn').click()")
    for _ in range(3000):  # 30 s at most
        if len(server.requests) > seen:
            break
        page.wait_for_timeout(10)
    else:
        raise SystemExit(f"no request reached the server: {page.inner_text('#run-status')}")
    took = paused(page.evaluate(PAUSE_NOW))
    server.script.clear()
    return took


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    pauses, hanging, gaps, slow_frames, boots, rates = [], [], [], [], [], []
    server = FakeLLMServer(answer="tech", hang_s=600.0).start()
    with served_dist() as url, chromium() as browser:
        for _ in range(args.runs):
            context = browser.new_context(viewport={"width": 1440, "height": 1000})
            page = context.new_page()
            page.goto(url)
            boots.append(page.evaluate("window.evomachine.ready.then(() => performance.now())"))
            context.close()
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
            pauses.append(paused(page.evaluate(PAUSE_CLICK, 150 + 100 * index)))
            page.evaluate(fresh)
            longest, over = page.evaluate(FRAME_GAPS)
            gaps.append(longest)
            slow_frames.append(over)
            page.evaluate(fresh)
            rates.append(page.evaluate("window.evomachine.run(3000)")["steps_per_s"])
        page.evaluate("(c) => window.evomachine.setLLM(c)", {
            "provider": "openai", "base_url": f"{server.base_url}/v1", "model": "local",
            "api_key": "sk-bench", "remember": False})
        for _ in range(args.runs):
            hanging.append(pause_while_waiting(page, server))
        context.close()
    server.stop()
    rows = [
        ["boot to ready", *(f"{v:.0f} ms" for v in summary(boots))],
        ["Pause click -> 'Paused' shown, simulated LLM", *(f"{v:.0f} ms" for v in summary(pauses))],
        ["Pause click -> 'Paused' shown, provider never answers",
         *(f"{v:.0f} ms" for v in summary(hanging))],
        ["longest frame gap, 2,000-step evolving run", *(f"{v:.0f} ms" for v in summary(gaps))],
        ["frames over 50 ms, 2,000-step evolving run", *(f"{v:.0f}" for v in summary(slow_frames))],
        ["run(3000), simulated LLM", *(f"{v:,.0f} steps/s" for v in summary(rates))],
    ]
    print(f"The page during engine work in headless Chromium, {args.runs} runs\n")
    print(table(["measure", "min", "median", "max"], rows))


if __name__ == "__main__":
    main()
