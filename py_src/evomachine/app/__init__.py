"""The bridge the page calls: ``Lab`` (load, run in chunks, state, versions, patterns, export).

Imported by the page after boot, so ``import evomachine`` stays cheap; only
``Lab.open`` and what it needs load here.
"""

from evomachine.app.errors import LabError
from evomachine.app.lab import Lab

__all__ = ["Lab", "LabError"]
