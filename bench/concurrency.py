"""Concurrent runs against a local OpenAI-compatible server that answers in 400 ms.

    .venv/bin/python bench/concurrency.py [--records 2000] [--latency 0.4] [--ks 1 4 16 32]
                                          [--prefix 150] [--json FILE]

The server (127.0.0.1, a thread per request) answers a ticket-routing prompt
with the record's label, wrong for a fixed 5% of texts (a deterministic model),
after ``--latency`` seconds. The client is the engine's own: an
``OpenAICompatibleClient`` over urllib with a shared ``RateLimiter``
(max concurrency K), driven by ``EvolutionaryExecutor.run(steps, concurrency=K)``.

Two workloads, both the triage machine over ``--records`` records:

- ``evolving``: automatic evolution on, as shipped: most records end up answered
  by the memo or the generated code, so only a few hundred need the LLM.
- ``llm-bound``: evolution and memo off: every record asks the LLM. K=1 runs
  only the first ``--prefix`` records and its full time is extrapolated
  (printed as such): a full sequential run would wait records × latency.

Then the same at K=16 with the server refusing 10% of requests at random with
429 and ``Retry-After: 1``. Columns: wall seconds, HTTP requests the server saw,
429s, LLM requests the engine needed (asked by the ordered path), prefetched
requests never used (stale), requests sent / needed, lost (asks that got no
answer, or got one twice), final stage, accuracy, speedup against K=1. Wall
time is this script's business only: nothing in the engine reads it.

``--serve PORT --write DIR`` only writes the machine and the records to DIR and
serves the model on 127.0.0.1:PORT, for the CLI (README, "Real providers").
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import random
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path[:0] = [str(HERE), str(ROOT / "py_src")]

from _harness import table  # noqa: E402

from evomachine import parse_machine  # noqa: E402
from evomachine.evolution import EvolutionaryExecutor  # noqa: E402
from evomachine.llm import OpenAICompatibleClient, RateLimiter  # noqa: E402

MACHINE = """machine "Ticket triage"
Input ticket { ground_truth: "label"; }
Task route {
    prompt: "Route this ticket to billing, tech or sales. Ticket: {{ input.text }}";
    output<"billing" | "tech" | "sales">;
}
State billing; State tech; State sales;
ticket -> route;
route -billing-> billing;
route -tech-> tech;
route -sales-> sales;
billing -> ticket; tech -> ticket; sales -> ticket;
"""
MARK = "Ticket: "
CORS = {"Access-Control-Allow-Origin": "*", "Access-Control-Allow-Methods": "POST, OPTIONS",
        "Access-Control-Allow-Headers": "*", "Access-Control-Expose-Headers": "Retry-After",
        "Access-Control-Max-Age": "600"}
WORDS = {
    "billing": ["invoice", "refund", "charge", "payment", "receipt", "billing"],
    "tech": ["crash", "error", "bug", "login", "timeout", "password"],
    "sales": ["seats", "pricing", "demo", "upgrade", "quote", "trial"],
}
FILLER = ["please", "help", "me", "today", "with", "my", "account", "thanks", "urgent", "hi"]


def records(n: int, seed: int = 11) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    rows = []
    for _ in range(n):
        label = rng.choice(list(WORDS))
        words = [*rng.sample(FILLER, 3), rng.choice(WORDS[label]), *rng.sample(FILLER, 2)]
        rows.append({"text": " ".join(words), "label": label})
    return rows


class Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128

    def __init__(self, truth: dict[str, str], latency: float, refuse: float, seed: int = 3,
                 port: int = 0):
        super().__init__(("127.0.0.1", port), Handler)
        self.truth, self.latency, self.refuse = truth, latency, refuse
        self.rng = random.Random(seed)
        self.lock = threading.Lock()
        self.requests = self.refused = self.in_flight = self.max_in_flight = 0

    def admit(self) -> bool:
        with self.lock:
            self.requests += 1
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
            refused = self.rng.random() < self.refuse
            self.refused += refused
            return not refused

    def done(self) -> None:
        with self.lock:
            self.in_flight -= 1


class Handler(BaseHTTPRequestHandler):
    server: Server

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_OPTIONS(self) -> None:
        """CORS preflight, so the page (served from another port) can call this server."""
        self.send_response(204)
        for name, value in CORS.items():
            self.send_header(name, value)
        self.end_headers()

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)))
        try:
            if not self.server.admit():
                time.sleep(0.02)
                return self.send(429, {"error": {"message": "rate limited"}},
                                 {"Retry-After": "1"})
            time.sleep(self.server.latency)
            prompt = body["messages"][-1]["content"]
            text = prompt.rsplit(MARK, 1)[-1]
            label = self.server.truth.get(text, "tech")
            if hashlib.sha256(text.encode()).digest()[0] < 13:  # ~5% of texts, always
                label = "sales" if label != "sales" else "tech"
            self.send(200, {"model": body["model"], "choices": [
                {"index": 0, "message": {"role": "assistant", "content": label}}],
                "usage": {"prompt_tokens": 30, "completion_tokens": 1}})
        finally:
            self.server.done()

    def send(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for name, value in {**CORS, **(headers or {})}.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)


async def one_run(rows: list[dict[str, Any]], k: int, *, latency: float, refuse: float,
                  evolve: bool) -> dict[str, Any]:
    truth = {r["text"]: r["label"] for r in rows}
    server = Server(truth, latency, refuse)
    thread = threading.Thread(target=server.serve_forever, args=(0.01,), daemon=True)
    thread.start()
    try:
        llm = OpenAICompatibleClient(f"http://127.0.0.1:{server.server_address[1]}/v1", "bench",
                                     limiter=RateLimiter(max_concurrency=k), max_retries=8,
                                     timeout_s=30)
        asks: list[str] = []
        answered: list[str] = []
        complete = llm.complete

        async def counted(request: Any) -> Any:
            asks.append(request.prompt)
            response = await complete(request)
            answered.append(request.prompt)
            return response

        llm.complete = counted  # type: ignore[method-assign]
        options = {} if evolve else {"auto_evolve": False, "memo": False}
        ex = EvolutionaryExecutor(parse_machine(MACHINE), llm=llm, inputs=rows, seed=1, **options)
        started = time.perf_counter()
        await ex.run(3 * len(rows) + 3, concurrency=k)
        await ex.prefetch.settle()
        wall = time.perf_counter() - started
        metrics = ex.get_task_metrics()["route"]
        history = ex.histories["route"].recent
        report = ex.prefetch.report(ex.input_cursor)
        needed = len(asks) - report["stale"] - report["waiting"]
        return {
            "k": k, "records": len(history), "wall_s": wall, "http_requests": server.requests,
            "refused_429": server.refused, "needed": needed, "stale": report["stale"],
            "lost": (len(asks) - len(answered)) + sum(not r.success for r in history),
            "sent_per_needed": server.requests / needed if needed else 0.0,
            "server_max_in_flight": server.max_in_flight,
            "stage": metrics["stage"], "accuracy": metrics["accuracy"],
            "decisions": [(r.output, r.answered_by, r.stage) for r in history],
        }
    finally:
        server.shutdown()
        server.server_close()


def row(name: str, result: dict[str, Any], base: float | None, note: str = "") -> list[str]:
    speed = f"{base / result['wall_s']:.1f}x" if base else "-"
    return [name, str(result["k"]), str(result["records"]), f"{result['wall_s']:.1f}{note}",
            str(result["http_requests"]), str(result["refused_429"]), str(result["needed"]),
            str(result["stale"]), f"{result['sent_per_needed']:.3f}", str(result["lost"]),
            result["stage"], f"{100 * (result['accuracy'] or 0):.1f}%", speed]


def serve(rows: list[dict[str, Any]], args: argparse.Namespace) -> None:
    """Write triage.machine and records.jsonl to ``args.write``; serve until interrupted."""
    args.write.mkdir(parents=True, exist_ok=True)
    (args.write / "triage.machine").write_text(MACHINE, encoding="utf-8")
    (args.write / "records.jsonl").write_text(
        "".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    server = Server({r["text"]: r["label"] for r in rows}, args.latency, args.refuse,
                    port=args.serve)
    print(f"serving on http://127.0.0.1:{args.serve}/v1 ({args.latency * 1000:.0f} ms); "
          f"wrote {args.write}/triage.machine and records.jsonl", file=sys.stderr, flush=True)
    try:
        server.serve_forever(0.05)
    except KeyboardInterrupt:
        pass
    finally:
        print(f"{server.requests} requests, {server.refused} refused, at most "
              f"{server.max_in_flight} at once", file=sys.stderr)


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=2000)
    parser.add_argument("--latency", type=float, default=0.4)
    parser.add_argument("--ks", type=int, nargs="+", default=[1, 4, 16, 32])
    parser.add_argument("--prefix", type=int, default=150)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--serve", type=int, metavar="PORT",
                        help="only serve the model on 127.0.0.1:PORT (for the CLI), after "
                             "writing the machine and the records to --write")
    parser.add_argument("--write", type=Path, default=Path("."), metavar="DIR")
    parser.add_argument("--refuse", type=float, default=0.0, help="429 share when serving")
    args = parser.parse_args()
    rows = records(args.records)
    if args.serve is not None:
        serve(rows, args)
        return
    header = ["workload", "K", "records", "wall s", "HTTP", "429s", "needed", "stale",
              "sent/needed", "lost", "stage", "accuracy", "speed-up"]
    lines: list[list[str]] = []
    results: dict[str, Any] = {}
    for name, evolve in (("evolving", True), ("llm-bound", False)):
        base = None
        same = True
        first = None
        for k in args.ks:
            prefix = k == 1 and not evolve and args.prefix < len(rows)
            run_rows = rows[: args.prefix] if prefix else rows
            print(f"{name} K={k} ({len(run_rows)} records)...", file=sys.stderr, flush=True)
            result = await one_run(run_rows, k, latency=args.latency, refuse=0.0, evolve=evolve)
            note = ""
            if prefix:  # extrapolate the sequential wall time to every record
                result["wall_s"] *= len(rows) / len(run_rows)
                note = " (extrapolated)"
            if k == 1:
                base = result["wall_s"]
            if not prefix:
                first = first or result["decisions"]
                same = same and result["decisions"] == first
            lines.append(row(name, result, base, note))
            results[f"{name}/{k}"] = {key: v for key, v in result.items() if key != "decisions"}
        lines.append([name, "", "", "", "", "", "", "", "", "", "same decisions at every K:",
                      str(same), ""])
        print(f"{name} K=16 with 10% 429s...", file=sys.stderr, flush=True)
        result = await one_run(rows, 16, latency=args.latency, refuse=0.1, evolve=evolve)
        lines.append(row(name + " +429", result, None))
        results[f"{name}/16/429"] = {key: v for key, v in result.items() if key != "decisions"}
    print(table(header, lines))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2), encoding="utf-8")


if __name__ == "__main__":
    asyncio.run(main())
