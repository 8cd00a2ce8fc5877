"""A reply from the sandbox Worker is hostile text: deep nesting is a SandboxError.

The Worker runs generated code; code that escaped the Python sandbox there controls
what the Worker posts back. The engine decoded that text with ``json.loads``: nesting
thousands deep raised RecursionError out of ``execute`` in CPython and, in the page's
Pyodide engine, would exhaust the WebAssembly stack (a fatal error, the engine gone).
"""

from __future__ import annotations

import json

from test_sandbox_worker_host import GOOD, FakeManager

from evomachine.sandbox import SandboxError
from evomachine.sandbox.worker_host import WorkerHost

DEEP = "[" * 100_000 + "]" * 100_000


async def test_a_deep_reply_to_execute_is_a_sandbox_error():
    manager = FakeManager()
    module = await WorkerHost(manager).load(GOOD, "good.py")
    manager.reply = json.dumps({"ok": True, "results": "X"}).replace('"X"', DEEP)
    answers = await module.execute_many([{"text": "a"}], {})
    assert isinstance(answers[0], SandboxError)


async def test_a_deep_answer_in_a_kill_report_is_a_sandbox_error():
    manager = FakeManager()
    module = await WorkerHost(manager).load(GOOD, "good.py")
    manager.reply = json.dumps({"ok": False, "kind": "BoundaryError", "cause": "deadline",
                                "message": "killed", "done": [DEEP]})
    answers = await module.execute_many([{"text": "a"}, {"text": "b"}], {})
    assert all(isinstance(answer, SandboxError) for answer in answers)
