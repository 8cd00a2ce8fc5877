"""The sandbox runs realistic generated modules correctly, and its API keeps its promises."""

from __future__ import annotations

import copy
import linecache
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evomachine.sandbox import (
    LOAD_BUDGET,
    Budget,
    BudgetExceeded,
    GeneratedCodeError,
    GeneratedModule,
    SandboxError,
    SandboxViolation,
    load_module,
)

CLASSIFIER = '''\
"""Generated: route tickets by lookup table, then by keywords."""
from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from typing import Any

LOOKUP: dict[str, str] = {"my card was charged twice": "billing"}
KEYWORDS = {
    "billing": ("invoice", "refund", "charge", "charged"),
    "tech": ("error", "crash", "crashes", "bug"),
    "sales": ("price", "quote", "buy"),
}
TOKEN = re.compile(r"[a-z']+")


def normalise(text: str) -> str:
    return " ".join(TOKEN.findall(text.lower()))


def scores(text: str) -> dict[str, float]:
    counts = Counter(normalise(text).split())
    out: dict[str, float] = defaultdict(float)
    for label, words in KEYWORDS.items():
        for word in words:
            out[label] += counts[word]
    return out


def get_confidence(input: dict[str, Any]) -> float:
    if normalise(input["text"]) in LOOKUP:
        return 0.99
    s = scores(input["text"])
    total = sum(s.values())
    if not total:
        return 0.0
    return round(1 / (1 + math.exp(-4 * max(s.values()) / total + 2)), 4)


def execute(input: dict[str, Any], context: dict[str, Any]) -> dict[str, Any]:
    key = normalise(input["text"])
    if key in LOOKUP:
        return {"output": LOOKUP[key], "confidence": 0.99, "metadata": {"via": "lookup"}}
    s = scores(input["text"])
    label = max(sorted(s), key=lambda k: s[k]) if any(s.values()) else "sales"
    return {"output": label, "confidence": get_confidence(input),
            "metadata": {"via": "keywords", "scores": dict(s)}}
'''


@pytest.fixture
def classifier() -> GeneratedModule:
    return load_module(CLASSIFIER, "generated/route.py")


def test_realistic_module_classifies(classifier: GeneratedModule) -> None:
    r = classifier.execute({"text": "My card was CHARGED twice!"}, {})
    assert r == {"output": "billing", "confidence": 0.99, "metadata": {"via": "lookup"}}
    r = classifier.execute({"text": "The app crashes with an error"}, {})
    assert r["output"] == "tech" and r["metadata"]["scores"]["tech"] == 2.0
    assert 0.5 < r["confidence"] <= 1.0
    assert classifier.get_confidence({"text": "nothing relevant"}) == 0.0
    assert classifier.call("normalise", "Hello, World") == "hello world"
    assert classifier.functions == ["execute", "get_confidence", "normalise", "scores"]


def test_language_features_generated_code_needs() -> None:
    code = '''
import functools, itertools, json, string, unicodedata
from collections import defaultdict, deque, namedtuple

Pair = namedtuple("Pair", "word count")

class Tally:
    def __init__(self):
        self.seen = defaultdict(list)

    def add(self, word, n):
        self.seen[word].append(n)
        return self

@functools.lru_cache(maxsize=None)
def fib(n):
    return n if n < 2 else fib(n - 1) + fib(n - 2)

def execute(input, context):
    counts = {}
    for i, (a, b) in enumerate([("x", 1), ("y", 2), ("x", 3)]):
        counts[a] = counts.get(a, 0)
        counts[a] += b * i
    t = Tally().add("w", 1).add("w", 2)
    letters = [c for c in string.ascii_lowercase if c in "hello"]
    pairs = sorted(Pair(k, v) for k, v in counts.items())
    text = unicodedata.normalize("NFKD", "Café").encode("ascii", "ignore").decode()
    first = list(itertools.islice(itertools.count(5), 3))
    window = deque(maxlen=2)
    for n in first:
        window.append(n)
    out = {
        "counts": counts, "seen": dict(t.seen), "letters": letters,
        "pairs": [list(p) for p in pairs], "text": text, "first": first,
        "window": list(window), "fib": fib(30), "ratio": f"{2 / 3:.2f}",
        "fmt": "{} of {}".format(1, 2) + " %d%%" % 50, "json": json.loads(json.dumps([1])),
        "typed": type("s") is str and isinstance("s", str) and str(12) == "12",
        "sum": sum(x * 0.5 for x in range(4)), "big": len("ab" * 1000),
    }
    try:
        int("nope")
    except ValueError as exc:
        out["caught"] = str(exc)[:7]
    return {"output": out, "confidence": 0.5, "metadata": {}}
'''
    out = load_module(code, "features.py").execute({}, {})["output"]
    assert out["counts"] == {"x": 6, "y": 2}
    assert out["seen"] == {"w": [1, 2]}
    assert out["letters"] == ["e", "h", "l", "o"]
    assert out["pairs"] == [["x", 6], ["y", 2]]
    assert out["text"] == "Cafe" and out["first"] == [5, 6, 7] and out["window"] == [6, 7]
    assert out["fib"] == 832040 and out["ratio"] == "0.67" and out["fmt"] == "1 of 2 50%"
    assert out["json"] == [1] and out["typed"] is True and out["sum"] == 3.0
    assert out["big"] == 2000 and out["caught"] == "invalid"


def test_inputs_are_deep_copies() -> None:
    mod = load_module(
        "def execute(input, context):\n"
        "    input['items'].append(99)\n"
        "    context['seen'] = True\n"
        "    return {'output': len(input['items']), 'confidence': 1, 'metadata': {}}\n",
        "mutator.py",
    )
    data, ctx = {"items": [1, 2]}, {}
    assert mod.execute(data, ctx)["output"] == 3
    assert data == {"items": [1, 2]} and ctx == {}
    with pytest.raises(SandboxError, match="plain data"):
        mod.execute({"items": object()}, {})


def test_error_names_the_line_in_the_generated_module() -> None:
    code = (
        "def helper(x):\n    return 10 / x\n\n"
        "def execute(input, context):\n    return helper(0)\n"
    )
    mod = load_module(code, "generated/divide.py")
    with pytest.raises(GeneratedCodeError) as info:
        mod.execute({}, {})
    err = info.value
    assert err.line == 2 and err.filename == "generated/divide.py"
    assert "ZeroDivisionError" in err.reason and "return 10 / x" in err.reason
    assert "generated/divide.py, line 2" in str(err)
    assert linecache.getline("generated/divide.py", 2).strip() == "return 10 / x"


def test_static_violations_name_the_line() -> None:
    with pytest.raises(SandboxViolation) as info:
        load_module("x = 1\n\ndef execute(input, context):\n    return x.__class__\n", "v.py")
    assert info.value.line == 4 and "__class__" in info.value.reason


def test_syntax_error_is_a_generated_code_error() -> None:
    with pytest.raises(GeneratedCodeError) as info:
        load_module("def execute(input, context)\n    return 1\n", "broken.py")
    assert info.value.line == 1 and "syntax" in info.value.reason


def test_call_rules(classifier: GeneratedModule) -> None:
    with pytest.raises(SandboxViolation):
        classifier.call("__init__")
    with pytest.raises(GeneratedCodeError, match="no function"):
        classifier.call("missing")
    with pytest.raises(GeneratedCodeError, match="no function"):
        classifier.call("LOOKUP")


def test_budget_is_per_call_and_resets_after_a_trip() -> None:
    code = (
        "def spin(n):\n    total = 0\n    for i in range(n):\n        total += i\n"
        "    return total\n"
    )
    mod = load_module(code, "spin.py", Budget(max_ticks=10_000))
    for _ in range(5):  # 5 x 8,000 ticks would overrun a cumulative budget
        assert mod.call("spin", 8_000) == sum(range(8_000))
    with pytest.raises(BudgetExceeded, match="ticks"):
        mod.call("spin", 20_000)
    assert mod.call("spin", 10) == 45


def test_budgets_are_counted_not_timed() -> None:
    assert Budget().max_ms is None and LOAD_BUDGET.max_ms is None
    code = "def slow():\n    s = 'x' * 200\n    while True:\n        s.upper()\n"
    mod = load_module(code, "slow.py", Budget(max_ticks=5_000))
    with pytest.raises(BudgetExceeded, match="5000 ticks"):
        mod.call("slow")
    assert 4_900 < mod.last_ticks <= 5_000


def test_an_opt_in_time_budget_still_trips() -> None:
    code = "def slow():\n    while True:\n        pass\n"
    mod = load_module(code, "slow.py", Budget(max_ticks=10**15, max_ms=30))
    with pytest.raises(BudgetExceeded, match="time budget"):
        mod.call("slow")


def test_modules_are_isolated_from_each_other() -> None:
    a = load_module("state = []\ndef add(x):\n    state.append(x)\n    return len(state)\n", "a.py")
    b = load_module("state = []\ndef add(x):\n    state.append(x)\n    return len(state)\n", "b.py")
    assert [a.call("add", 1), a.call("add", 2), b.call("add", 3)] == [1, 2, 1]


def test_builtins_and_modules_are_not_shared_with_the_host() -> None:
    mod = load_module("import math\nlen = None\ndef pi():\n    return math.pi\n", "shadow.py")
    assert mod.call("pi") == math.pi and len([1]) == 1


def test_regex_input_is_capped_but_normal_text_works() -> None:
    code = "import re\ndef words(t):\n    return len(re.findall(r'\\w+', t))\n"
    mod = load_module(code, "re.py", Budget(max_regex_input=1_000))
    assert mod.call("words", "a b c") == 3
    with pytest.raises(BudgetExceeded, match="regex input"):
        mod.call("words", "a " * 600)


def test_f_string_fields_are_charged_like_concatenation() -> None:
    code = ('def show(n):\n    s = "x" * n\n    t = f"{s}{s}{s}"\n'
            '    return len(f"{t}{t}{t}{t}{t}{t}{t}{t}{t}{t}")\n')
    mod = load_module(code, "fstr.py", Budget(max_size=1_000_000, max_alloc=4_000_000))
    assert mod.call("show", 1000) == 30_000
    with pytest.raises(BudgetExceeded, match="f-string"):  # h15 joins 200 MB in C this way
        mod.call("show", 700_000)


def test_a_call_costs_a_few_counted_ticks(classifier: GeneratedModule) -> None:
    """Per-call cost as counted work (the wall-clock numbers are in bench/sandbox.py)."""
    item = {"text": "I need a refund for this invoice please, the charge is wrong"}
    classifier.execute(item, {})
    assert 0 < classifier.last_ticks < 200


plain_json = st.recursive(
    st.none() | st.booleans() | st.integers(-(10**6), 10**6)
    | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner,
                                                                max_size=4),
    max_leaves=20,
)


@settings(max_examples=60, deadline=None)
@given(value=plain_json)
def test_plain_data_round_trips_and_host_value_is_untouched(value: object) -> None:
    mod = _echo()
    before = copy.deepcopy(value)
    result = mod.execute({"value": value}, {})
    assert result["output"] == value and value == before
    assert mod.call("echo", value) == value


_ECHO: list[GeneratedModule] = []


def _echo() -> GeneratedModule:
    if not _ECHO:
        _ECHO.append(load_module(
            "def echo(v):\n    return v\n"
            "def execute(input, context):\n"
            "    return {'output': input['value'], 'confidence': 0.5, 'metadata': {}}\n",
            "echo.py",
        ))
    return _ECHO[0]


def test_guarded_extend_keeps_each_method_meaning() -> None:
    """The size guard on ``extend`` and ``extendleft`` charges the growth and still calls the
    method asked for: a deque's ``extendleft`` adds on the left, reversed, as in Python."""
    code = '''
from collections import deque

def execute(input, context):
    d = deque([1, 2])
    d.extendleft([3, 4])
    d.extend((5,))
    items = [0]
    items.extend(range(2))
    return {"output": [list(d), items], "confidence": 1.0, "metadata": {}}
'''
    out = load_module(code, "extend.py").execute({}, {})["output"]
    assert out == [[4, 3, 1, 2, 5], [0, 0, 1]]
