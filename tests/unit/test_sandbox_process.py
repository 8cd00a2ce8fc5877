"""ProcessHost's own promises: limits and environment of the child, recovery after a kill,
batches, cancellation, JSON-only crossing, and a host that survives a hostile child."""

from __future__ import annotations

import os
import re
import signal
import sys
from pathlib import Path
from typing import Any

import pytest

from aio import drive
from evomachine.sandbox import (
    BoundaryError,
    GeneratedCodeError,
    HostedModule,
    SandboxError,
    SandboxHost,
)

pytestmark = pytest.mark.cpython_only
BENIGN = (Path(__file__).parent / "hostile_redteam" / "benign.py").read_text()
COUNTER = "N = [0]\ndef add(x):\n    N[0] += x\n    return N[0]\n"
HANG_ON = '''
def execute(input, context):
    if input.get("text") == "hang":
        pow(3 ** 20000, 2 ** 32000 - 1, (3 ** 20000) * (3 ** 20000) + 7)
    return {"output": input["text"], "confidence": 0.5, "metadata": {"seen": context.get("n")}}
'''


async def test_default_host_is_the_process_boundary_in_cpython() -> None:
    from evomachine.sandbox import ProcessHost, default_host, process_boundary_available

    host = default_host(deadline=0.5)
    assert process_boundary_available() and isinstance(host, ProcessHost)
    assert isinstance(host, SandboxHost) and host.deadline == 0.5
    module = await host.load(BENIGN, "benign.py")
    assert isinstance(module, HostedModule) and module.source == BENIGN
    await host.close()
    assert host.pid is None


def test_the_process_host_can_be_driven_without_an_event_loop() -> None:
    from evomachine.sandbox import ProcessHost

    host = ProcessHost(deadline=1.0)  # 40 answers of microseconds each must beat it, loaded too
    module = drive(host.load(HANG_ON, "hang.py"))  # the start waits ~50 ms: it blocks
    answers = drive(module.execute_many([{"text": "a"}] * 40 + [{"text": "hang"}], {}))
    assert answers[0]["output"] == "a" and isinstance(answers[-1], BoundaryError)
    module = drive(host.load(HANG_ON, "hang.py"))  # that one is failed: a new load runs
    assert drive(module.execute({"text": "b"}, {}))["output"] == "b"
    drive(host.close())


async def test_child_has_no_secrets_limits_and_no_inherited_files(tmp_path: Path) -> None:
    from evomachine.sandbox import ProcessHost

    os.environ["EVOMACHINE_TEST_SECRET"] = "sk-do-not-leak"
    leaked = open(tmp_path / "open.txt", "w")  # noqa: SIM115 - must stay open across the start
    os.set_inheritable(leaked.fileno(), True)
    host = ProcessHost()
    try:
        await (await host.load(BENIGN, "benign.py")).execute({"text": "x"}, {})
        proc = Path(f"/proc/{host.pid}")
        if not proc.exists():
            pytest.skip("no /proc")
        assert b"sk-do-not-leak" not in (proc / "environ").read_bytes()
        limits = (proc / "limits").read_text()
        assert re.search(r"Max address space\s+536870912\s", limits)
        assert re.search(r"Max open files\s+32\s", limits)
        assert len(os.listdir(proc / "fd")) <= 6
        assert str(tmp_path) not in " ".join(os.readlink(fd) for fd in (proc / "fd").iterdir())
    finally:
        del os.environ["EVOMACHINE_TEST_SECRET"]
        leaked.close()
        await host.close()


async def test_modules_are_reloaded_after_a_kill_and_start_afresh() -> None:
    from evomachine.sandbox import ProcessHost

    host = ProcessHost(deadline=1.0)
    counter = await host.load(COUNTER, "counter.py")
    hang = await host.load(HANG_ON, "hang.py")
    assert [await counter.call("add", 1), await counter.call("add", 2)] == [1, 3]
    first = host.pid
    with pytest.raises(BoundaryError) as info:
        await hang.execute({"text": "hang"}, {})
    assert info.value.cause == "deadline" and host.last_exit is not None
    assert host.last_exit[0] == "deadline" and host.pid is None
    assert await counter.call("add", 1) == 1  # reloaded from its source in a new child
    assert host.pid != first and host.restarts == 2
    with pytest.raises(BoundaryError, match="not run again"):  # failed for the rest of its load
        await hang.execute({"text": "fine"}, {})
    hang = await host.load(HANG_ON, "hang.py")
    assert (await hang.execute({"text": "fine"}, {}))["output"] == "fine"
    pid = host.pid
    os.kill(pid, signal.SIGKILL)  # dies while idle: the next call does not notice
    os.waitid(os.P_PID, pid, os.WEXITED | os.WNOWAIT)
    assert await counter.call("add", 5) == 5
    await host.close()


async def test_execute_many_keeps_order_errors_in_place_and_stops_at_a_kill() -> None:
    from evomachine.sandbox import ProcessHost

    host = ProcessHost(deadline=1.0)
    module = await host.load(HANG_ON, "hang.py")
    inputs = [{"text": "a"}, {"other": 1}, {"text": "hang"}, {"text": "b"}]
    results = await module.execute_many(inputs, {"n": 7})
    assert results[0] == {"output": "a", "confidence": 0.5, "metadata": {"seen": 7}}
    assert isinstance(results[1], GeneratedCodeError) and "KeyError" in results[1].reason
    assert isinstance(results[2], BoundaryError) and results[2].cause == "deadline"
    assert isinstance(results[3], BoundaryError) and results[3].cause == "deadline"
    assert host.restarts == 1  # the input after the kill did not start a child
    assert await module.execute_many([], {}) == []
    await host.close()


async def test_a_crash_or_a_cancelled_call_kills_the_child_and_the_host_recovers() -> None:
    import asyncio

    from evomachine.sandbox import ProcessHost

    host = ProcessHost(deadline=5.0)
    module = await host.load(HANG_ON, "hang.py")
    asyncio.get_running_loop().call_later(0.05, os.kill, host.pid, signal.SIGKILL)
    with pytest.raises(BoundaryError) as info:
        await module.execute({"text": "hang"}, {})
    assert info.value.cause == "crashed" and host.last_exit == ("crashed", -signal.SIGKILL)
    module = await host.load(HANG_ON, "hang.py")  # the crashed one is failed: load anew
    assert (await module.execute({"text": "ok"}, {}))["output"] == "ok"  # a new child
    with pytest.raises(TimeoutError):  # cancelled while the call runs
        await asyncio.wait_for(module.execute({"text": "hang"}, {}), 0.1)
    assert host.pid is None and host.last_exit is not None
    assert host.last_exit[0] == "interrupted"
    others = children()  # other hosts' children (the corpus tests share one)
    with pytest.raises(TimeoutError):  # cancelled while a new child starts: none is left
        await asyncio.wait_for(module.execute({"text": "ok"}, {}), 0.005)
    assert host.pid is None and children() == others
    assert (await module.execute({"text": "ok"}, {}))["output"] == "ok"
    await host.close()


def children() -> list[str]:
    """Child processes of this process (Linux /proc; [] elsewhere)."""
    found: list[str] = []
    for task in Path(f"/proc/{os.getpid()}/task").glob("*/children"):
        found += task.read_text().split()
    return sorted(found)


async def test_inputs_cross_as_json_and_the_context_is_a_copy() -> None:
    from evomachine.sandbox import ProcessHost

    code = ("def execute(input, context):\n    context['seen'] = True\n"
            "    return {'output': input['v'], 'confidence': 1, 'metadata': {}}\n")
    host = ProcessHost()
    module = await host.load(code, "copy.py")
    context: dict[str, Any] = {"n": 1}
    result = await module.execute({"v": (1, "a", None)}, context)
    assert result == {"output": [1, "a", None], "confidence": 1.0, "metadata": {}}
    assert context == {"n": 1}
    pid = host.pid
    with pytest.raises(SandboxError, match="not JSON") as info:
        await module.execute({"v": object()}, {})
    assert not isinstance(info.value, BoundaryError) and host.pid == pid
    mixed = await module.execute_many([{"v": 1}, {"v": object()}, {"v": 2}], {})
    assert mixed[0]["output"] == 1 and isinstance(mixed[1], SandboxError)
    assert mixed[2]["output"] == 2 and host.pid == pid
    await host.close()


FAKE_CHILD = '''
import json, os, sys
def frame(obj):
    body = json.dumps(obj).encode()
    return len(body).to_bytes(4, "big") + body
REPLIES = {
    "huge": b"\\xff\\xff\\xff\\xff",
    "shape": frame({"r": {"output": 1}}),
    "garbage": b"\\x00\\x00\\x00\\x05nope!",
    "kind": frame({"e": ["Exploit", "x", None]}),
    "nan": frame({"r": {"output": 1, "confidence": float("nan"), "metadata": {}}}),
    "both": frame({"r": 1, "e": 2}),
}
os.write(1, frame({"r": "ready"}))
buf = b""
while True:
    chunk = os.read(0, 65536)
    if not chunk:
        break
    buf += chunk
    while len(buf) >= 4 and len(buf) >= 4 + int.from_bytes(buf[:4], "big"):
        size = int.from_bytes(buf[:4], "big")
        request, buf = json.loads(buf[4:4 + size]), buf[4 + size:]
        if request["op"] == "load":
            os.write(1, frame({"r": None}))
        elif MODE == "exit":
            sys.exit(3)
        else:
            os.write(1, REPLIES[MODE])
'''


@pytest.mark.parametrize(("mode", "cause"), [
    ("huge", "protocol"), ("shape", "protocol"), ("garbage", "protocol"), ("kind", "protocol"),
    ("nan", "protocol"), ("both", "protocol"), ("exit", "crashed"),
])
async def test_a_hostile_child_cannot_hurt_the_host(tmp_path: Path, mode: str, cause: str) -> None:
    from evomachine.sandbox import ProcessHost

    script = tmp_path / "child.py"
    script.write_text(f"MODE = {mode!r}\n" + FAKE_CHILD)
    python = tmp_path / "python"
    python.write_text(f"#!/bin/sh\nexec '{sys.executable}' '{script}'\n")
    python.chmod(0o755)
    host = ProcessHost(python=str(python), max_reply_bytes=1 << 20)
    module = await host.load(BENIGN, "benign.py")
    with pytest.raises(BoundaryError) as info:
        await module.execute({"text": "x"}, {})
    assert info.value.cause == cause and host.pid is None
    await host.close()


async def test_a_child_that_cannot_start_is_a_boundary_error(tmp_path: Path) -> None:
    from evomachine.sandbox import ProcessHost

    python = tmp_path / "python"
    python.write_text("#!/bin/sh\necho 'no python here' >&2\nexit 1\n")
    python.chmod(0o755)
    host = ProcessHost(python=str(python))
    with pytest.raises(BoundaryError, match="no python here") as info:
        await host.load(BENIGN, "benign.py")
    assert info.value.cause == "start"


HOG = ("KEEP = []\nBASE = list(range(1000000))\n"
       "def grow():\n    for _ in range(25):\n        KEEP.append(tuple(BASE))\n"
       "    return len(KEEP)\n")
NEEDY = ("def work():\n    a = list(range(1000000))\n    b = list(range(1000000, 2000000))\n"
         "    return len(a) + len(b)\n")


async def test_a_module_is_not_failed_for_memory_another_module_holds() -> None:
    from evomachine.sandbox import ProcessHost, ProcessLimits

    host = ProcessHost(limits=ProcessLimits(memory_bytes=320 * 2**20))
    hog, needy = await host.load(HOG, "hog.py"), await host.load(NEEDY, "needy.py")
    assert await hog.call("grow") == 25  # ~250 MB now held by hog's globals
    assert await needy.call("work") == 2_000_000  # out of memory there, fine in a fresh child
    assert host.restarts == 2 and host.last_exit is not None
    assert host.last_exit[0] == "retired"
    assert await hog.call("grow") == 25  # reloaded: its state started afresh
    await host.close()


async def test_answers_stop_after_one_kill_at_the_deadline_and_a_new_load_answers() -> None:
    from evomachine.evolution.stages import answers
    from evomachine.sandbox import ProcessHost

    host = ProcessHost(deadline=1.0)
    module = await host.load(HANG_ON, "hang.py")
    found = await answers(module, [{"text": "hang"}] * 50, {})
    assert host.restarts == 1 and host.last_exit[0] == "deadline"  # one kill, no input retried
    assert all(isinstance(r, BoundaryError) and r.cause == "deadline" for r in found)
    module = await host.load(HANG_ON, "hang.py")  # the killed one stays failed: load anew
    good = await answers(module, [{"text": str(i)} for i in range(50)], {})
    assert [r["output"] for r in good] == [str(i) for i in range(50)]
    mixed = await answers(module, [{"text": "a"}] * 30 + [{"text": "hang"}] + [{"text": "b"}] * 9,
                          {})
    assert [r["output"] for r in mixed[:30]] == ["a"] * 30  # one hang in 40: the rest fail
    assert all(isinstance(r, BoundaryError) and r.cause == "deadline" for r in mixed[30:])
    assert host.restarts == 2  # without starting a child for them
    await host.close()
