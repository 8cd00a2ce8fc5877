"""Every module in tests/unit/hostile/ is contained in-process: a SandboxError of the declared
kind, from counted budgets alone, with the host untouched and a normal module still working."""

from __future__ import annotations

import builtins
import math
import re
import sys
from pathlib import Path

import pytest

from evomachine import sandbox
from evomachine.sandbox import SandboxError, load_module

HOSTILE = Path(__file__).parent / "hostile"
CASES = sorted(HOSTILE.glob("*.py"))

NORMAL = """
import re
WORD = re.compile(r"[a-z]+")

def get_confidence(input):
    return 0.75

def execute(input, context):
    words = WORD.findall(input["text"].lower())
    return {"output": "spam" if "win" in words else "ham", "confidence": 0.75,
            "metadata": {"words": len(words)}}
"""


def header(path: Path, key: str) -> str:
    for line in path.read_text().splitlines():
        if line.startswith(f"# {key}:"):
            return line.split(":", 1)[1].strip()
    return ""


def host_snapshot() -> tuple[object, ...]:
    return (dict(vars(builtins)), set(sys.modules), math.pi, re.search, dict.get, str.format)


def test_corpus_is_large_enough() -> None:
    assert len(CASES) >= 40


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_hostile_module_is_contained(path: Path) -> None:
    expected = getattr(sandbox, header(path, "expect"))
    reason = header(path, "reason").lower()
    load_module(NORMAL, "warmup.py").execute({"text": "warm up"}, {})
    before = host_snapshot()
    with pytest.raises(SandboxError) as info:
        module = load_module(path.read_text(), str(path))
        module.execute({"text": "hello"}, {})
    assert isinstance(info.value, expected), f"{type(info.value).__name__}: {info.value}"
    assert reason in info.value.reason.lower(), info.value.reason
    assert info.value.reason and "\n" not in info.value.reason
    assert host_snapshot() == before
    normal = load_module(NORMAL, "normal.py")
    assert normal.execute({"text": "You win big"}, {})["output"] == "spam"
