"""SQLite storage: the embedded default for headless CPython runs.

One table keyed ``(namespace, key)``; a batch is one transaction; file
databases use WAL so readers never wait on a writer. ``sqlite3`` is imported
in the constructor, so importing this module costs nothing where it is absent.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar

from .base import Storage, TextOp, Usage
from .errors import StorageError, StorageQuotaError, StorageUnavailableError

_SCHEMA = """
CREATE TABLE IF NOT EXISTS kv (
    namespace TEXT NOT NULL,
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (namespace, key)
) WITHOUT ROWID
"""


def prefix_upper_bound(prefix: str) -> str | None:
    """The smallest string above every string starting with ``prefix`` (code point order).

    ``None`` when there is none (the prefix is empty or all U+10FFFF).
    """
    chars = list(prefix)
    while chars:
        last = ord(chars.pop()) + 1
        if last == 0xD800:  # surrogates cannot be stored as UTF-8: skip them
            last = 0xE000
        if last <= 0x10FFFF:
            return "".join(chars) + chr(last)
    return None


class SQLiteStorage(Storage):
    """Storage in one SQLite file (or ``":memory:"``)."""

    backend: ClassVar[str] = "sqlite"

    def __init__(self, path: str | Path = ":memory:", serializer=None) -> None:
        super().__init__(serializer)
        try:
            import sqlite3
        except ImportError as error:  # pragma: no cover - CPython always has it
            raise StorageUnavailableError("sqlite3 is not available in this Python",
                                          backend=self.backend) from error
        self._sqlite3 = sqlite3
        self.path = str(path)
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self._conn: Any = None
        self._connect()

    def _connect(self) -> Any:
        if self._conn is None:
            conn = self._sqlite3.connect(self.path, isolation_level=None)
            if self.path != ":memory:":
                conn.execute("PRAGMA journal_mode=WAL")
                conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute(_SCHEMA)
            self._conn = conn
        return self._conn

    def _fail(self, error: Exception, what: str) -> StorageError:
        if isinstance(error, self._sqlite3.OperationalError) and "full" in str(error).lower():
            return StorageQuotaError(f"{what}: {error}", backend=self.backend)
        return StorageError(f"{what} in {self.path}: {error}", backend=self.backend)

    def _prefix_query(self, columns: str, namespace: str, prefix: str) -> list[Any]:
        sql = f"SELECT {columns} FROM kv WHERE namespace = ? AND key >= ?"
        args: list[str] = [namespace, prefix]
        upper = prefix_upper_bound(prefix)
        if upper is not None:
            sql += " AND key < ?"
            args.append(upper)
        try:
            return self._connect().execute(sql, args).fetchall()
        except self._sqlite3.Error as error:
            raise self._fail(error, "reading keys") from error

    async def read(self, namespace: str, key: str) -> str | None:
        try:
            row = self._connect().execute(
                "SELECT value FROM kv WHERE namespace = ? AND key = ?", (namespace, key)
            ).fetchone()
        except self._sqlite3.Error as error:
            raise self._fail(error, f"reading {namespace}/{key}") from error
        return None if row is None else row[0]

    async def scan(self, namespace: str, prefix: str) -> list[str]:
        return [row[0] for row in self._prefix_query("key", namespace, prefix)]

    async def read_prefix(self, namespace: str, prefix: str) -> dict[str, str]:
        return dict(self._prefix_query("key, value", namespace, prefix))

    async def write(self, ops: Sequence[TextOp]) -> None:
        self._transaction(ops, None)

    async def write_batch_if(self, guard: tuple[str, str], expected: Any, ops: Any) -> bool:
        """Compare-and-set in one ``BEGIN IMMEDIATE`` transaction: atomic across processes."""
        text_ops = self.text_ops(ops)
        namespace, key = guard
        return self._transaction(
            text_ops, lambda conn: self.guard_holds(self._read_in(conn, namespace, key), expected))

    @staticmethod
    def _read_in(conn: Any, namespace: str, key: str) -> str | None:
        row = conn.execute("SELECT value FROM kv WHERE namespace = ? AND key = ?",
                           (namespace, key)).fetchone()
        return None if row is None else row[0]

    def _transaction(self, ops: Sequence[TextOp], check: Any) -> bool:
        """Apply ``ops`` in one write transaction if ``check(conn)`` (when given) holds in it."""
        conn = self._connect()
        try:
            conn.execute("BEGIN IMMEDIATE")
            try:
                if check is not None and not check(conn):
                    conn.execute("ROLLBACK")
                    return False
                for namespace, key, text in ops:
                    if text is None:
                        conn.execute("DELETE FROM kv WHERE namespace = ? AND key = ?",
                                     (namespace, key))
                    else:
                        conn.execute(
                            "INSERT INTO kv (namespace, key, value) VALUES (?, ?, ?) "
                            "ON CONFLICT (namespace, key) DO UPDATE SET value = excluded.value",
                            (namespace, key, text),
                        )
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")
        except self._sqlite3.Error as error:
            raise self._fail(error, f"writing a batch of {len(ops)}") from error
        return True

    async def wipe(self, namespace: str | None) -> None:
        try:
            if namespace is None:
                self._connect().execute("DELETE FROM kv")
            else:
                self._connect().execute("DELETE FROM kv WHERE namespace = ?", (namespace,))
        except self._sqlite3.Error as error:
            raise self._fail(error, "clearing") from error

    async def measure(self) -> Usage:
        conn = self._connect()
        size, entries = conn.execute(
            "SELECT COALESCE(SUM(LENGTH(CAST(namespace AS BLOB)) + LENGTH(CAST(key AS BLOB))"
            " + LENGTH(CAST(value AS BLOB))), 0), COUNT(*) FROM kv"
        ).fetchone()
        return Usage(self.backend, int(size), int(entries))

    async def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def describe(self) -> dict[str, Any]:
        return {**super().describe(), "path": self.path}
