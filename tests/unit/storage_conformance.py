"""One conformance suite for every storage backend.

Each check is a plain ``async def check_xxx(make_storage)``; ``make_storage()``
returns a fresh backend (or an awaitable of one). ``CHECKS`` lists them all, so a
harness anywhere (pytest in CPython, Pyodide under Node, the page in Chromium)
runs them the same way::

    for check in CHECKS:
        await check(make_storage)

The checks use no timers and no event-loop calls of their own. Two writers at
once go through the module's ``gather``: ``aio.gather`` under pytest (a real
loop in CPython, round-robin by hand in Pyodide); a browser harness whose
backend awaits real JS promises sets ``storage_conformance.gather = asyncio.gather``.

Also here: ``FakeWebStorage``, a ``localStorage`` look-alike with a quota.
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Callable
from typing import Any

from evomachine.storage import (
    DELETE,
    SerializationError,
    Storage,
    key_path,
)

try:
    from aio import gather
except ImportError:  # outside the test tree (a browser harness)
    from asyncio import gather

MakeStorage = Callable[[], Any]


async def _fresh(make_storage: MakeStorage) -> Storage:
    storage = make_storage()
    if inspect.isawaitable(storage):
        storage = await storage
    await storage.clear()
    return storage


def same(a: Any, b: Any) -> bool:
    """Equal and of the same JSON type all the way down (0, 0.0 and False differ)."""
    return json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True) and _types(a) == _types(b)


def _types(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _types(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_types(v) for v in value]
    return type(value).__name__


def expect(condition: bool, message: str) -> None:
    if not condition:
        raise AssertionError(message)


async def expect_raises(error_type: type[BaseException], coro: Any, message: str) -> None:
    try:
        await coro
    except error_type:
        return
    raise AssertionError(f"expected {error_type.__name__}: {message}")


FALSY_AND_EDGE_VALUES: dict[str, Any] = {
    "zero": 0,
    "zero_float": 0.0,
    "empty_str": "",
    "empty_list": [],
    "empty_dict": {},
    "false": False,
    "none": None,
    "true": True,
    "neg": -17,
    "big_int": 2**62 + 1,
    "float": 3.141592653589793,
    "tiny": 5e-324,
    "nested": {"a": [0, "", [], {}, False, None], "b": {"c": [[[]]]}},
    "string_null": "null",
    "string_zero": "0",
    "list_of_falsy": [0, 0.0, False, "", None, [], {}],
}

UNICODE_VALUES = [
    "héllo wörld",
    "日本語のテキスト",
    "emoji 🧬🚀 and 👩‍👩‍👧",
    "مرحبا بالعالم",
    "combining e\u0301 and \u200b zero width",
    "control \x00\x01\n\t\r chars",
    "\uffff edge \ud7ff",
    {"ключ": "значение", "🔑": ["🌍", "𝔘𝔫𝔦𝔠𝔬𝔡𝔢"]},
]


async def check_falsy_values_read_back_as_themselves(make_storage: MakeStorage) -> None:
    storage = await _fresh(make_storage)
    for key, value in FALSY_AND_EDGE_VALUES.items():
        await storage.put("default", key, value)
    for key, value in FALSY_AND_EDGE_VALUES.items():
        got = await storage.get("default", key, default="MISSING")
        expect(same(got, value), f"{key}: wrote {value!r}, read {got!r}")
    items = dict(await storage.items("default"))
    expect(all(same(items[k], v) for k, v in FALSY_AND_EDGE_VALUES.items()),
           f"items() changed values: {items!r}")
    await storage.close()


async def check_none_is_not_missing(make_storage: MakeStorage) -> None:
    storage = await _fresh(make_storage)
    marker = object()
    expect(await storage.get("state", "k", marker) is marker, "missing key must give the default")
    expect(await storage.get("state", "k") is None, "missing key defaults to None")
    expect(not await storage.has("state", "k"), "missing key must not exist")
    await storage.put("state", "k", None)
    expect(await storage.has("state", "k"), "a stored None exists")
    expect(await storage.get("state", "k", marker) is None, "a stored None reads back as None")
    await storage.remove("state", "k")
    expect(not await storage.has("state", "k"), "removed key must be gone")
    await storage.remove("state", "never-there")  # not an error
    await storage.close()


async def check_overwrite_and_remove(make_storage: MakeStorage) -> None:
    storage = await _fresh(make_storage)
    await storage.put("default", "k", {"v": 1})
    await storage.put("default", "k", [2])
    expect(same(await storage.get("default", "k"), [2]), "overwrite must replace the value")
    expect(await storage.keys("default") == ["k"], "overwrite must not add a key")
    await storage.remove("default", "k")
    expect(await storage.keys("default") == [], "remove must delete the key")
    await storage.close()


async def check_keys_and_items_by_prefix(make_storage: MakeStorage) -> None:
    storage = await _fresh(make_storage)
    keys = ["b", "a", "ab", "abc", "a/1", "a/2", "b/1", "", "A", "a%"]
    for index, key in enumerate(keys):
        await storage.put("default", key, index)
    expect(await storage.keys("default") == sorted(keys), "keys() must list all, sorted")
    expect(await storage.keys("default", "a") == ["a", "a%", "a/1", "a/2", "ab", "abc"],
           f"prefix 'a' gave {await storage.keys('default', 'a')}")
    expect(await storage.keys("default", "a/") == ["a/1", "a/2"], "prefix 'a/'")
    expect(await storage.keys("default", "zzz") == [], "no match gives []")
    items = await storage.items("default", "ab")
    expect(items == [("ab", 2), ("abc", 3)], f"items('ab') gave {items!r}")
    await storage.close()


async def check_prefix_collisions(make_storage: MakeStorage) -> None:
    """Ids ``a`` and ``a_b`` (and look-alikes) never see each other's keys."""
    storage = await _fresh(make_storage)
    ids = ["a", "a_b", "a/b", "a%2Fb", "a|b", "a:b", "ab"]
    for machine_id in ids:
        await storage.put("versions", key_path(machine_id, "v1"), machine_id)
        await storage.put("versions", key_path(machine_id, "v2"), machine_id)
    for machine_id in ids:
        found = await storage.items("versions", key_path(machine_id, ""))
        expect([v for _, v in found] == [machine_id, machine_id],
               f"listing id {machine_id!r} saw {found!r}")
    # Namespaces whose names prefix each other are separate too.
    spaces = ["a", "a_b", "a|b", "a/b", "a:b", "a%7Cb"]
    for space in spaces:
        await storage.put(space, "b_x", space)
        await storage.put(space, "x", space)
    for space in spaces:
        expect(await storage.keys(space) == ["b_x", "x"], f"namespace {space!r} leaked keys")
        expect(await storage.get(space, "x") == space, f"namespace {space!r} read a neighbour")
    await storage.clear("a")
    expect(await storage.keys("a") == [], "clear('a') must empty 'a'")
    for space in spaces[1:]:
        expect(await storage.keys(space) == ["b_x", "x"], f"clear('a') touched {space!r}")
    await storage.close()


async def check_unicode_keys_and_values(make_storage: MakeStorage) -> None:
    storage = await _fresh(make_storage)
    for index, value in enumerate(UNICODE_VALUES):
        key = f"ключ-{index}-🔑"
        await storage.put("default", key, value)
        got = await storage.get("default", key)
        expect(same(got, value), f"unicode value {index} changed: {got!r}")
    listed = await storage.keys("default", "ключ-1")
    expect(listed == ["ключ-1-🔑"], f"unicode prefix listing gave {listed!r}")
    listed = await storage.keys("default", "ключ-1-🔑")
    expect(listed == ["ключ-1-🔑"], f"prefix ending in an astral char gave {listed!r}")
    await storage.put("🧬", "ë", "namespace in unicode")
    expect(await storage.get("🧬", "ë") == "namespace in unicode", "unicode namespace")
    await storage.close()


async def check_large_values(make_storage: MakeStorage) -> None:
    storage = await _fresh(make_storage)
    big_text = ("0123456789abcdef" * 65536)[: 1024 * 1024]  # 1 MB
    big_list = [{"i": i, "s": "x" * 20, "f": i / 7} for i in range(5000)]
    await storage.put("history", "text", big_text)
    await storage.save_code("big.py", "# " + "x = 1\n" * 50000)
    await storage.write_batch([("history", "list", big_list),
                               ("history", "unicode", "é🧬" * 100000)])
    expect(await storage.get("history", "text") == big_text, "1 MB string changed")
    expect(same(await storage.get("history", "list"), big_list), "large list changed")
    expect(await storage.get("history", "unicode") == "é🧬" * 100000, "large unicode changed")
    expect((await storage.load_code("big.py") or "").count("x = 1") == 50000, "large code")
    usage = await storage.usage()
    expect(usage["bytes"] >= 1024 * 1024 and usage["entries"] == 4, f"usage looks wrong: {usage}")
    await storage.close()


async def check_a_value_too_long_to_store_is_refused_and_the_old_one_stays(
        make_storage: MakeStorage) -> None:
    """Past the longest string a browser holds, IndexedDB stored "" over a good document with
    no error (rt10): every backend refuses a value past its serializer's ``max_chars``."""
    from evomachine.storage.serde import MAX_DOCUMENT_CHARS, JsonSerializer

    storage = await _fresh(make_storage)
    expect(storage.serializer.max_chars == MAX_DOCUMENT_CHARS, "the default limit")
    storage.serializer = JsonSerializer(max_chars=1000)
    await storage.put("state", "doc", "x" * 900)
    await expect_raises(SerializationError, storage.put("state", "doc", "x" * 1001),
                        "a value past the limit must be refused")
    await expect_raises(SerializationError, storage.write_batch([
        ("state", "other", 1), ("state", "doc", ["y" * 600, "y" * 600])]),
        "a batch with a value past the limit must be refused whole")
    expect(await storage.get("state", "doc") == "x" * 900, "the old value must stay")
    expect(await storage.keys("state") == ["doc"], "the refused batch wrote something")
    await storage.close()


async def check_batch_writes_apply_in_order(make_storage: MakeStorage) -> None:
    storage = await _fresh(make_storage)
    await storage.put("state", "gone", 1)
    await storage.write_batch([
        ("state", "x", 1),
        ("versions", "x", 2),
        ("other-space", "x", 3),
        ("state", "x", 4),  # the later op on a key wins
        ("state", "gone", DELETE),
        ("state", "never", DELETE),
        ("state", "y", 0),
    ])
    expect(await storage.get("state", "x") == 4, "last write to a key in a batch wins")
    expect(await storage.get("versions", "x") == 2, "batch across namespaces")
    expect(await storage.get("other-space", "x") == 3, "batch to an unknown namespace")
    expect(not await storage.has("state", "gone"), "DELETE in a batch removes")
    expect(await storage.keys("state") == ["x", "y"], "batch keys")
    await storage.write_batch([])  # empty batch is fine
    await storage.close()


async def check_batch_is_all_or_nothing(make_storage: MakeStorage) -> None:
    storage = await _fresh(make_storage)
    await storage.put("state", "a", "old")
    await expect_raises(SerializationError, storage.write_batch([
        ("state", "a", "new"),
        ("state", "b", 1),
        ("state", "c", object()),  # cannot be stored
    ]), "an unserializable value must fail the batch")
    expect(await storage.get("state", "a") == "old", "failed batch changed an existing key")
    expect(await storage.keys("state") == ["a"], "failed batch wrote a new key")
    await expect_raises(TypeError, storage.write_batch([("state", "d", 1), ("state", 5, 1)]),
                        "a non-str key must fail the batch")
    expect(await storage.keys("state") == ["a"], "batch with a bad key wrote something")
    await expect_raises(TypeError, storage.put("", "k", 1), "empty namespace")
    await storage.close()


async def check_two_writers_at_once(make_storage: MakeStorage) -> None:
    storage = await _fresh(make_storage)

    async def writer(name: str, count: int) -> int:
        for index in range(count):
            await storage.put("state", f"{name}/{index:03d}", {"by": name, "i": index})
            if index % 10 == 0:
                await storage.write_batch([("history", f"{name}/{index}/{j}", j) for j in range(5)])
            await storage.get("state", f"{name}/{index:03d}")
        return count

    done = await gather(writer("w1", 60), writer("w2", 60))
    expect(done == [60, 60], f"writers returned {done}")
    for name in ("w1", "w2"):
        keys = await storage.keys("state", f"{name}/")
        expect(len(keys) == 60, f"{name} lost writes: {len(keys)} of 60 kept")
        expect(len(await storage.keys("history", f"{name}/")) == 30, f"{name} lost batch writes")
    values = dict(await storage.items("state"))
    expect(all(v["by"] == k.split("/")[0] for k, v in values.items()), "writes were mixed up")
    await storage.close()


async def check_clear_all_and_one_namespace(make_storage: MakeStorage) -> None:
    storage = await _fresh(make_storage)
    for space in ("default", "code", "state", "custom"):
        await storage.put(space, "k", space)
    await storage.clear("state")
    expect(not await storage.has("state", "k"), "clear(namespace) must empty it")
    expect(await storage.get("custom", "k") == "custom", "clear(namespace) touched another")
    await storage.clear("custom")
    expect(await storage.keys("custom") == [], "clear of an unknown namespace")
    await storage.clear()
    for space in ("default", "code", "state", "custom"):
        expect(await storage.keys(space) == [], f"clear() left {space!r}")
    usage = await storage.usage()
    expect(usage["entries"] == 0, f"clear() left entries: {usage}")
    await storage.close()


async def check_generic_surface(make_storage: MakeStorage) -> None:
    storage = await _fresh(make_storage)
    expect(await storage.load("nothing") is None, "load of a missing key gives None")
    await storage.save("k", {"a": [1, 2]})
    await storage.save("zero", 0)
    expect(await storage.load("k") == {"a": [1, 2]}, "save/load")
    expect(same(await storage.load("zero"), 0), "save/load of 0")
    await storage.save_code("k", "def execute(input, context):\n    return {}\n")
    expect(await storage.load("k") == {"a": [1, 2]}, "code lives apart from values")
    expect((await storage.load_code("k") or "").startswith("def execute"), "load_code")
    expect(await storage.load_code("missing.py") is None, "missing code gives None")
    await storage.delete("k")
    expect(await storage.load("k") is None, "delete")
    expect(await storage.load_code("k") is not None, "delete() must not remove code")
    await storage.clear()
    expect(await storage.load("zero") is None and await storage.load_code("k") is None, "clear()")
    await expect_raises(TypeError, storage.save_code("p", 5), "save_code needs text")
    await storage.close()


async def check_describe_and_usage(make_storage: MakeStorage) -> None:
    storage = await _fresh(make_storage)
    info = storage.describe()
    expect(isinstance(info.get("backend"), str) and info["backend"], f"describe(): {info}")
    empty = await storage.usage()
    await storage.put("default", "k", "v" * 1000)
    used = await storage.usage()
    expect(used["backend"] == info["backend"], "usage() names the backend")
    expect(used["entries"] == empty["entries"] + 1, f"usage entries: {empty} -> {used}")
    expect(used["bytes"] >= empty["bytes"] + 1000, f"usage bytes: {empty} -> {used}")
    await storage.close()


CHECKS = [
    check_a_value_too_long_to_store_is_refused_and_the_old_one_stays,
    check_falsy_values_read_back_as_themselves,
    check_none_is_not_missing,
    check_overwrite_and_remove,
    check_keys_and_items_by_prefix,
    check_prefix_collisions,
    check_unicode_keys_and_values,
    check_large_values,
    check_batch_writes_apply_in_order,
    check_batch_is_all_or_nothing,
    check_two_writers_at_once,
    check_clear_all_and_one_namespace,
    check_generic_surface,
    check_describe_and_usage,
]


class QuotaExceededError(Exception):
    """What a browser raises when ``localStorage`` is full (``name`` as on a DOMException)."""

    name = "QuotaExceededError"


class FakeWebStorage:
    """A ``localStorage`` look-alike: ``getItem``/``setItem``/``removeItem``/``key``/``length``.

    ``quota`` counts UTF-16 code units of names plus values, as browsers do;
    ``setItem`` past it raises ``QuotaExceededError`` and changes nothing.
    """

    def __init__(self, quota: int = 20_000_000) -> None:
        self.quota = quota
        self.items: dict[str, str] = {}
        self.set_calls = 0

    @staticmethod
    def _units(text: str) -> int:
        return len(text.encode("utf-16-le", "surrogatepass")) // 2

    def used(self) -> int:
        return sum(self._units(k) + self._units(v) for k, v in self.items.items())

    @property
    def length(self) -> int:
        return len(self.items)

    def key(self, index: int) -> str | None:
        names = list(self.items)
        return names[index] if 0 <= index < len(names) else None

    def getItem(self, name: str) -> str | None:
        return self.items.get(name)

    def setItem(self, name: str, value: str) -> None:
        self.set_calls += 1
        value = str(value)
        old = self.items.get(name)
        grow = self._units(value) - (self._units(old) if old is not None else -self._units(name))
        if self.used() + grow > self.quota:
            raise QuotaExceededError(f"Setting the value of '{name}' exceeded the quota.")
        self.items[name] = value

    def removeItem(self, name: str) -> None:
        self.items.pop(name, None)
