"""The DSL editor with a huge machine: frame gaps while a 7 MB machine is pasted, checked, edited.

    .venv/bin/python bench/editor.py [--mb 7] [--runs 3]

In headless Chromium, on dist/ served from 127.0.0.1. A machine of about ``--mb`` MB (one Input,
one Task, then States and edges) is put on the clipboard and pasted with Ctrl+V into the empty
editor. "Longest frame gap" is the longest time between two animation frames on the page: during
the paste until the text is in the editor; then until the engine Worker's check of the whole text
is shown under the editor (the parse itself runs in the Worker, off the page's thread); then while
typing 20 characters at its end, undoing them, and jumping to the start and the end.
"""

from __future__ import annotations

import argparse

from _harness import chromium, served_dist, summary, table

GAPS = """() => {
  window.__gaps = { last: performance.now(), longest: 0, frames: 0, on: true };
  const frame = (now) => {
    const g = window.__gaps;
    g.longest = Math.max(g.longest, now - g.last);
    g.last = now;
    g.frames += 1;
    if (g.on) requestAnimationFrame(frame);
  };
  requestAnimationFrame(frame);
}"""
TAKE = """() => { const g = window.__gaps; const out = { longest: g.longest, frames: g.frames };
  g.longest = 0; g.frames = 0; return out; }"""
LENGTH = """async () => {
  const { EditorView } = await import('@codemirror/view');
  const host = document.getElementById('dsl');
  return EditorView.findFromDOM(host.shadowRoot.querySelector('.cm-editor')).state.doc.length;
}"""


def big_machine(size: int) -> str:
    """A valid machine of about ``size`` characters (each State line has an edge back)."""
    lines = ['machine "Big"', 'Input data { source: "data.jsonl"; }',
             'Task t "Classify" { prompt: "Answer a or b: {{ input.text }}"; output<"a" | "b">; }',
             "data -> t;", "t -a-> s0;", "t -b-> s0;"]
    total, i = sum(len(line) + 1 for line in lines), 0
    while total < size:
        line = f'State s{i} "State number {i}, one of many in a pasted machine"; s{i} -> data;'
        lines.append(line)
        total += len(line) + 1
        i += 1
    return "\n".join(lines) + "\n"


def wait(page, expression: str, timeout_s: float = 600) -> None:
    for _ in range(int(timeout_s * 10)):
        if page.evaluate(expression):
            return
        page.wait_for_timeout(100)
    raise SystemExit(f"timed out waiting for {expression}")


def one_run(page, url: str, text: str) -> dict[str, float]:
    page.goto(url)
    wait(page, "document.body.dataset.ready === 'true'")
    page.evaluate("window.evomachine.ready")
    page.evaluate("window.evomachine.reset()")
    wait(page, "document.body.dataset.ready === 'true'")
    content = page.locator("#dsl .cm-content")
    content.click()
    page.keyboard.press("Control+A")
    page.keyboard.press("Delete")
    page.evaluate("(t) => navigator.clipboard.writeText(t)", text)
    page.evaluate("document.getElementById('dsl-status').textContent = ''")
    page.evaluate(GAPS)
    started = page.evaluate("performance.now()")
    page.keyboard.press("Control+V")
    wait(page, f"({LENGTH})().then((n) => n === {len(text)})")
    pasted = page.evaluate(TAKE)
    pasted_ms = page.evaluate("performance.now()") - started
    wait(page, "document.getElementById('dsl-status').textContent !== ''")
    checked = page.evaluate(TAKE)
    checked_ms = page.evaluate("performance.now()") - started
    page.keyboard.press("Control+End")
    page.keyboard.type("// twenty characters")
    for _ in range(20):
        page.keyboard.press("Control+Z")
    page.keyboard.press("Control+Home")
    page.keyboard.press("Control+End")
    page.wait_for_timeout(500)
    edited = page.evaluate(TAKE)
    page.evaluate("window.__gaps.on = false")
    return {"paste_gap": pasted["longest"], "paste_ms": pasted_ms,
            "check_gap": checked["longest"], "check_ms": checked_ms,
            "edit_gap": edited["longest"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=float, default=7.0)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    text = big_machine(int(args.mb * 1_000_000))
    results = []
    with served_dist() as url, chromium() as browser:
        context = browser.new_context(viewport={"width": 1440, "height": 1000},
                                      permissions=["clipboard-read", "clipboard-write"])
        page = context.new_page()
        for _ in range(args.runs):
            results.append(one_run(page, url, text))
        context.close()
    rows = [
        [label, *(f"{v:,.0f} ms" for v in summary([r[key] for r in results]))]
        for label, key in (
            ("longest frame gap: Ctrl+V until the text is in", "paste_gap"),
            ("Ctrl+V -> text in the editor", "paste_ms"),
            ("longest frame gap: then until the check is shown", "check_gap"),
            ("Ctrl+V -> engine's check shown", "check_ms"),
            ("longest frame gap: typing, undo, Ctrl+Home/End", "edit_gap"),
        )
    ]
    print(f"A {len(text) / 1e6:.1f} MB machine ({text.count(chr(10)):,} lines) pasted into the "
          f"editor in headless Chromium, {args.runs} runs\n")
    print(table(["measure", "min", "median", "max"], rows))


if __name__ == "__main__":
    main()
