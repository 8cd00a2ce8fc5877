"""Machine versions with rollback and diff, and the pattern library.

``MachinePersistence`` keeps chained, time-sortable versions of an executor's
state; ``PatternLibrary`` keeps learned code for reuse. Both work over any
``evomachine.storage`` backend and any executor matching ``PersistableExecutor``.
"""

from .diff import Change, MachineDiff, NodeChange, diff_states
from .ids import VersionClock, parse_version_id
from .patterns import Pattern, PatternLibrary, PatternNotFoundError, PerformanceMetrics, TrainedOn
from .protocol import PersistableExecutor
from .versions import (
    MachinePersistence,
    VersionDamagedError,
    VersionInfo,
    VersionNotFoundError,
)

__all__ = [
    "Change",
    "MachineDiff",
    "MachinePersistence",
    "NodeChange",
    "Pattern",
    "PatternLibrary",
    "PatternNotFoundError",
    "PerformanceMetrics",
    "PersistableExecutor",
    "TrainedOn",
    "VersionClock",
    "VersionDamagedError",
    "VersionInfo",
    "VersionNotFoundError",
    "diff_states",
    "parse_version_id",
]
