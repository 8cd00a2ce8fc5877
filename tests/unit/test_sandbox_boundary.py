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
import re
import sys
import threading
from pathlib import Path
from typing import Any

import pytest

from aio import IN_PYODIDE, run
from evomachine.sandbox import (
    BoundaryError,
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
