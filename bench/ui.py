"""The page while the engine works in its Worker: Pause latency, frame gaps, boot, throughput.

    .venv/bin/python bench/ui.py [--runs 5] [--steps 2000]

In headless Chromium, on dist/ served from 127.0.0.1, with ticket-triage. "Pause -> stopped" is
a click on Pause until the run status says "Paused" (the chunk running in the engine Worker
ends, the page persists and reports): with the simulated LLM, and with an OpenAI-compatible
server on 127.0.0.1 that never answers (tests/unit/llm_fake_server.py; Pause aborts the request
in flight). Frame gaps are the times between animation frames on the page during a 2,000-step
evolving run from the start of the data (the main thread never runs Python). "Boot to ready" is
from navigation to ``window.evomachine.ready``. "Run" is steps/s of ``run(3000)``. ``--steps``
sets the evolving run's length, and the throughput run's (1.5 times it); the suite's smoke
run uses a short one. Every wait on
the page is bounded: a run that ends another way stops the bench with the status it showed.
Frame gaps depend on the machine's load (printed with the table); the same page idle for as
long as the run took gives the gaps load alone causes.
"""

from __future__ import annotations

import argparse
import os
import sys

from _harness import ROOT, chromium, served_dist, summary, table

sys.path.insert(0, str(ROOT / "tests" / "unit"))
from llm_fake_server import FakeLLMServer

# Every wait on the page is bounded (page.evaluate has no timeout of its own): a run that ended
# before Pause was clicked changes the status no more, and its observer would wait for ever.
WITHIN = """const within = (promise, ms, what) => Promise.race([promise, new Promise((_, reject) =>
  setTimeout(() => reject(new Error(`${what}: no answer within ${ms / 1000} s; status: ${
    document.getElementById("run-status").textContent}`)), ms))]);"""

# Click Pause once the run is running; resolves [ms until the status left Running/Pausing, status].
PAUSE = WITHIN + """
const pauseNow = async () => {
  const status = document.getElementById("run-status");
  const moving = () => /^(Running|Pausing|Waiting)/.test(status.textContent);
  if (!moving()) return [null, status.textContent];  // no run is under way: nothing to pause
  const paused = new Promise((resolve) => {
    const seen = new MutationObserver(() => {
      if (moving()) return;
      seen.disconnect();  // "Paused", or the run ended another way: the caller says which
      resolve(performance.now());
    });
    seen.observe(status, { childList: true, characterData: true, subtree: true });
  });
  const clicked = performance.now();
  document.getElementById("pause-btn").click();
  return [(await within(paused, 30000, "Pause")) - clicked, status.textContent];
};"""

PAUSE_CLICK = """async (waitMs) => {
  """ + PAUSE + """
  document.getElementById("run-count").value = "100000";
  document.getElementById("run-btn").click();
  // Under load the run can start later than waitMs (it waits for the calls queued before it);
  // Pause is disabled until then, and a click on it would stop nothing.
  const status = document.getElementById("run-status");
  await within(new Promise((resolve) => {
    const started = () => status.textContent.startsWith("Running") && (resolve(), true);
    if (started()) return;
    const seen = new MutationObserver(() => started() && seen.disconnect());
    seen.observe(status, { childList: true, characterData: true, subtree: true });
  }), 30000, "Run");
  await new Promise((resolve) => setTimeout(resolve, waitMs));
  return pauseNow();
}"""

# Gaps between animation frames while `work` runs: [longest, over 50 ms, how long it took].
# The same on an idle page for as long is the machine's floor: what load alone costs.
FRAME_GAPS = """async ([idleMs, steps]) => {
  """ + WITHIN + """
  // idle: once the page has drawn what the run left (it goes idle), nothing runs for idleMs
  if (idleMs !== null) await new Promise((go) => requestIdleCallback(go, { timeout: 5000 }));
  let last = performance.now();
  const started = last;
  const gaps = [];
  let running = true;
  const frame = (now) => {
    gaps.push(now - last);
    last = now;
    if (running) requestAnimationFrame(frame);
  };
  requestAnimationFrame(frame);
  try {
    await within(idleMs === null ? window.evomachine.run(steps)
      : new Promise((resolve) => setTimeout(resolve, idleMs)), 600000, `run(${steps})`);
  } finally {
    running = false;
  }
  return [Math.max(...gaps), gaps.filter((gap) => gap > 50).length, performance.now() - started];
}"""

PAUSE_NOW = """async () => {
  """ + PAUSE + """
  return pauseNow();
}"""

BOUNDED = """async ([method, args, ms]) => {
  """ + WITHIN + """
  const api = window.evomachine;  // set by the boot module, which runs before the load event
  return within(method === "ready" ? api.ready.then(() => performance.now())
    : api[method](...args), ms, `evomachine.${method}`);
}"""


def bounded(page, method: str, *args, seconds: float = 300.0):
    """``window.evomachine[method](*args)`` (``ready``: the time it resolved), failing after
    ``seconds`` instead of waiting for ever."""
    return page.evaluate(BOUNDED, [method, list(args), seconds * 1000])


def paused(reply: list) -> float:
    """The time a Pause took, or exit naming the status the run ended with instead."""
    took, status = reply
    if took is None:
        raise SystemExit(f"no run was under way to pause: {status}")
    if not status.startswith("Paused"):
        raise SystemExit(f"the run did not pause: {status}")
    return took


def pause_while_waiting(page, server: FakeLLMServer) -> float:
    """Run against a server that holds every request; Pause once one is in flight."""
    server.script.extend(["hang"] * 4)
    bounded(page, "loadExample", "ticket-triage")  # pauses the last run and waits for its end
    seen = len(server.requests)
    page.evaluate("document.getElementById('run-btn').click()")
    # The new run is under way (its status says so) and a request reached the server. Waiting
    # for a request alone can hang the bench (a likely cause of the hangs seen): a request the
    # last run sent just before its Pause, recorded late by the server, lets Pause be clicked
    # before this run has started; Pause then stops nothing and the run waits on the server.
    running = "document.getElementById('run-status').textContent.startsWith('Running')"
    for _ in range(3000):  # 30 s at most
        if len(server.requests) > seen and page.evaluate(running):
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
    parser.add_argument("--steps", type=int, default=2000,
                        help="the evolving run's steps (the throughput run's: 1.5 times as many)")
    args = parser.parse_args()
    pauses, hanging, gaps, slow_frames, boots, rates = [], [], [], [], [], []
    idle_gaps, idle_slow = [], []
    load_before = os.getloadavg()
    server = FakeLLMServer(answer="tech", hang_s=600.0).start()
    with served_dist() as url, chromium() as browser:
        for _ in range(args.runs):
            context = browser.new_context(viewport={"width": 1440, "height": 1000})
            page = context.new_page()
            page.goto(url)
            boots.append(bounded(page, "ready"))
            context.close()
        context = browser.new_context(viewport={"width": 1440, "height": 1000})
        page = context.new_page()
        page.goto(url)
        bounded(page, "ready")
        bounded(page, "reset")
        bounded(page, "loadExample", "ticket-triage")
        bounded(page, "setLLM", {"provider": "simulated", "accuracy": 0.97})
        for index in range(args.runs):
            bounded(page, "loadExample", "ticket-triage")  # data for the whole run
            pauses.append(paused(page.evaluate(PAUSE_CLICK, 150 + 100 * index)))
            bounded(page, "loadExample", "ticket-triage")
            longest, over, took = page.evaluate(FRAME_GAPS, [None, args.steps])
            gaps.append(longest)
            slow_frames.append(over)
            longest, over, _ = page.evaluate(FRAME_GAPS, [took, args.steps])  # idle as long
            idle_gaps.append(longest)
            idle_slow.append(over)
            bounded(page, "loadExample", "ticket-triage")
            rates.append(bounded(page, "run", args.steps * 3 // 2, seconds=600)["steps_per_s"])
        bounded(page, "setLLM", {
            "provider": "openai", "base_url": f"{server.base_url}/v1", "model": "local",
            "api_key": "sk-bench", "remember": False})
        for _ in range(args.runs):
            hanging.append(pause_while_waiting(page, server))
        context.close()
    server.stop()
    evolving = f"{args.steps:,}-step evolving run"
    rows = [
        ["boot to ready", *(f"{v:.0f} ms" for v in summary(boots))],
        ["Pause click -> 'Paused' shown, simulated LLM", *(f"{v:.0f} ms" for v in summary(pauses))],
        ["Pause click -> 'Paused' shown, provider never answers",
         *(f"{v:.0f} ms" for v in summary(hanging))],
        [f"longest frame gap, {evolving}", *(f"{v:.0f} ms" for v in summary(gaps))],
        [f"frames over 50 ms, {evolving}", *(f"{v:.0f}" for v in summary(slow_frames))],
        ["longest frame gap, idle page as long (load alone)",
         *(f"{v:.0f} ms" for v in summary(idle_gaps))],
        ["frames over 50 ms, idle page as long", *(f"{v:.0f}" for v in summary(idle_slow))],
        [f"run({args.steps * 3 // 2:,}), simulated LLM",
         *(f"{v:,.0f} steps/s" for v in summary(rates))],
    ]
    load = ", ".join(f"{a:.1f} -> {b:.1f}"
                     for a, b in zip(load_before, os.getloadavg(), strict=True))
    print(f"The page during engine work in headless Chromium, {args.runs} runs"
          f" (load average 1/5/15 min, start -> end: {load}; {os.cpu_count()} CPUs)\n")
    print(table(["measure", "min", "median", "max"], rows))


if __name__ == "__main__":
    main()
