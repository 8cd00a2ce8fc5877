"""The process boundary's wire format: length-prefixed compact JSON, and the checks on replies.

A frame is a 4-byte big-endian length and that many bytes of JSON. Requests go
from the host to the child, replies come back; nothing is ever pickled. The
child runs hostile code, so the host treats every reply as untrusted text:
:func:`decode_reply` checks its size and shape, and the ``check_*`` functions
check a result the way :class:`~.loader.GeneratedModule` does in-process.
"""

from __future__ import annotations

import json
from typing import Any

from .errors import BudgetExceeded, GeneratedCodeError, SandboxError, SandboxViolation

HEADER = 4
ERROR_KINDS: dict[str, type[SandboxError]] = {
    "SandboxViolation": SandboxViolation,
    "BudgetExceeded": BudgetExceeded,
    "GeneratedCodeError": GeneratedCodeError,
    "SandboxError": SandboxError,
}
MAX_REASON = 300

try:  # the C encoder, made once (json.dumps makes one per call); no cycle check: see frame()
    from json.encoder import c_make_encoder, encode_basestring_ascii

    _chunks = c_make_encoder(None, None, encode_basestring_ascii, None, ":", ",",
                             False, False, True)

    def _encode(message: Any) -> str:
        return "".join(_chunks(message, 0))
except (ImportError, TypeError):  # pragma: no cover - a json without its C accelerator
    _encode = json.JSONEncoder(separators=(",", ":")).encode
_decode = json.JSONDecoder().decode


class WireError(ValueError):
    """A reply that is not a well-formed frame of the expected shape."""


def frame(message: Any, default: Any = None) -> bytes:
    """``message`` as one frame; ``default`` converts values JSON cannot (else TypeError).

    A value that contains itself fails with RecursionError (or ValueError), not a hang.
    """
    text = _encode(message) if default is None else json.dumps(
        message, separators=(",", ":"), default=default)
    return frame_text(text)


def frame_text(text: str) -> bytes:
    """One frame holding ``text`` (JSON already)."""
    body = text.encode()
    return len(body).to_bytes(HEADER, "big") + body


def frame_length(header: bytes | bytearray, limit: int) -> int:
    """The body length a header announces; a :class:`WireError` past ``limit``."""
    size = int.from_bytes(header[:HEADER], "big")
    if size > limit:
        raise WireError(f"reply of {size:,} bytes is over the {limit:,}-byte limit")
    return size


def decode(body: bytes) -> Any:
    """The JSON value of a frame's body (the child's side: requests come from the host)."""
    return _decode(body.decode())


def decode_reply(body: bytes) -> dict[str, Any]:
    """A reply object: ``{"r": value}`` or ``{"e": [kind, reason, line]}``, maybe with ``"x"``."""
    try:
        reply = _decode(body.decode())
    except (ValueError, RecursionError) as exc:  # bad UTF-8 or JSON, huge int, deep nesting
        raise WireError(f"reply is not JSON: {type(exc).__name__}") from None
    if type(reply) is not dict or ("r" in reply) == ("e" in reply):
        raise WireError("reply has neither or both of 'r' and 'e'")
    return reply


def error_of(info: Any, filename: str) -> SandboxError:
    """The host-side exception for an ``"e"`` reply."""
    if type(info) is not list or len(info) != 3:
        raise WireError("error reply is not [kind, reason, line]")
    kind, reason, line = info
    cls = ERROR_KINDS.get(kind) if type(kind) is str else None
    if cls is None or type(reason) is not str or not (line is None or type(line) is int):
        raise WireError("error reply has a bad kind, reason or line")
    reason = " ".join(reason.split())[:MAX_REASON] or kind
    return cls(reason, filename=filename, line=line)


def error_info(exc: SandboxError) -> list[Any]:
    """The ``"e"`` payload for ``exc`` (the child's side of :func:`error_of`)."""
    kind = next((k.__name__ for k in type(exc).__mro__ if k.__name__ in ERROR_KINDS),
                "SandboxError")
    return [kind, str(exc.reason)[:MAX_REASON], exc.line if type(exc.line) is int else None]


def check_confidence(value: Any) -> float:
    """A confidence reply: a number in [0, 1] (the child checked it; NaN fails the range)."""
    if type(value) not in (int, float) or not (0.0 <= value <= 1.0):
        raise WireError("confidence reply is not a number in [0, 1]")
    return float(value)


def check_none(value: Any) -> None:
    """A load reply carries no value."""
    if value is not None:
        raise WireError("load reply carries a value")


def check_result(value: Any) -> dict[str, Any]:
    """An ``execute`` result as the host accepts it: exactly output, confidence, metadata."""
    if type(value) is not dict or set(value) != {"output", "confidence", "metadata"}:
        raise WireError("execute() reply is not {output, confidence, metadata}")
    if type(value["metadata"]) is not dict:
        raise WireError("execute() reply metadata is not a dict")
    value["confidence"] = check_confidence(value["confidence"])
    return value
