"""Version ids that sort in time order: ``<ms:13>-<counter:4>-<random:6 hex>``.

Like langgraph's uuid6 checkpoint ids, sorting the ids sorts the versions, so
a machine's history is one prefix read. The counter keeps ids strictly
increasing within a process (and above a given parent) even when the clock
stalls or steps back; the random tail keeps two tabs from colliding.
"""

from __future__ import annotations

import re
import secrets
import time
from collections.abc import Callable

_ID = re.compile(r"^(\d{13})-(\d{4})-[0-9a-f]{6}$")


def parse_version_id(version: str) -> tuple[int, int] | None:
    """``(milliseconds, counter)`` of a version id, or ``None`` if it is not one."""
    match = _ID.match(version)
    return (int(match.group(1)), int(match.group(2))) if match else None


class VersionClock:
    """Makes version ids; ``clock`` returns seconds (``time.time`` by default)."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self.clock = clock
        self._last = (0, -1)

    def next_id(self, after: str | None = None) -> str:
        """A new id greater than every id made here before and than ``after``."""
        floor = parse_version_id(after) if after else None
        last = max(self._last, floor or (0, -1))
        now = int(self.clock() * 1000)
        ms, counter = (now, 0) if now > last[0] else (last[0], last[1] + 1)
        if counter > 9999:
            ms, counter = ms + 1, 0
        self._last = (ms, counter)
        return f"{ms:013d}-{counter:04d}-{secrets.token_hex(3)}"
