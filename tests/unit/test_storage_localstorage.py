"""localStorage backend specifics: quota errors leave nothing half written, prefixes isolate."""

from __future__ import annotations

import pytest
from storage_conformance import FakeWebStorage

from evomachine.storage import LocalStorageBackend, StorageError, StorageQuotaError


async def test_full_quota_raises_and_keeps_previous_values():
    web = FakeWebStorage(quota=400)
    storage = LocalStorageBackend(prefix="p:", web_storage=web)
    await storage.put("state", "a", "old-a")
    await storage.put("state", "b", "old-b")
    before = dict(web.items)
    with pytest.raises(StorageQuotaError, match="nothing was written"):
        await storage.write_batch([
            ("state", "a", "new-a"),            # fits
            ("state", "c", "new-c"),            # fits
            ("state", "b", "x" * 500),          # does not fit
        ])
    assert web.items == before
    assert await storage.get("state", "a") == "old-a"
    assert not await storage.has("state", "c")


async def test_single_put_over_quota_changes_nothing():
    web = FakeWebStorage(quota=100)
    storage = LocalStorageBackend(web_storage=web)
    with pytest.raises(StorageQuotaError):
        await storage.put("default", "k", "x" * 200)
    assert web.items == {}
    # The error is a StorageError too, so one except clause catches every storage failure.
    assert issubclass(StorageQuotaError, StorageError)


async def test_quota_restore_with_deletes_in_the_batch():
    web = FakeWebStorage(quota=300)
    storage = LocalStorageBackend(prefix="p:", web_storage=web)
    await storage.put("state", "gone", "g" * 50)
    before = dict(web.items)
    with pytest.raises(StorageQuotaError):
        await storage.write_batch([("state", "gone", None), ("state", "big", "x" * 400)])
    assert web.items == before


async def test_other_errors_are_storage_errors_and_undone():
    class Broken(FakeWebStorage):
        def setItem(self, name, value):
            if "boom" in name:
                raise RuntimeError("disk on fire")
            super().setItem(name, value)

    web = Broken()
    storage = LocalStorageBackend(web_storage=web)
    with pytest.raises(StorageError, match="disk on fire") as caught:
        await storage.write_batch([("default", "ok", 1), ("default", "boom", 2)])
    assert not isinstance(caught.value, StorageQuotaError)
    assert web.items == {}


@pytest.mark.parametrize(("first", "second"), [
    ("a", "a_b"), ("a", "ab"), ("a", "a|b"), ("evomachine:", "evomachine:x"), ("", "x"),
])
async def test_prefixes_isolate_backends_on_one_web_storage(first, second):
    web = FakeWebStorage()
    one = LocalStorageBackend(prefix=first, web_storage=web)
    two = LocalStorageBackend(prefix=second, web_storage=web)
    await one.put("ns", "b|x", "one")
    await two.put("ns", "x", "two")
    await two.put("ns|b", "x", "two-b")
    assert await one.keys("ns") == ["b|x"]
    assert await two.keys("ns") == ["x"]
    assert await one.get("ns|b", "x") is None
    await one.clear()
    assert await two.get("ns", "x") == "two"
    assert (await one.usage())["entries"] == 0
    assert (await two.usage())["entries"] == 2


async def test_foreign_items_in_web_storage_are_ignored():
    web = FakeWebStorage()
    web.setItem("someone-else", "value")
    web.setItem("evomachine:", "not ours either")
    storage = LocalStorageBackend(web_storage=web)
    await storage.save("k", 1)
    assert await storage.keys("default") == ["k"]
    await storage.clear()
    assert set(web.items) == {"someone-else", "evomachine:"}


async def test_item_names_are_readable():
    web = FakeWebStorage()
    await LocalStorageBackend(web_storage=web).put("state", "machine/1", {"a": 1})
    assert web.items == {"evomachine:|state|machine/1": '{"a":1}'}


@pytest.mark.cpython_only  # Node may grow a localStorage global
def test_without_a_browser_the_default_web_storage_is_a_clear_error():
    storage = LocalStorageBackend()
    with pytest.raises(StorageError, match="localStorage is not available"):
        storage.web_storage  # noqa: B018
