"""The one door HTTP providers go through: ``post_json`` via urllib (CPython) or fetch (browser).

The choice is made here, once (:func:`default_transport`), and providers take
a transport through their constructor, so tests inject one (see
:mod:`evomachine.llm.mock_transport`). The contract itself lives in
:mod:`evomachine.llm.transport_base`; its names are re-exported here.
"""

from __future__ import annotations

from evomachine import _compat
from evomachine.llm.transport_base import Transport, TransportError, TransportResult

__all__ = ["Transport", "TransportError", "TransportResult", "default_transport", "in_browser"]


def in_browser() -> bool:
    """True inside Pyodide (browser or Node)."""
    return _compat.IN_PYODIDE


def default_transport() -> Transport:
    """fetch inside Pyodide, urllib in a thread on CPython."""
    if in_browser():
        from evomachine.llm._transport_pyodide import FetchTransport

        return FetchTransport()
    from evomachine.llm._transport_cpython import UrllibTransport

    return UrllibTransport()
