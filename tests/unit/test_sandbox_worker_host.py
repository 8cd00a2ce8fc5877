"""WorkerHost over a stand-in for the page's sandbox manager: JSON in, JSON out, every answer
checked, every failure a SandboxError (the real Worker is exercised in tests/e2e)."""

from __future__ import annotations

import json

import pytest

from evomachine.sandbox import BoundaryError, GeneratedCodeError, SandboxViolation, load_module
from evomachine.sandbox.worker_host import WorkerHost

GOOD = """
def execute(input, context):
    return {"output": input["text"].upper(), "confidence": 0.75, "metadata": {}}
"""


class FakeManager:
    """Answers like web/sandbox/manager.mjs, running modules with the in-process sandbox."""

    def __init__(self, reply: str | None = None):
        self.modules = {}
        self.reply = reply

    async def load(self, key, code, filename, budget):
        try:
            self.modules[key] = load_module(code, filename)
        except Exception as error:
            return json.dumps({"ok": False, "kind": type(error).__name__,
                               "message": getattr(error, "reason", str(error))})
        return json.dumps({"ok": True})

    async def unload(self, key):
        self.modules.pop(key, None)
        return "{}"

    async def executeMany(self, key, inputs, context, count):
        if self.reply is not None:
            return self.reply
        assert count == len(json.loads(inputs))  # the manager counts ticks by it
        results = []
        for item in json.loads(inputs):
            try:
                results.append({"ok": True,
                                "value": self.modules[key].execute(item, json.loads(context))})
            except Exception as error:
                results.append({"ok": False, "kind": type(error).__name__,
                                "message": str(error)})
        return json.dumps({"ok": True, "results": results})


async def test_modules_load_and_answer_through_json():
    host = WorkerHost(FakeManager())
    module = await host.load(GOOD, "good.py")
    assert (await module.execute({"text": "hi"}, {}))["output"] == "HI"
    assert await module.get_confidence({"text": "x"}) == 0.75
    many = await module.execute_many([{"text": "a"}, {"oops": 1}], {})
    assert many[0]["output"] == "A" and isinstance(many[1], GeneratedCodeError)


async def test_a_refused_module_is_the_same_error_kind():
    with pytest.raises(SandboxViolation):
        await WorkerHost(FakeManager()).load("import os\n", "bad.py")


@pytest.mark.parametrize("reply", [
    json.dumps({"ok": False, "kind": "BoundaryError", "message": "ran past", "cause": "deadline"}),
    "not json", json.dumps({"ok": True, "results": "nope"}), json.dumps({"ok": True}),
    json.dumps({"ok": True, "results": [{"ok": True, "value": "not a dict"}]}),
])
async def test_anything_out_of_shape_is_a_failed_answer_never_a_crash(reply):
    manager = FakeManager()
    module = await WorkerHost(manager).load(GOOD, "good.py")
    manager.reply = reply
    [answer] = await module.execute_many([{"text": "a"}], {})
    assert isinstance(answer, BoundaryError | GeneratedCodeError)
    with pytest.raises(BoundaryError if "deadline" in reply else (BoundaryError,
                                                                   GeneratedCodeError)):
        await module.execute({"text": "a"}, {})


async def test_answers_submitted_ahead_are_read_when_wanted():
    manager = FakeManager()
    module = await WorkerHost(manager).load(GOOD, "good.py")
    ahead = await module.submit_many([{"text": "a"}, {"oops": 1}], {})
    assert (await ahead.get(0))["output"] == "A"
    assert isinstance(await ahead.get(1), GeneratedCodeError)
    assert await ahead.get(2) is None  # never sent: the caller runs execute
    assert await module.submit_many([{"bad": {1, 2}}], {}) is None  # not JSON: nothing sent
    assert await module.submit_many([], {}) is None


async def test_a_kill_read_ahead_fails_the_module():
    reply = json.dumps({"ok": False, "kind": "BoundaryError", "message": "deadline",
                        "cause": "deadline"})
    module = await WorkerHost(FakeManager()).load(GOOD, "good.py")
    module._bridge.reply = reply
    ahead = await module.submit_many([{"text": "a"}, {"text": "b"}], {})
    first = await ahead.get(0)
    assert isinstance(first, BoundaryError) and first.cause == "deadline"
    assert module.failed is first
    assert await module.submit_many([{"text": "c"}], {}) is None
