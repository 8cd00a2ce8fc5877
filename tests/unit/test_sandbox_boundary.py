"""The red-team corpus (tests/unit/hostile_redteam, h01-h44 + benign) is contained.

Through a ProcessHost (CPython): each module is refused at load or each call
answers harmlessly or raises a SandboxError, the host's own state is unchanged
and a benign module keeps working through the same host. Modules that run one
C call for minutes are killed at the 1 s deadline (marked ``slow``: one deadline
each, ~15 s in all). Through an InProcessHost (also inside Pyodide): the same
cases where running them in-process is safe; the others are skipped with the reason.
"""

from __future__ import annotations

import builtins
import collections.abc
import math
import os
import re
import signal
import sys
import threading
from pathlib import Path
from typing import Any

import pytest

from aio import IN_PYODIDE, run
from evomachine.sandbox import (
    BoundaryError,
    GeneratedCodeError,
    HostedModule,
    InProcessHost,
    SandboxError,
    SandboxHost,
)

REDTEAM = Path(__file__).parent / "hostile_redteam"
CASES = sorted(REDTEAM.glob("*.py"))
BENIGN = (REDTEAM / "benign.py").read_text()
LABELS = {"tech", "sales", "billing"}

# These may answer: what they attempt is bounded by the sandbox or the child's limits,
# or harmless (their answer is then a plain label). Every other case must fail.
MAY_ANSWER = {"benign", "h09", "h15", "h21", "h22", "h27", "h28", "h29", "h30", "h37", "h38",
              "h41", "h42", "h44"}
# One C call that runs for minutes with little memory: only the deadline's kill stops it.
KILLED = {"h01", "h02", "h03", "h04", "h05", "h06", "h08", "h23", "h26"}
# These take up to the deadline per call.
SLOW = KILLED | {"h07", "h10", "h11", "h20", "h22"}
CALLS = {"h21": 3, "h37": 3}  # they accumulate memory across calls
IN_PROCESS_UNSAFE = {
    **dict.fromkeys(("h01", "h02", "h03", "h04", "h05", "h06", "h07", "h08", "h10", "h11",
                     "h23", "h26"), "one C-level call runs for minutes in-process"),
    **dict.fromkeys(("h12", "h13", "h14", "h15", "h16", "h17", "h18", "h19", "h20", "h21",
                     "h22", "h24", "h37"), "allocates hundreds of MB to GBs in-process"),
}
PYODIDE_UNSAFE = {name: "deep C recursion is a fatal error in Pyodide"
                  for name in ("h35", "h36", "h43", "h44")}


def key(path: Path) -> str:
    return path.stem.split("_")[0]


def host_state() -> tuple[object, ...]:
    """What generated code must not change. In-process, ``str.encode("punycode")`` may load
    a stdlib codec (``encodings.*``): a cache, not state the code can use."""
    modules = {name for name in sys.modules if not name.startswith("encodings.")}
    return (dict(vars(builtins)), modules, threading.active_count(),
            isinstance(1, collections.abc.Mapping), isinstance({}, collections.abc.Sequence),
            math.pi, re.search, dict.get, str.format)


async def outcomes(host: SandboxHost, path: Path) -> list[Any]:
    try:
        module = await host.load(path.read_text(), path.name)
    except SandboxError as error:
        return [error]
    found: list[Any] = []
    for _ in range(CALLS.get(key(path), 1)):
        try:
            found.append(await module.execute({"text": "hello"}, {}))
        except SandboxError as error:
            found.append(error)
    return found


def check_contained(path: Path, found: list[Any]) -> None:
    for outcome in found:
        if isinstance(outcome, SandboxError):
            assert outcome.reason and "\n" not in outcome.reason
        else:
            assert type(outcome["output"]) is str and outcome["output"] in LABELS, outcome
    if key(path) not in MAY_ANSWER:
        assert all(isinstance(outcome, SandboxError) for outcome in found), found


def cases(unsafe: dict[str, str], pyodide_unsafe: dict[str, str], slow: bool) -> list[Any]:
    params = []
    for path in CASES:
        marks = []
        if key(path) in unsafe:
            marks.append(pytest.mark.skip(reason=unsafe[key(path)]))
        if key(path) in pyodide_unsafe:
            marks.append(pytest.mark.skipif(IN_PYODIDE, reason=pyodide_unsafe[key(path)]))
        if slow and key(path) in SLOW:
            marks.append(pytest.mark.slow)
        params.append(pytest.param(path, id=path.stem, marks=marks))
    return params


@pytest.fixture(scope="module")
def host() -> Any:
    from evomachine.sandbox import ProcessHost

    process_host = ProcessHost(deadline=1.0, load_deadline=5.0)
    yield process_host
    run(process_host.close())


def test_the_corpus_is_all_here() -> None:
    assert len(CASES) == 45 and (REDTEAM / "benign.py").exists()
    for path in CASES:
        assert path.read_text().startswith("# "), f"{path.name} lost its header comment"


@pytest.mark.cpython_only
@pytest.mark.parametrize("path", cases({}, {}, slow=True))
async def test_redteam_module_is_contained_by_the_process_boundary(host: Any, path: Path) -> None:
    benign = await host.load(BENIGN, "benign.py")
    assert (await benign.execute({"text": "please refund"}, {}))["output"] == "billing"
    before = host_state()
    found = await outcomes(host, path)
    check_contained(path, found)
    if key(path) in KILLED:
        assert isinstance(found[0], BoundaryError) and found[0].cause == "deadline", found
    assert host_state() == before
    assert isinstance(1, collections.abc.Mapping) is False
    assert (await benign.execute({"text": "app crash"}, {}))["output"] == "tech"


@pytest.mark.parametrize("path", cases(IN_PROCESS_UNSAFE, PYODIDE_UNSAFE, slow=False))
async def test_redteam_module_is_contained_in_process(path: Path) -> None:
    host = InProcessHost()
    before = host_state()
    check_contained(path, await outcomes(host, path))
    assert host_state() == before
    benign = await host.load(BENIGN, "benign.py")
    assert (await benign.execute({"text": "app crash"}, {}))["output"] == "tech"


async def test_typing_abc_register_is_refused_by_the_policy() -> None:
    with pytest.raises(SandboxError, match="register"):
        await InProcessHost().load((REDTEAM / "h25_typing_abc_register.py").read_text(), "h25.py")
    assert not isinstance(1, collections.abc.Mapping)


async def test_in_process_host_keeps_the_interface() -> None:
    host = InProcessHost()
    module = await host.load(BENIGN, "benign.py")
    assert isinstance(host, SandboxHost) and isinstance(module, HostedModule)
    assert module.filename == "benign.py" and module.source == BENIGN
    results = await module.execute_many([{"text": "invoice"}, {"nope": 1}, {"text": "bug"}], {})
    assert [r["output"] for r in results] == ["billing", "sales", "tech"]
    assert await module.get_confidence({"text": "x"}) == 0.5
    assert await module.call("solve", {"text": "crash"}) == "tech"
    await host.close()


# -- h42: a model name from the LLM's HTTP response cannot add code ----------------------------
EVIL_MODEL = "m)\nOUTPUT_VALUES = None\nimport os\u2028x = 1  # "


def test_model_name_is_rendered_as_one_inert_comment() -> None:
    import ast

    from evomachine.evolution.synthesis.llm_codegen import LLMCodeModel, model_label
    from evomachine.evolution.synthesis.render import environment

    code = "def solve(input):\n    return 'tech'\n"
    body = environment().get_template("llm_code.py.j2").render(
        **LLMCodeModel(code, EVIL_MODEL).body_context())
    tree = ast.parse(body)
    assert [type(node).__name__ for node in tree.body] == ["FunctionDef", "FunctionDef"]
    assert body.splitlines()[0].startswith("# Written by the LLM (")
    assert "\n" not in model_label(EVIL_MODEL) and model_label(42) == ""
    assert model_label("gpt-4o-mini") == "gpt-4o-mini"


async def test_model_name_injection_through_synthesis_is_inert() -> None:
    import ast
    import random

    from evomachine.evolution.synthesis import TaskSpec, synthesize
    from evomachine.history import ExecutionRecord
    from evomachine.llm.base import LLMRequest, LLMResponse

    class EvilCoder:
        async def complete(self, request: LLMRequest) -> LLMResponse:
            text = ("```python\ndef solve(input):\n"
                    "    return 'long' if len(input.get('text', '')) > 40 else 'short'\n```")
            return LLMResponse(text=text, model=EVIL_MODEL)

    rng = random.Random(0)
    records = []
    for _ in range(200):
        words = [rng.choice(["alpha", "beta", "pi", "omega"]) for _ in range(rng.randint(2, 14))]
        text = " ".join(words)
        records.append(ExecutionRecord(task="size", input={"text": text},
                                       llm_output="long" if len(text) > 40 else "short"))
    spec = TaskSpec(name="size", prompt="Long or short? {{ input.text }}",
                    output_schema={"enum": ["long", "short"]})
    result = await synthesize(spec, records, EvilCoder())
    assert result.synthesizer == "llm_code"
    tree = ast.parse(result.code)
    assigned = [target.id for node in tree.body if isinstance(node, ast.Assign)
                for target in node.targets if isinstance(target, ast.Name)]
    assert assigned.count("OUTPUT_VALUES") == 1
    imports = [alias.name for node in tree.body if isinstance(node, ast.Import)
               for alias in node.names]
    assert "os" not in imports


# -- the boundary itself (CPython) ------------------------------------------------------------
COUNTER = "N = [0]\ndef add(x):\n    N[0] += x\n    return N[0]\n"
HANG_ON = '''
def execute(input, context):
    if input.get("text") == "hang":
        pow(3 ** 20000, 2 ** 32000 - 1, (3 ** 20000) * (3 ** 20000) + 7)
    return {"output": input["text"], "confidence": 0.5, "metadata": {"seen": context.get("n")}}
'''


@pytest.mark.cpython_only
async def test_default_host_is_the_process_boundary_in_cpython() -> None:
    from evomachine.sandbox import ProcessHost, default_host, process_boundary_available

    host = default_host(deadline=0.5)
    assert process_boundary_available() and isinstance(host, ProcessHost)
    assert isinstance(host, SandboxHost) and host.deadline == 0.5
    module = await host.load(BENIGN, "benign.py")
    assert isinstance(module, HostedModule) and module.source == BENIGN
    await host.close()
    assert host.pid is None


@pytest.mark.cpython_only
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


@pytest.mark.cpython_only
async def test_modules_are_reloaded_after_a_kill_and_start_afresh() -> None:
    from evomachine.sandbox import ProcessHost

    host = ProcessHost(deadline=0.5)
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
    assert (await hang.execute({"text": "fine"}, {}))["output"] == "fine"
    pid = host.pid
    os.kill(pid, signal.SIGKILL)  # dies while idle: the next call does not notice
    os.waitid(os.P_PID, pid, os.WEXITED | os.WNOWAIT)
    assert await counter.call("add", 5) == 5
    await host.close()


@pytest.mark.cpython_only
async def test_execute_many_keeps_order_errors_in_place_and_resumes_after_a_kill() -> None:
    from evomachine.sandbox import ProcessHost

    host = ProcessHost(deadline=0.5)
    module = await host.load(HANG_ON, "hang.py")
    inputs = [{"text": "a"}, {"other": 1}, {"text": "hang"}, {"text": "b"}]
    results = await module.execute_many(inputs, {"n": 7})
    assert results[0] == {"output": "a", "confidence": 0.5, "metadata": {"seen": 7}}
    assert isinstance(results[1], GeneratedCodeError) and "KeyError" in results[1].reason
    assert isinstance(results[2], BoundaryError) and results[2].cause == "deadline"
    assert results[3]["output"] == "b" and host.restarts == 2
    assert await module.execute_many([], {}) == []
    await host.close()


@pytest.mark.cpython_only
async def test_a_crash_or_a_cancelled_call_kills_the_child_and_the_host_recovers() -> None:
    import asyncio

    from evomachine.sandbox import ProcessHost

    host = ProcessHost(deadline=5.0)
    module = await host.load(HANG_ON, "hang.py")
    asyncio.get_running_loop().call_later(0.05, os.kill, host.pid, signal.SIGKILL)
    with pytest.raises(BoundaryError) as info:
        await module.execute({"text": "hang"}, {})
    assert info.value.cause == "crashed" and host.last_exit == ("crashed", -signal.SIGKILL)
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


@pytest.mark.cpython_only
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


@pytest.mark.cpython_only
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


@pytest.mark.cpython_only
async def test_a_child_that_cannot_start_is_a_boundary_error(tmp_path: Path) -> None:
    from evomachine.sandbox import ProcessHost

    python = tmp_path / "python"
    python.write_text("#!/bin/sh\necho 'no python here' >&2\nexit 1\n")
    python.chmod(0o755)
    host = ProcessHost(python=str(python))
    with pytest.raises(BoundaryError, match="no python here") as info:
        await host.load(BENIGN, "benign.py")
    assert info.value.cause == "start"
