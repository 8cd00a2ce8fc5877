"""The sandbox's size guards on built-in methods answer as the methods they wrap.

Generated code is valid Python the LLM or a template wrote; a guard that raises where
Python answers turns a working candidate into a failed one (as the deque.extendleft
bug of 4384ae0 did). Each snippet runs under plain Python and in the sandbox; the two
must agree. Found failing: the unbound forms ``list.extend(a, b)``,
``deque.extend``/``deque.extendleft`` (the guard took one argument), ``bytes.translate``
with ``delete=`` (the size function took no keywords), ``a += generator`` on a list
(the guard asked the generator for its length) and ``str(b, encoding=...)``.
"""

from __future__ import annotations

from collections import deque
from typing import Any

import pytest

from evomachine.sandbox import BudgetExceeded, load_module

SNIPPETS = {
    "list.extend unbound": "a = [1]\nlist.extend(a, [2, 3])\nr = a",
    "deque.extend unbound": "a = deque([1])\ndeque.extend(a, [2, 3])\nr = list(a)",
    "deque.extendleft unbound": "a = deque([1])\ndeque.extendleft(a, [2, 3])\nr = list(a)",
    "bytes.translate delete=": "r = b'abcab'.translate(None, delete=b'a')",
    "bytes.translate delete": "r = b'abcab'.translate(None, b'a')",
    "list += generator": "a = [1]\na += (x * 2 for x in [2, 3])\nr = a",
    "list += map": "a = ['x']\na += map(str.upper, ['b', 'c'])\nr = a",
    "list += str": "a = ['x']\na += 'yz'\nr = a",
    "str(bytes, encoding=)": "r = str(b'caf\\xc3\\xa9', encoding='utf-8')",
    "str(bytes, errors=)": "r = str(b'ab\\xff', 'ascii', errors='replace')",
    "list.extend bound": "a = [1]\na.extend(x for x in 'ab')\nr = a",
    "deque.extendleft bound": "a = deque([1])\na.extendleft(iter([2, 3]))\nr = list(a)",
    "str.ljust unbound": "r = str.ljust('ab', 5, '*')",
    "str.join unbound": "r = str.join('-', ['a', 'b'])",
}


def plain(snippet: str) -> Any:
    namespace: dict[str, Any] = {"deque": deque}
    exec(snippet, namespace)  # the test's own literal snippets, not generated code
    return namespace["r"]


def sandboxed(snippet: str) -> Any:
    code = ("from collections import deque\n" + snippet
            + "\n\ndef execute(input, context):\n"
              "    return {'output': repr(r), 'confidence': 1.0, 'metadata': {}}\n")
    return load_module(code, "snippet.py").execute({}, {})["output"]


@pytest.mark.parametrize("name", sorted(SNIPPETS))
def test_a_guarded_method_answers_as_python_does(name):
    assert sandboxed(SNIPPETS[name]) == repr(plain(SNIPPETS[name]))


@pytest.mark.parametrize("snippet", [
    "a = []\nlist.extend(a, range(900_000))\nlist.extend(a, range(900_000))\nr = 1",
    "a = []\nfor i in range(3):\n    a += (x for x in range(400_000))\nr = 1",
    "a = [1]\nfor i in range(60):\n    a = [a, a]\nr = str(object=a)",
])
def test_the_unbound_and_generator_forms_are_still_charged(snippet):
    with pytest.raises(BudgetExceeded):
        sandboxed(snippet)
