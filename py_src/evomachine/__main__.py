"""``python -m evomachine``: the headless command line (see :mod:`evomachine.cli`)."""

from __future__ import annotations

import sys

from evomachine.cli import main

__all__ = ["main"]

if __name__ == "__main__":
    sys.exit(main())
