"""The page against the 400 ms server of ``bench/concurrency.py``: a 2,000-record run at K.

    .venv/bin/python bench/concurrency_page.py [--ks 8 1] [--records 2000]

Chromium opens the built page (``python3 build.py build`` first), loads the
triage machine with the records, points the LLM settings at the local
OpenAI-compatible server (127.0.0.1, 400 ms an answer) with ``concurrency``
K, and runs every record with ``window.evomachine.run``. Printed: wall
seconds of the run, HTTP requests the server saw, the LLM calls and accuracy
the engine reports, the final stage.
"""

from __future__ import annotations

import argparse
import sys
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent / "py_src")]

from _harness import chromium, served_dist, table  # noqa: E402
from concurrency import MACHINE, Server, records  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ks", type=int, nargs="+", default=[8, 1])
    parser.add_argument("--records", type=int, default=2000)
    parser.add_argument("--latency", type=float, default=0.4)
    args = parser.parse_args()
    rows = records(args.records)
    lines = []
    with served_dist() as url, chromium() as browser:
        for k in args.ks:
            server = Server({r["text"]: r["label"] for r in rows}, args.latency, 0.0)
            thread = threading.Thread(target=server.serve_forever, args=(0.01,), daemon=True)
            thread.start()
            context = browser.new_context()
            page = context.new_page()
            page.goto(url)
            page.evaluate("window.evomachine.ready.then(() => window.evomachine.reset())")
            page.evaluate("([dsl, rows]) => window.evomachine.load(dsl, rows)", [MACHINE, rows])
            config = {"provider": "openai", "model": "bench", "concurrency": k,
                      "base_url": f"http://127.0.0.1:{server.server_address[1]}/v1"}
            reply = page.evaluate("(c) => window.evomachine.setLLM(c)", config)
            assert reply["ready"], reply
            print(f"page K={k}...", file=sys.stderr, flush=True)
            started = time.perf_counter()
            result = page.evaluate(f"window.evomachine.run({3 * len(rows) + 3})")
            wall = time.perf_counter() - started
            metrics = page.evaluate("window.evomachine.state()")["metrics"]["route"]
            lines.append([str(k), str(result["steps"]), result["reason"], f"{wall:.1f}",
                          str(server.requests), str(metrics["llm_calls"]),
                          f"{100 * (metrics['accuracy'] or 0):.1f}%", metrics["stage"]])
            context.close()
            server.shutdown()
            server.server_close()
    print(table(["K", "steps", "reason", "wall s", "HTTP requests", "LLM calls", "accuracy",
                 "stage"], lines))


if __name__ == "__main__":
    main()
