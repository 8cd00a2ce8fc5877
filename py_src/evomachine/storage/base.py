"""The async storage contract: a few text-level methods per backend, the rest written once here.

A backend implements five methods that move text (``read``, ``scan``,
``write``, ``wipe``, ``measure``); everything callers use (JSON values,
namespaces, batches, the seed's ``save``/``load``/``save_code`` surface) is
built on them in this base, the way langgraph's ``BaseCheckpointSaver`` keeps
its conveniences in one place. Async only: Pyodide has one thread.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Final

from . import keys
from .serde import JsonSerializer, Serializer

DEFAULT_NAMESPACE: Final = keys.DEFAULT
CODE_NAMESPACE: Final = keys.CODE
# Namespaces the engine uses (named in keys.py); IndexedDB gives each its own object store.
KNOWN_NAMESPACES: Final = keys.NAMESPACES


class _Delete:
    def __repr__(self) -> str:
        return "DELETE"


DELETE: Final = _Delete()
"""Use as the value of a batch operation to delete that key."""

_MISSING: Final = object()

TextOp = tuple[str, str, str | None]
"""A text-level write: ``(namespace, key, text)``, ``text=None`` deletes."""


@dataclass(frozen=True)
class Usage:
    """Approximate space used by this backend's entries."""

    backend: str
    bytes: int
    entries: int
    quota: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"backend": self.backend, "bytes": self.bytes, "entries": self.entries,
                "quota": self.quota}


def check_name(namespace: str, key: str) -> None:
    """Reject what no backend can store: non-string or empty namespaces, non-string keys."""
    if not isinstance(namespace, str) or not namespace:
        raise TypeError(f"storage namespace must be a non-empty str, got {namespace!r}")
    if not isinstance(key, str):
        raise TypeError(f"storage key must be a str, got {type(key).__name__} {key!r}")


class Storage:
    """Base of every backend. Subclasses implement the five text-level methods."""

    backend: ClassVar[str] = "abstract"

    def __init__(self, serializer: Serializer | None = None) -> None:
        self.serializer: Serializer = serializer or JsonSerializer()
        # Why ``create_storage`` picked this backend, when it did.
        self.chosen_because: str | None = None

    # -- required: text level --------------------------------------------------

    async def read(self, namespace: str, key: str) -> str | None:
        """The stored text for ``key``, or ``None`` when there is none."""
        raise NotImplementedError

    async def scan(self, namespace: str, prefix: str) -> list[str]:
        """Keys in ``namespace`` starting with ``prefix``, in any order."""
        raise NotImplementedError

    async def write(self, ops: Sequence[TextOp]) -> None:
        """Apply every op in order, all or nothing (``text=None`` deletes)."""
        raise NotImplementedError

    async def wipe(self, namespace: str | None) -> None:
        """Remove every key of ``namespace``, or of every namespace when ``None``."""
        raise NotImplementedError

    async def measure(self) -> Usage:
        """Approximate bytes and entries used by this backend."""
        raise NotImplementedError

    # -- optional overrides ----------------------------------------------------

    async def read_prefix(self, namespace: str, prefix: str) -> dict[str, str]:
        """Key → text for keys starting with ``prefix``; backends may do this in one read."""
        found: dict[str, str] = {}
        for key in await self.scan(namespace, prefix):
            text = await self.read(namespace, key)
            if text is not None:
                found[key] = text
        return found

    async def close(self) -> None:
        """Release the backend's connection; a later call may reopen it."""

    def describe(self) -> dict[str, Any]:
        """Backend name, its settings and why it was chosen (no I/O)."""
        return {"backend": self.backend, "chosen_because": self.chosen_because}

    # -- namespaced JSON values --------------------------------------------------

    async def get(self, namespace: str, key: str, default: Any = None) -> Any:
        """The value at ``(namespace, key)``, or ``default`` when missing.

        A stored ``None`` reads back as ``None``; ``has`` tells the two apart.
        """
        check_name(namespace, key)
        text = await self.read(namespace, key)
        return default if text is None else self.serializer.loads(text)

    async def has(self, namespace: str, key: str) -> bool:
        check_name(namespace, key)
        return await self.read(namespace, key) is not None

    async def put(self, namespace: str, key: str, value: Any) -> None:
        await self.write_batch([(namespace, key, value)])

    async def remove(self, namespace: str, key: str) -> None:
        """Delete ``key``; deleting a missing key is not an error."""
        await self.write_batch([(namespace, key, DELETE)])

    async def keys(self, namespace: str, prefix: str = "") -> list[str]:
        """Keys of ``namespace`` starting with ``prefix``, sorted."""
        check_name(namespace, prefix)
        return sorted(k for k in await self.scan(namespace, prefix) if k.startswith(prefix))

    async def items(self, namespace: str, prefix: str = "") -> list[tuple[str, Any]]:
        """``(key, value)`` pairs whose key starts with ``prefix``, sorted by key."""
        check_name(namespace, prefix)
        texts = await self.read_prefix(namespace, prefix)
        loads = self.serializer.loads
        return [(k, loads(texts[k])) for k in sorted(texts) if k.startswith(prefix)]

    async def write_batch(self, ops: Iterable[tuple[str, str, Any]]) -> None:
        """Write many ``(namespace, key, value)`` at once, all or nothing; ``value=DELETE`` deletes.

        Every value is serialized before anything is written, so a value that
        cannot be stored leaves storage untouched.
        """
        text_ops = self.text_ops(ops)
        if text_ops:
            await self.write(text_ops)

    def text_ops(self, ops: Iterable[tuple[str, str, Any]]) -> list[TextOp]:
        """Check names and serialize every value of a batch (``DELETE`` becomes ``None``)."""
        text_ops: list[TextOp] = []
        for op in ops:
            namespace, key, value = op
            check_name(namespace, key)
            text = None if value is DELETE else self.serializer.dumps(value)
            text_ops.append((namespace, key, text))
        return text_ops

    def guard_holds(self, text: str | None, expected: Any) -> bool:
        """Whether stored ``text`` (``None``: absent) holds the value ``expected``."""
        return (None if text is None else self.serializer.loads(text)) == expected

    async def write_batch_if(self, guard: tuple[str, str], expected: Any,
                             ops: Iterable[tuple[str, str, Any]]) -> bool:
        """Compare-and-set: write ``ops`` (all or nothing) only if the value at ``guard``
        (``(namespace, key)``) equals ``expected`` (``None``: no value); whether it wrote.

        Include the guard's new value in ``ops`` so the next writer sees it moved.
        This default reads then writes with nothing awaited in between on backends
        whose methods never suspend (memory; localStorage within one page), so it
        is atomic there; backends shared across processes or tabs (SQLite,
        IndexedDB) override it with one transaction.
        """
        check_name(*guard)
        if not self.guard_holds(await self.read(*guard), expected):
            return False
        await self.write_batch(ops)
        return True

    async def clear(self, namespace: str | None = None) -> None:
        """Remove everything this backend stores, or only ``namespace``."""
        if namespace is not None:
            check_name(namespace, "")
        await self.wipe(namespace)

    async def usage(self) -> dict[str, Any]:
        """``{backend, bytes, entries, quota}``, approximate."""
        return (await self.measure()).as_dict()

    # -- the seed's generic surface -------------------------------------------

    async def save(self, key: str, value: Any) -> None:
        await self.put(DEFAULT_NAMESPACE, key, value)

    async def load(self, key: str, default: Any = None) -> Any:
        return await self.get(DEFAULT_NAMESPACE, key, default)

    async def delete(self, key: str) -> None:
        await self.remove(DEFAULT_NAMESPACE, key)

    async def save_code(self, path: str, code: str) -> None:
        if not isinstance(code, str):
            raise TypeError(f"save_code({path!r}) needs source text, got {type(code).__name__}")
        await self.put(CODE_NAMESPACE, path, code)

    async def load_code(self, path: str) -> str | None:
        """The source saved at ``path``, or ``None``."""
        return await self.get(CODE_NAMESPACE, path)

    def __repr__(self) -> str:
        details = ", ".join(f"{k}={v!r}" for k, v in self.describe().items()
                            if k not in ("backend", "chosen_because"))
        return f"{type(self).__name__}({details})"
