"""Cold boot of the page in headless Chromium: ours against bare Pyodide, and dist/ sizes.

    .venv/bin/python bench/boot.py [--runs 5] [--against OTHER_DIST]

Each run uses a fresh browser context (empty HTTP cache, empty storage).
"Ours" is navigation start → ``window.evomachine.ready`` resolved; "bare
Pyodide" is navigation start → ``loadPyodide()`` resolved with no packages,
on a page served from the same dist/. The engine's share is the difference.

``--against`` boots another build's dist/ (say 0.1.0's, built from its commit in a
git worktree) in the same runs, interleaved with ours, so both see the same load:

    git worktree add /tmp/v010 67bcb41 && (cd /tmp/v010 && python3 build.py build)
    .venv/bin/python bench/boot.py --against /tmp/v010/dist
"""

from __future__ import annotations

import argparse
import json
from contextlib import ExitStack
from pathlib import Path

from _harness import ROOT, chromium, served_dist, summary, table

BARE_PAGE = """<!doctype html><meta charset="utf-8"><title>bare pyodide</title>
<script type="module">
const { loadPyodide } = await import("./pyodide/pyodide.mjs");
await loadPyodide({ indexURL: new URL("./pyodide/", location.href).href });
window.bareReadyAt = performance.now();
</script>"""


def boot_once(browser, url: str, bare: bool) -> tuple[float, dict]:
    context = browser.new_context()
    try:
        page = context.new_page()
        if bare:
            page.route("**/__bare.html", lambda route: route.fulfill(
                status=200, content_type="text/html", body=BARE_PAGE))
            page.goto(url + "__bare.html")
            page.wait_for_function("window.bareReadyAt !== undefined", timeout=120_000)
            return page.evaluate("window.bareReadyAt"), {}
        page.goto(url)
        ready_at = page.evaluate(
            "window.evomachine.ready.then(() => performance.now())")
        timings = page.evaluate("window.evomachine.bootTimings")
        return ready_at, {**timings, "lab": page.evaluate("window.evomachine.labTiming || 0")}
    finally:
        context.close()


def dist_sizes(dist: Path) -> list[list[str]]:
    manifest = json.loads((dist / "manifest.json").read_text())
    groups: dict[str, int] = {}
    for wheel in manifest["wheels"]:
        key = f"wheels ({wheel['group']})"
        groups[key] = groups.get(key, 0) + wheel["size"]
    rows = [[f"pyodide/{p.name}", f"{p.stat().st_size / 1e6:.2f} MB"]
            for p in sorted((dist / "pyodide").iterdir())]
    rows += [[name, f"{size / 1e6:.2f} MB"] for name, size in groups.items()]
    for part in ("web", "examples"):
        if (dist / part).exists():
            size = sum(p.stat().st_size for p in (dist / part).rglob("*") if p.is_file())
            rows.append([f"{part}/", f"{size / 1e6:.2f} MB"])
    total = sum(p.stat().st_size for p in dist.rglob("*") if p.is_file())
    rows.append(["total dist/", f"{total / 1e6:.2f} MB"])
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--against", type=Path, default=None,
                        help="another build's dist/ (e.g. 0.1.0's) booted in the same runs")
    args = parser.parse_args()
    ours, bare, other = [], [], []
    phases: dict[str, list[float]] = {"runtime": [], "packages": [], "engine": [], "lab": []}
    with ExitStack() as stack, served_dist() as url, chromium() as browser:
        other_url = stack.enter_context(served_dist(args.against)) if args.against else None
        boot_once(browser, url, bare=False)  # warm the OS file cache, not measured
        if other_url:
            boot_once(browser, other_url, bare=False)
        for _ in range(args.runs):
            bare.append(boot_once(browser, url, bare=True)[0])
            ready_at, timings = boot_once(browser, url, bare=False)
            ours.append(ready_at)
            for name in phases:
                phases[name].append(timings.get(name, 0.0))
            if other_url:
                other.append(boot_once(browser, other_url, bare=False)[0])
    share = [o - b for o, b in zip(ours, bare, strict=True)]
    rows = [
        ["EvoMachine ready", *(f"{v / 1000:.2f} s" for v in summary(ours))],
        ["bare Pyodide", *(f"{v / 1000:.2f} s" for v in summary(bare))],
        ["engine's share (ours - bare)", *(f"{v / 1000:.2f} s" for v in summary(share))],
        *[[f"  phase: {name}", *(f"{v / 1000:.2f} s" for v in summary(values))]
          for name, values in phases.items()],
    ]
    if other:
        gap = [o - t for o, t in zip(ours, other, strict=True)]
        rows += [[f"{args.against} ready", *(f"{v / 1000:.2f} s" for v in summary(other))],
                 ["ours - that build's, run by run", *(f"{v / 1000:+.2f} s" for v in summary(gap))]]
    print(f"Cold boot in headless Chromium, {args.runs} runs (navigation start -> ready)\n")
    print(table(["measure", "min", "median", "max"], rows))
    print("\nSize of dist/\n")
    print(table(["part", "size"], dist_sizes(ROOT / "dist")))


if __name__ == "__main__":
    main()
