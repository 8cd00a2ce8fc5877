"""Shared bench plumbing: dist/ served on 127.0.0.1 and Debian's Chromium through Playwright."""

from __future__ import annotations

import importlib.util
import statistics
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def load_build_module():
    spec = importlib.util.spec_from_file_location("evomachine_build", ROOT / "build.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["evomachine_build"] = module
    spec.loader.exec_module(module)
    return module


@contextmanager
def served_dist(dist: Path | None = None) -> Iterator[str]:
    """``dist`` (default: this tree's dist/) served on 127.0.0.1 at a free port; its URL."""
    build = load_build_module()
    dist = dist or build.DIST
    if not (dist / "index.html").exists():
        raise SystemExit(f"{dist} holds no index.html: run 'python3 build.py' in its tree first")
    httpd = build.make_server(0, dist)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    finally:
        httpd.shutdown()
        httpd.server_close()


@contextmanager
def chromium() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        build = load_build_module()
        browser = playwright.chromium.launch(executable_path=build.CHROMIUM,
                                             args=list(build.CHROMIUM_FLAGS), headless=True)
        try:
            yield browser
        finally:
            browser.close()


def summary(values: list[float]) -> tuple[float, float, float]:
    return min(values), statistics.median(values), max(values)


def table(headers: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(str(cell)) for cell in column) for column in zip(headers, *rows, strict=True)]

    def line(cells: list[str]) -> str:
        return "| " + " | ".join(str(c).ljust(w) for c, w in zip(cells, widths, strict=True)) + " |"

    return "\n".join([line(headers), "|" + "|".join("-" * (w + 2) for w in widths) + "|",
                      *(line(r) for r in rows)])
