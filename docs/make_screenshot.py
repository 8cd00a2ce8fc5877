"""Take the README's screenshot (docs/screenshot.png) from the built page, as a person gets it.

    python3 build.py build && .venv/bin/python docs/make_screenshot.py

Headless Chromium, 1440 x 1200: Ticket triage loaded, the simulated LLM at 95 %, 4,500 steps
run with the Run button. It prints the stages the task went through, for the README's caption.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

from _harness import chromium, served_dist  # noqa: E402

STEPS = 4500


def wait_until(page: Any, expression: str, arg: Any = None, timeout_s: float = 120) -> None:
    """Poll ``expression`` through the DevTools protocol (the page's CSP forbids eval)."""
    deadline = time.monotonic() + timeout_s
    while not page.evaluate(expression, arg):
        if time.monotonic() > deadline:
            raise SystemExit(f"timed out waiting for {expression}")
        page.wait_for_timeout(100)


def main() -> None:
    with served_dist() as url, chromium() as browser:
        context = browser.new_context(viewport={"width": 1440, "height": 1200})
        page = context.new_page()
        page.goto(url)
        wait_until(page, "document.body.dataset.ready === 'true'")
        page.select_option("#example-select", "ticket-triage")
        page.click("#load-example")
        page.wait_for_selector(".task-card[data-task='route']")
        page.fill("#llm-accuracy", "0.95")
        page.click("#apply-llm")
        wait_until(page, "document.getElementById('llm-status').textContent.includes('95')")
        page.fill("#run-count", str(STEPS))
        page.click("#run-btn")
        wait_until(page, "(n) => document.getElementById('run-status').textContent"
                   ".startsWith(`Done after ${n}`)", f"{STEPS:,}", timeout_s=600)
        page.evaluate("document.activeElement && document.activeElement.blur()")
        page.evaluate("window.scrollTo(0, 0)")
        page.wait_for_timeout(500)  # the last redraw of the charts
        page.screenshot(path=str(ROOT / "docs" / "screenshot.png"))
        changes = page.evaluate("window.evomachine.state()")["series"]["route"]["changes"]
        print(" → ".join(["llm_only", *(c["to"] for c in changes)]),
              [(c["to"], c["at"]) for c in changes])
        context.close()


if __name__ == "__main__":
    main()
